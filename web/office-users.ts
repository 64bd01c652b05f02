import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as argon2 from 'argon2';
import { z } from 'zod';
import { readJsonFile, UserError, writeFileAtomic } from '../store/master-files';

/**
 * The reform office's staff who may use /office: names and argon2id hashes of their
 * passwords in `<data dir>/office/users.json`, readable by the service's user only. The file
 * is read on every login, so a password set with `torimatome office passwd` counts at once.
 */

const MIN_PASSWORD_LENGTH = 10;
/** Far above any password a person types; keeps a login form from making the server hash megabytes. */
const MAX_PASSWORD_LENGTH = 256;
const USER_NAME = /^[a-z][a-z0-9._-]{1,31}$/;

const OfficeUsers = z.object({
  users: z.record(z.string().regex(USER_NAME), z.object({ hash: z.string().startsWith('$argon2id$'), updatedAt: z.string() })),
});
type OfficeUsers = z.infer<typeof OfficeUsers>;

export function officeUsersPath(dataDir: string): string {
  return join(dataDir, 'office', 'users.json');
}

function isUserName(name: string): boolean {
  return USER_NAME.test(name);
}

export function checkUserName(name: string): void {
  if (!isUserName(name)) {
    throw new UserError(`ユーザー名「${name}」は使えません。英小文字で始まる2〜32文字の英小文字・数字・「.」「_」「-」で指定してください（例: tanaka.h）。`);
  }
}

export function checkNewPassword(password: string): void {
  const length = [...password].length;
  if (length === 0) throw new UserError('パスワードが空です。');
  if (length < MIN_PASSWORD_LENGTH) throw new UserError(`パスワードが短すぎます（${length}文字）。${MIN_PASSWORD_LENGTH}文字以上にしてください。`);
  if (length > MAX_PASSWORD_LENGTH) throw new UserError(`パスワードが長すぎます（${length}文字）。${MAX_PASSWORD_LENGTH}文字以下にしてください。`);
}

async function readUsers(dataDir: string): Promise<OfficeUsers> {
  const path = officeUsersPath(dataDir);
  return existsSync(path) ? readJsonFile(path, OfficeUsers, '行革担当課のユーザー一覧') : { users: {} };
}

/** Sets a user's password, adding the user if new; says which it did. */
export async function setOfficePassword(dataDir: string, user: string, password: string, now = new Date()): Promise<'added' | 'changed'> {
  checkUserName(user);
  checkNewPassword(password);
  const users = await readUsers(dataDir);
  const existed = Object.hasOwn(users.users, user);
  users.users[user] = { hash: await argon2.hash(password, { type: argon2.argon2id }), updatedAt: now.toISOString() };
  const path = officeUsersPath(dataDir);
  // The folder is closed first, so the file is never readable by others, not even before its chmod.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  await writeFileAtomic(path, `${JSON.stringify(users, null, 2)}\n`);
  await chmod(path, 0o600);
  return existed ? 'changed' : 'added';
}

// Verified against when the user is unknown, so that a wrong name takes as long as a wrong password.
let decoy: Promise<string> | undefined;

/** Whether the password is the user's; false alike for an unknown user and a wrong password. */
export async function verifyOfficeLogin(dataDir: string, user: string, password: string): Promise<boolean> {
  const { users } = await readUsers(dataDir);
  // Names such as "constructor" are allowed: only the file's own entries count.
  const known = isUserName(user) && Object.hasOwn(users, user) ? users[user] : undefined;
  decoy ??= argon2.hash(randomBytes(16), { type: argon2.argon2id });
  const matches = await argon2.verify(known?.hash ?? (await decoy), password);
  return known !== undefined && matches;
}

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from './free-port';
import { killOnExit, watchExit } from './kill-on-exit';
import { followLines } from './output-lines';

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  user: string;
  pass: string;
  /** Stops the server and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface DovecotOptions {
  /** Holds the configuration, the log, the runtime files and the mail; kept across restarts. */
  dir: string;
  /** The only account, with its mailbox in Maildir under `dir`. */
  user: string;
  pass: string;
  /** The port, to come back where clients already connect; default a free one. */
  port?: number;
  readyTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
// Dovecot drops its login and mail processes to these users, which Debian's package creates.
const LOGIN_USER = 'dovenull';
const MAIL_USER = 'dovecot';

/**
 * A real Dovecot IMAP server on a free loopback port, for the tests of the IMAP inbound channel
 * and for a developer trying that path: plain-text login, one account, mail kept in Maildir under
 * `dir`. Nothing outside `dir` is read or written, /etc/dovecot included, so it runs beside a
 * system Dovecot. It runs as root, as CI does: Dovecot's master needs root to switch its login
 * and mail processes to their own users.
 */
export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  const binary = findDovecot();
  if (process.getuid?.() !== 0) {
    throw new Error(`startDovecot must run as root (it runs as ${userInfo().username}): Dovecot switches its processes to the users ${LOGIN_USER} and ${MAIL_USER}`);
  }
  const dir = resolve(opts.dir);
  // Every one of these ends up in Dovecot's configuration or its passwd-file, where spaces,
  // quotes, colons and % (Dovecot's variables) would change the meaning.
  for (const [what, value] of [[`dir ${dir}`, dir], [`user ${opts.user}`, opts.user], ['pass', opts.pass]] as const) {
    if (!/^[^\s"'\\%:]+$/.test(value)) throw new Error(`startDovecot: the ${what} must not be empty or contain spaces, quotes, backslashes, % or colons`);
  }

  const paths = await prepareDir(dir, opts.user, opts.pass);
  const port = opts.port ?? (await freePorts(HOST, 1))[0]!;
  await writeFile(paths.conf, configuration(paths, port));

  // A group of its own, so that stop() reaches the mail processes too: Dovecot's master leaves
  // a client's process (one in IDLE, say) to notice on its own, some 10 s later, that it is gone.
  const child = spawn(binary, ['-F', '-c', paths.conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  killOnExit(child);
  const { exited, exitReason } = watchExit(child);
  // With -F the log goes to log_path; only what comes before Dovecot reads its configuration
  // (a syntax error, say) lands on stderr.
  const lastStderr = followLines(child.stderr!, 20);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitReason() !== undefined) return;
      signalGroup(child.pid!, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(kill);
    })());

  const lastWords = async (): Promise<string> =>
    [...lastStderr(), ...(await logTail(paths.log, 20))].join('\n') || '(it wrote nothing)';
  const timeoutMs = opts.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await greets(port))) {
    if (exitReason() !== undefined) {
      throw new Error(`Dovecot (${binary} -c ${paths.conf}) ended (${exitReason()}) before it listened on ${HOST}:${port}. Its last words:\n${await lastWords()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Dovecot (${binary} -c ${paths.conf}) did not listen on ${HOST}:${port} within ${timeoutMs / 1000} s. Its last words:\n${await lastWords()}`);
    }
    await sleep(50);
  }
  return { host: HOST, port, user: opts.user, pass: opts.pass, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    // The whole group may be gone already.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function findDovecot(): string {
  // root's PATH usually has /usr/sbin, but a shell started without a login may not.
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin'];
  const found = dirs.map((d) => join(d, 'dovecot')).find(isExecutable);
  if (!found) throw new Error('dovecot is not installed (looked on PATH and in /usr/sbin): install the Debian package dovecot-imapd (apt-get install dovecot-imapd)');
  return found;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface DovecotPaths {
  conf: string;
  log: string;
  passwd: string;
  baseDir: string;
  stateDir: string;
  home: string;
}

async function prepareDir(dir: string, user: string, pass: string): Promise<DovecotPaths> {
  const paths: DovecotPaths = {
    conf: join(dir, 'dovecot.conf'),
    log: join(dir, 'dovecot.log'),
    passwd: join(dir, 'users'),
    baseDir: join(dir, 'run'),
    stateDir: join(dir, 'state'),
    home: join(dir, 'home'),
  };
  for (const d of [paths.baseDir, paths.stateDir, paths.home]) await mkdir(d, { recursive: true });
  // The mail processes run as the dovecot user and reach the home through `dir`, which
  // mkdtemp makes 0700.
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
  const { uid, gid } = await systemUser(MAIL_USER);
  await chown(paths.home, uid, gid);
  // Read by the auth process, which runs as the dovecot user too.
  await writeFile(paths.passwd, `${user}:{PLAIN}${pass}\n`, { mode: 0o600 });
  await chown(paths.passwd, uid, gid);
  return paths;
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`there is no ${name} user: install the Debian package dovecot-imapd, which creates it`);
  return { uid: Number(uid), gid: Number(gid) };
}

function configuration(paths: DovecotPaths, port: number): string {
  return `# Written by torimatome's startDovecot; rewritten at every start.
base_dir = ${paths.baseDir}
state_dir = ${paths.stateDir}
log_path = ${paths.log}
protocols = imap
listen = ${HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A real server slows down wrong passwords, and then every login from the same address for a
# while (anvil's auth penalty): here that would only slow the tests down.
auth_failure_delay = 0
default_login_user = ${LOGIN_USER}
default_internal_user = ${MAIL_USER}
# Debian's 500 would refuse the dovecot user's uid.
first_valid_uid = 1
mail_location = maildir:~/Maildir
# A passwd-file rather than a static passdb, so that a wrong user name fails as on a real server.
passdb {
  driver = passwd-file
  args = ${paths.passwd}
}
userdb {
  driver = static
  args = uid=${MAIL_USER} gid=${MAIL_USER} home=${paths.home}
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

/** Whether an IMAP server greets on the port: listening alone could be someone else's socket. */
function greets(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, HOST);
    let said = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      said += chunk.toString('latin1');
      if (said.includes('\n')) socket.destroy();
    });
    socket.once('close', () => done(said.startsWith('* OK')));
    socket.once('error', () => undefined);
  });
}

async function logTail(path: string, lines: number): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

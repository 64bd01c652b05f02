import type { Command } from 'commander';
import { dataDir, UserError } from '../store/master-files';
import { checkNewPassword, checkUserName, officeUsersPath, setOfficePassword } from '../web/office-users';

/** A line typed without echo, for a password at a terminal. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish();
        // Raw mode turns Ctrl-C and Ctrl-D into characters.
        if (ch === '\u0003' || ch === '\u0004') return finish(new UserError('中止しました。パスワードは変わっていません。'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The first line of piped input: `echo "$PASSWORD" | torimatome office passwd tanaka`. */
async function firstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (/[\r\n]/.test(text)) break;
  }
  return text.split(/\r?\n/)[0]!;
}

async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return firstLine();
  const password = await promptHidden('新しいパスワード: ');
  // Checked before asking again, so a short one is told at once.
  checkNewPassword(password);
  if ((await promptHidden('もう一度入力してください: ')) !== password) throw new UserError('二つのパスワードが一致しません。パスワードは変わっていません。');
  return password;
}

async function runPasswd(user: string): Promise<void> {
  checkUserName(user);
  const dir = dataDir();
  const outcome = await setOfficePassword(dir, user, await readNewPassword());
  process.stdout.write(
    outcome === 'added'
      ? `ユーザー「${user}」を登録しました（${officeUsersPath(dir)}）。行革担当課のページ /office にこの名前とパスワードでログインできます。\n`
      : `ユーザー「${user}」のパスワードを変更しました（${officeUsersPath(dir)}）。次のログインから新しいパスワードを使います。\n`,
  );
}

export function addOfficeCommands(program: Command): void {
  const office = program.command('office').description("the reform office's page (/office): who may log in");
  office
    .command('passwd')
    .description('set the password of a user of the reform office page (added if new); read from the terminal, or the first line of standard input')
    .argument('<user>', 'user name: lower-case letters, digits, ".", "_", "-"')
    .action(runPasswd);
}

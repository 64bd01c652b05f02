import type { Command } from 'commander';
import { localStore } from '../store/local-store';
import { dataDir, UserError } from '../store/master-files';
import { migrateStore } from '../store/migrate';
import { s3Settings } from '../store/open-store';
import { type S3Settings, s3Store } from '../store/s3-store';

// A migration of years of cycles takes a while: often enough to show it is moving, not a line a key.
const PROGRESS_EVERY_KEYS = 500;
const PROGRESS_EVERY_MS = 2_000;

/**
 * The bucket to move into. Its settings are the operator's, who is setting the machine up: a
 * missing or half-done one is told in the words of the other S3 settings' errors, with no stack.
 */
function targetSettings(): S3Settings {
  let settings: S3Settings | undefined;
  try {
    settings = s3Settings(process.env);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  if (!settings) throw new UserError('store migrate copies the data directory into an S3 bucket, and none is set: set TORIMATOME_S3_URL=http://KEY:SECRET@host:port/bucket[/prefix], or TORIMATOME_S3_BUCKET and its settings');
  return settings;
}

async function runMigrate(opts: { dryRun?: boolean }): Promise<void> {
  const from = localStore(dataDir());
  const to = s3Store(targetSettings());
  let shownAt = Date.now();
  const report = await migrateStore(from, to, {
    dryRun: opts.dryRun,
    onProgress(done, total) {
      if (done === total || (done % PROGRESS_EVERY_KEYS !== 0 && Date.now() - shownAt < PROGRESS_EVERY_MS)) return;
      shownAt = Date.now();
      process.stderr.write(`${done}/${total}件を確認しました…\n`);
    },
  });
  const bytes = `${report.bytes.toLocaleString('ja-JP')}バイト`;
  process.stdout.write(
    opts.dryRun
      ? `（試行のため書き込んでいません）${from.location} から ${to.location} へ ${report.copied}件（${bytes}）をコピーします。${report.alreadyThere}件はコピー済みです。\n`
      : `${from.location} から ${to.location} へ ${report.copied}件（${bytes}）をコピーしました。${report.alreadyThere}件はコピー済みでした。\n`,
  );
  if (report.conflicts.length > 0) {
    throw new UserError(`${report.conflicts.length}件は移行先に別の内容で置かれているため、上書きしていません。どちらを残すか確かめてください:\n${report.conflicts.map((key) => `  - ${key}`).join('\n')}`);
  }
}

/** Adds `store migrate` under the program, inheriting its error handling. */
export function addStoreCommands(program: Command): void {
  const store = program.command('store').description('the run store: where the run data of the cycles is kept');
  store
    .command('migrate')
    .description('copy the run data of the data directory into the S3 bucket set in TORIMATOME_S3_URL (or TORIMATOME_S3_*), under the same keys, so references stored before still resolve; nothing in the bucket is overwritten')
    .option('--dry-run', 'count what would be copied, and its bytes, without writing')
    .action(runMigrate);
}

import { basename } from 'node:path';
import type { Command } from 'commander';
import { dataDir, UserError } from '../store/master-files';
import { loadSnapshot } from '../store/snapshot';
import { describeOutcome, submitReturn } from '../service/submit-return';
import { connectClient, resolveSettings } from '../worker/settings';
import { actorOf, collect, itemTexts, targetCycle } from './cycle-target';
import { resolveDivisionArg } from './plan-commands';
import { readInputFile } from './read-input';
import { openStore } from '../store/open-store';

async function runSubmit(file: string, opts: { division: string; year?: string; actor?: string; explain: string[] }): Promise<void> {
  const explanations = itemTexts(opts.explain, '--explain');
  const dir = dataDir();
  const data = await readInputFile(file);
  const client = await connectClient((await resolveSettings(dir)).temporal);
  try {
    // A late return still finds its (closed) cycle, so the answer can say whom to contact.
    const cycleId = await targetCycle(client, dir, opts.year, { orLatestClosed: true });
    const snapshot = await loadSnapshot(openStore(dir), cycleId);
    const divisionId = resolveDivisionArg(snapshot.directory, opts.division);
    const outcome = await submitReturn(
      client,
      dir,
      { cycleId, divisionId, file: { data, fileName: basename(file) }, channel: 'cli', submittedBy: actorOf(opts.actor), explanations },
      { snapshot },
    );
    // Refused and held returns exit non-zero: the division has something left to do.
    const { ok, headline, points } = describeOutcome(outcome, '各項目の理由を --explain <整理番号>=<説明> で添えて、もう一度提出してください:');
    const text = [headline, ...points.map((p) => `  - ${p}`)].join('\n');
    if (!ok) throw new UserError(text);
    process.stdout.write(`${text}\n`);
  } finally {
    await client.connection.close();
  }
}

export function addSubmitCommand(program: Command): void {
  program
    .command('submit')
    .description("hand in a division's filled sheet; prints accepted, or each problem with its cell")
    .argument('<file>', 'the filled .xlsx sheet')
    .requiredOption('--division <division>', 'division (id or Japanese name)')
    .option('--year <year>', 'fiscal year of the cycle (default: the one open cycle)')
    .option('--actor <name>', 'who submits (default: TORIMATOME_ACTOR, else the OS user)')
    .option('--explain <item=text>', 'explanation of a warning (確認事項) for an item, e.g. 4=理由; repeatable', collect, [])
    .action(runSubmit);
}

import { basename } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { storeReceived } from '../activities/file-store';
import { loadSnapshot } from '../activities/snapshot';
import { divisionById } from '../domain/division-directory';
import { divisionWorkflowId } from '../domain/cycle';
import { dataDir, UserError } from '../master/store';
import { connectClient, resolveSettings } from '../worker/settings';
import { CYCLE_CLOSED, NOTHING_TO_ANSWER, type SubmitResult, submitReturnUpdate } from '../workflows/definitions';
import { actorOf, collect, itemTexts, queryCycle, targetCycle } from './cycle-target';
import { resolveDivisionArg } from './plan-commands';
import { readInputFile } from './read-input';

const REFUSALS: Record<string, (division: string, office: string) => string> = {
  [CYCLE_CLOSED]: (division, office) => `照会は締め切られているため、${division}の回答は受け付けられません。事情がある場合は${office}に連絡してください。`,
  [NOTHING_TO_ANSWER]: (division) => `${division}には回答する項目がありません（主担当の課が回答します）。`,
};

/** Prints the check's result as the division reads it; refused returns exit non-zero. */
function report(divisionName: string, result: SubmitResult): void {
  if (result.status === 'accepted') {
    process.stdout.write(`${divisionName}の回答を受け付けました（${result.attempt}回目の提出）。\n`);
    return;
  }
  if (result.status === 'held') {
    const lines = [`${divisionName}の回答に確認事項があります（${result.attempt}回目の提出）。各項目の理由を --explain <整理番号>=<説明> で添えて、もう一度提出してください:`];
    for (const warning of result.warnings ?? []) lines.push(`  - ${warning.message}`);
    throw new UserError(lines.join('\n'));
  }
  const lines = [`${divisionName}の回答を受け付けられませんでした（${result.attempt}回目の提出）。次の点を直して、もう一度提出してください:`];
  for (const problem of result.problems) lines.push(`  - ${problem.message}`);
  throw new UserError(lines.join('\n'));
}

async function runSubmit(file: string, opts: { division: string; year?: string; actor?: string; explain: string[] }): Promise<void> {
  const explanations = itemTexts(opts.explain, '--explain');
  const dir = dataDir();
  const data = await readInputFile(file);
  const client = await connectClient((await resolveSettings(dir)).temporal);
  try {
    // A late return still finds its (closed) cycle, so the answer can say whom to contact.
    const id = await targetCycle(client, dir, opts.year, { orLatestClosed: true });
    const status = await queryCycle(client, id);
    const { directory } = await loadSnapshot(dir, id);
    const divisionId = resolveDivisionArg(directory, opts.division);
    const name = divisionById(directory, divisionId).name;
    const reformOffice = divisionById(directory, directory.reformOffice);
    const office = `${reformOffice.name}（${reformOffice.contact}）`;
    if (!status.divisions.some((d) => d.divisionId === divisionId)) throw new UserError(`${name}は${status.year}の照会の対象ではありません。`);
    if (status.phase === 'closing' || status.phase === 'closed') throw new UserError(REFUSALS[CYCLE_CLOSED]!(name, office));
    const stored = await storeReceived(dir, data, 'xlsx');
    let result: SubmitResult;
    try {
      result = await client.workflow.getHandle(divisionWorkflowId(id, divisionId)).executeUpdate(submitReturnUpdate, {
        args: [{ file: stored, fileName: basename(file), channel: 'cli', submittedBy: actorOf(opts.actor), explanations }],
      });
    } catch (err) {
      const refusal = err instanceof WorkflowUpdateFailedError ? REFUSALS[(err.cause as Error | undefined)?.message ?? ''] : undefined;
      if (refusal) throw new UserError(refusal(name, office));
      throw err;
    }
    report(name, result);
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

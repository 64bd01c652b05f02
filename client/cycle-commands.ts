import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { type MailFailure, outboxEntries, rungsReached } from '../store/outbox';
import { loadSnapshot } from '../store/snapshot';
import { DROP_REASON_NAMES, type DroppedMail, droppedLogPath, droppedSince } from '../inbound/dropped-mail';
import type { DropReason } from '../inbound/mail-sender';
import { cycleId, TASK_QUEUE } from '../domain/workflow-ids';
import { divisionById } from '../domain/division-directory';
import { type EscalationPolicyInput, parseEscalationPolicy } from '../domain/escalation-policy';
import { japaneseDateTime } from '../domain/japanese-date';
import { loadPlan, UserError } from '../store/master-files';
import { CYCLE_CLOSED, type LauncherInput, reassignItemUpdate, type Ladder, type LadderClock, type CycleInput, type CycleStatus } from '../workflows/definitions';
import type { DivisionState } from '../domain/division-state';
import { causeOf, closeCycle, closeNotice, consolidatedTable, cycleStatus, deadlineInput, excuseDivision, extendDeadline, mailTrouble, PHASE_NAMES, refusalOf, remindNow, sendBack, STATE_NAMES } from '../service/cycle-actions';
import { readCycleStatus } from '../service/cycle-status';
import { actorOf, collect, itemTexts, targetCycle, withClient, yearArg } from './cycle-target';
import { resolveDivisionArg } from './plan-commands';
import { openStore } from '../store/open-store';
import { isClosed } from '../store/cycle-result';

const deadlineArg = (value: string) => deadlineInput(value, '--deadline');

async function ladderArgs(opts: { policy?: string; ladderClock?: LadderClock }): Promise<Ladder | undefined> {
  if (!opts.policy && !opts.ladderClock) return undefined;
  let policy: EscalationPolicyInput | undefined;
  if (opts.policy) {
    const text = await readFile(opts.policy, 'utf8').catch(() => {
      throw new UserError(`督促の設定ファイルが読めません: ${opts.policy}`);
    });
    try {
      policy = parseEscalationPolicy(JSON.parse(text));
    } catch (err) {
      throw new UserError(`督促の設定ファイル（${opts.policy}）が正しくありません: ${(err as Error).message}`);
    }
  }
  return { policy, clock: opts.ladderClock };
}

async function runLaunch(opts: { year: string; deadline: string; actor?: string; policy?: string; ladderClock?: LadderClock }): Promise<void> {
  const year = yearArg(opts.year);
  const deadline = deadlineArg(opts.deadline);
  const ladder = await ladderArgs(opts);
  await withClient(async (client, dir) => {
    const { plan } = await loadPlan(openStore(dir));
    const id = cycleId(plan.municipality.id, year);
    // Temporal forgets a closed cycle after its retention period; its results here do not.
    if (await isClosed(openStore(dir), id)) throw new UserError(`${year}の照会（${id}）はすでに締め切られています。同じ年度の照会を二度開始することはできません。`);
    const input: CycleInput = { municipalityId: plan.municipality.id, year, deadline, launchedBy: actorOf(opts.actor), ladder };
    let handle;
    try {
      handle = await client.workflow.start('cycleWorkflow', {
        workflowId: id,
        taskQueue: TASK_QUEUE,
        args: [input],
        // A closed cycle stays closed: only a launch that failed may be tried again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new UserError(`${year}の照会はすでに開始されています（${id}）。同じ年度の照会を二重に開始することはできません。`);
      }
      throw err;
    }
    process.stdout.write(`${id} を開始しました（提出期限 ${japaneseDateTime(deadline)}、開始: ${input.launchedBy}）\n`);
    let shown = -1;
    let workerAwaited = false;
    for (;;) {
      const description = await handle.describe();
      if (description.status.name === 'FAILED') {
        try {
          await handle.result();
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new UserError(`照会を開始できませんでした: ${causeOf(err)}`);
          throw err;
        }
      }
      // A query needs a worker; while none answers (restarting, or overloaded) the launch goes
      // on in Temporal regardless, and this only waits to report it.
      const status = await readCycleStatus(client, id, { asLaunched: true }).catch(() => undefined);
      if (!status) {
        if (!workerAwaited) process.stdout.write('  ワーカーの応答を待っています…\n');
        workerAwaited = true;
        await sleep(1000);
        continue;
      }
      const total = status.divisions.length;
      const mailed = await countRequestsSent(dir, id);
      if (total > 0 && mailed !== shown) {
        process.stdout.write(`  様式を送付しています: ${mailed} / ${total} 課\n`);
        shown = mailed;
      }
      if (status.phase !== 'launching' && total > 0 && mailed >= total) break;
      await sleep(500);
    }
    process.stdout.write(`すべての課に様式を送りました。回答の状況は torimatome cycle status で確認できます。\n`);
  });
}

async function countRequestsSent(dir: string, id: string): Promise<number> {
  return (await outboxEntries(openStore(dir), id)).filter((e) => e.kind === 'request').length;
}

function renderTrouble(trouble: readonly MailFailure[]): string[] {
  if (trouble.length === 0) return [];
  const first = trouble.map((t) => t.firstFailedAt).sort()[0]!;
  return [
    `⚠ メール${trouble.length}通が送れていません（${japaneseDateTime(first)}から再送を続けています。最後のエラー: ${trouble[trouble.length - 1]!.error}）。SMTP サーバを確認してください。送れるようになれば自動で送ります。`,
    '',
  ];
}

/** How far back `cycle status` looks for mail dropped unanswered. */
const DROPPED_DAYS = 30;

function renderDropped(dropped: readonly DroppedMail[], dir: string): string[] {
  if (dropped.length === 0) return [];
  const counts = new Map<DropReason, number>();
  for (const mail of dropped) counts.set(mail.reason, (counts.get(mail.reason) ?? 0) + 1);
  const last = dropped.at(-1)!;
  return [
    `⚠ 返信用アドレスに届いたメール${dropped.length}通を、受け付けず返信もせずに破棄しました（過去${DROPPED_DAYS}日。` +
      `${[...counts].map(([reason, n]) => `${DROP_REASON_NAMES[reason]} ${n}`).join('、')}）。` +
      `最後: ${japaneseDateTime(last.receivedAt)} 差出人 ${last.from || '(なし)'}「${last.subject}」。課からの提出が含まれていないか、一覧で確認してください: ${droppedLogPath(dir)}`,
    '',
  ];
}

function renderStatus(status: CycleStatus, rungs: ReadonlyMap<string, number>): string {
  const counts = new Map<DivisionState, number>();
  for (const d of status.divisions) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  const lines = [
    `${status.cycleId}（${PHASE_NAMES[status.phase]}、提出期限 ${japaneseDateTime(status.deadline)}）`,
    [...counts.entries()].map(([state, n]) => `${STATE_NAMES[state]} ${n}`).join('、'),
    '',
    ['課', '状態', '回答日時', '提出回数', '督促'].join('\t'),
  ];
  for (const d of [...status.divisions].sort((a, b) => a.divisionId.localeCompare(b.divisionId))) {
    const rung = rungs.get(d.divisionId);
    lines.push([d.divisionId, STATE_NAMES[d.state], d.returnedAt ? japaneseDateTime(d.returnedAt) : '-', String(d.attempts), rung ? `${rung}段目まで送付` : '-'].join('\t'));
  }
  if (status.result) lines.push('', `取りまとめ: ${status.result.consolidatedXlsx.path}（締切: ${status.result.closedBy}）`);
  return `${lines.join('\n')}\n`;
}

async function runStatus(opts: { year?: string; json?: boolean }): Promise<void> {
  await withClient(async (client, dir) => {
    const id = await targetCycle(client, dir, opts.year, { orLatestClosed: true });
    const status = await cycleStatus(client, dir, id);
    const rungs = await rungsReached(openStore(dir), id);
    const trouble = await mailTrouble(dir, id);
    const dropped = await droppedSince(dir, new Date(Date.now() - DROPPED_DAYS * 24 * 60 * 60 * 1000).toISOString());
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ ...status, rungsReached: Object.fromEntries(rungs), mailTrouble: trouble, droppedMail: dropped }, null, 2)}\n`
        : [...renderTrouble(trouble), ...renderDropped(dropped, dir), renderStatus(status, rungs)].join('\n'),
    );
  });
}

async function runClose(opts: { year?: string; actor?: string }): Promise<void> {
  await withClient(async (client, dir) => {
    const id = await targetCycle(client, dir, opts.year);
    const result = await closeCycle(client, id, actorOf(opts.actor), () => process.stdout.write(`${id} を締め切り、取りまとめています…\n`));
    const { counts, followUp } = closeNotice(result);
    process.stdout.write([counts, `取りまとめ表: ${join(dir, result.consolidatedXlsx.path)}`, `CSV: ${join(dir, result.consolidatedCsv.path)}`, followUp, ''].join('\n'));
  });
}

async function runExport(opts: { year?: string; format: 'xlsx' | 'csv'; out: string }): Promise<void> {
  await withClient(async (client, dir) => {
    const id = await targetCycle(client, dir, opts.year, { orLatestClosed: true });
    await writeFile(resolve(opts.out), await consolidatedTable(dir, id, opts.format));
    process.stdout.write(`取りまとめ表を ${opts.out} に書き出しました。\n`);
  });
}

/** Runs an action on the cycle the options mean and prints the sentence it answers with. */
async function onTargetCycle(year: string | undefined, action: (client: Client, dir: string, id: string) => Promise<string>): Promise<void> {
  const notice = await withClient(async (client, dir) => action(client, dir, await targetCycle(client, dir, year)));
  process.stdout.write(`${notice}\n`);
}

async function runExtend(opts: { year?: string; division?: string; deadline: string; actor?: string }): Promise<void> {
  const deadline = deadlineArg(opts.deadline);
  const actor = actorOf(opts.actor);
  await onTargetCycle(opts.year, (client, dir, id) => extendDeadline(client, dir, id, { division: opts.division, deadline, actor }));
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

function monthDayArg(option: string, value: string): { month: number; day: number } {
  const m = /^(\d{2})-(\d{2})$/.exec(value);
  const month = Number(m?.[1]);
  const day = Number(m?.[2]);
  // A date in a leap year, so that 02-29 is a day that can come.
  const probe = new Date(Date.UTC(2024, month - 1, day));
  if (!m || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) throw new UserError(`${option} は MM-DD の形で指定してください: ${value}`);
  return { month, day };
}

/**
 * A yearly Temporal Schedule that launches the cycle on a set day at 09:00 in Japan, through
 * the launcher workflow so the cycle keeps its stable id.
 */
async function runSchedule(opts: { on: string; deadline: string; actor?: string; policy?: string }): Promise<void> {
  const on = monthDayArg('--on', opts.on);
  const due = monthDayArg('--deadline', opts.deadline);
  const ladder = await ladderArgs(opts);
  await withClient(async (client, dir) => {
    const { plan } = await loadPlan(openStore(dir));
    const scheduleId = `launch-${plan.municipality.id}`;
    const input: LauncherInput = { municipalityId: plan.municipality.id, deadlineMonthDay: opts.deadline, launchedBy: `スケジュール（${actorOf(opts.actor)}が設定）`, ladder };
    const options = {
      spec: { calendars: [{ month: MONTHS[on.month - 1]!, dayOfMonth: on.day, hour: 9 }], timezone: 'Asia/Tokyo' },
      action: { type: 'startWorkflow' as const, workflowType: 'launcherWorkflow', taskQueue: TASK_QUEUE, args: [input] },
    };
    let handle = client.schedule.getHandle(scheduleId);
    try {
      await handle.update((previous) => ({ ...previous, ...options }));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      handle = await client.schedule.create({ scheduleId, ...options });
    }
    const next = (await handle.describe()).info.nextActionTimes[0];
    process.stdout.write(
      `毎年${on.month}月${on.day}日 9:00 に照会を開始し、提出期限を次の${due.month}月${due.day}日とするよう設定しました（スケジュール ${scheduleId}）。` +
        `${next ? `次回: ${japaneseDateTime(next.toISOString())}` : ''}\n`,
    );
  });
}

async function runRemind(opts: { year?: string; division?: string; actor?: string }): Promise<void> {
  const actor = actorOf(opts.actor);
  await onTargetCycle(opts.year, (client, dir, id) => remindNow(client, dir, id, { division: opts.division, actor }));
}

async function runExcuse(opts: { year?: string; division: string; reason: string; actor?: string }): Promise<void> {
  const actor = actorOf(opts.actor);
  await onTargetCycle(opts.year, (client, dir, id) => excuseDivision(client, dir, id, { division: opts.division, reason: opts.reason, actor }));
}

async function runReassign(opts: { year?: string; item: string; division: string; actor?: string }): Promise<void> {
  const no = Number(opts.item);
  if (!/^\d+$/.test(opts.item)) throw new UserError(`--item は整理番号で指定してください: ${opts.item}`);
  await withClient(async (client, dir) => {
    const id = await targetCycle(client, dir, opts.year);
    const { directory, assignments } = await loadSnapshot(openStore(dir), id);
    const divisionId = resolveDivisionArg(directory, opts.division);
    if (!assignments.some((a) => a.answers.includes(no))) throw new UserError(`整理番号${no}は${id}で回答を求めている項目ではありません。`);
    try {
      const { from, to } = await client.workflow.getHandle(id).executeUpdate(reassignItemUpdate, { args: [{ no, divisionId, actor: actorOf(opts.actor) }] });
      const name = (d: string) => divisionById(directory, d).name;
      process.stdout.write(
        from === to ? `整理番号${no}はすでに${name(to)}が回答します。\n` : `整理番号${no}を${name(from)}から${name(to)}に移しました。両方の課に新しい様式を送りました。\n`,
      );
    } catch (err) {
      if (refusalOf(err) === CYCLE_CLOSED) throw new UserError(`${id} は締め切られています。`);
      throw err;
    }
  });
}

async function runSendBack(opts: { year?: string; division: string; comment: string[]; actor?: string }): Promise<void> {
  const comments = itemTexts(opts.comment, '--comment');
  if (Object.keys(comments).length === 0) throw new UserError('差戻しには --comment <整理番号>=<コメント> が一つ以上必要です。');
  await onTargetCycle(opts.year, (client, dir, id) => sendBack(client, dir, id, { division: opts.division, comments, actor: actorOf(opts.actor) }));
}

export function addCycleCommands(program: Command): void {
  const cycle = program.command('cycle').description("a fiscal year's collection: launch, watch, close, export");
  const yearOption = () => new Option('--year <year>', 'fiscal year (R4, 令和4年度, 2022); default: the one open cycle, else the latest');
  const actorOption = () => new Option('--actor <name>', 'who takes the action (default: TORIMATOME_ACTOR, else the OS user)');
  cycle
    .command('launch')
    .description('start the collection for a fiscal year: every responsible division gets its sheet by mail')
    .requiredOption('--year <year>', 'fiscal year to collect (R4, 令和4年度, 2022)')
    .requiredOption('--deadline <date>', 'last day for returns, YYYY-MM-DD (end of that day, Asia/Tokyo)')
    .addOption(actorOption())
    .option('--policy <file>', 'JSON reminder and escalation policy (default: reminders 5 and 1 business days before, then overdue and escalations)')
    .addOption(new Option('--ladder-clock <clock>', 'count rung offsets in business days (calendar) or, to demonstrate, in seconds from the deadline').choices(['calendar', 'seconds']))
    .action(runLaunch);
  cycle
    .command('schedule')
    .description('launch the cycle every year on a set day (a Temporal Schedule), with a deadline on a set day')
    .requiredOption('--on <MM-DD>', 'day of the year to launch, at 09:00 Asia/Tokyo')
    .requiredOption('--deadline <MM-DD>', 'day of the deadline, the next such day after the launch')
    .option('--policy <file>', 'JSON reminder and escalation policy')
    .addOption(actorOption())
    .action(runSchedule);
  cycle
    .command('extend')
    .description("move the deadline of one division or of every division; the reminder ladder is planned again from it")
    .addOption(yearOption())
    .option('--division <division>', 'division (id or Japanese name); default: every division')
    .requiredOption('--deadline <date>', 'new deadline, YYYY-MM-DD (end of that day, Asia/Tokyo)')
    .addOption(actorOption())
    .action(runExtend);
  cycle.command('status').description("the cycle's progress, division by division").addOption(yearOption()).option('--json', 'print JSON').action(runStatus);
  cycle.command('close').description('close the cycle, consolidate the returns and send the table to every division').addOption(yearOption()).addOption(actorOption()).action(runClose);
  cycle
    .command('reassign')
    .description('move an item to another division for the rest of the cycle; both get a new sheet')
    .addOption(yearOption())
    .requiredOption('--item <no>', 'item number (整理番号)')
    .requiredOption('--division <division>', 'the division that answers it from now on (id or Japanese name)')
    .addOption(actorOption())
    .action(runReassign);
  cycle
    .command('remind')
    .description('send a reminder now to one division, or to every division still waiting')
    .addOption(yearOption())
    .option('--division <division>', 'division (id or Japanese name); default: every division still waiting')
    .addOption(actorOption())
    .action(runRemind);
  cycle
    .command('excuse')
    .description('take a division off the ladder: no return is expected from it this year')
    .addOption(yearOption())
    .requiredOption('--division <division>', 'division (id or Japanese name)')
    .requiredOption('--reason <text>', 'why, for the table\'s 備考')
    .addOption(actorOption())
    .action(runExcuse);
  cycle
    .command('send-back')
    .description('send an accepted return back to its division with a comment per item (差戻し)')
    .addOption(yearOption())
    .requiredOption('--division <division>', 'division (id or Japanese name)')
    .requiredOption('--comment <item=text>', 'comment on an item, e.g. 4=理由を具体的に; repeatable', collect, [])
    .addOption(actorOption())
    .action(runSendBack);
  cycle
    .command('export')
    .description('write the consolidated table of a closed cycle')
    .addOption(yearOption())
    .addOption(new Option('--format <format>', 'table format').choices(['xlsx', 'csv']).makeOptionMandatory())
    .requiredOption('--out <file>', 'output file')
    .action(runExport);
}

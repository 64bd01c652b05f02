import { ApplicationFailure, Context } from '@temporalio/activity';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { type DivisionRole, roleOf } from '../domain/cycle';
import { archiveWorkflowId, divisionWorkflowId, TASK_QUEUE } from '../domain/workflow-ids';
import { archiveCycle, CycleNotFinished } from '../audit/archive';
import { loadSigningKey } from '../audit/signing-key';
import { divisionById } from '../domain/division-directory';
import type { AnswerValues } from '../domain/collection-definition';
import { updatePlan } from '../store/master-files';
import { type AreaSummary, areaSummary, consolidatePlan, writeConsolidatedCsv, writeConsolidatedWorkbook } from '../sheets/consolidated-table';
import { Plan } from '../domain/plan';
import type { CheckerPool } from '../sheets/checker-pool';
import { readReturnFile } from '../sheets/read-return-file';
import type { ReturnProblem } from '../sheets/return-problems';
import { findWarnings } from '../sheets/return-warnings';
import type { CloseResult, CycleStatus, DivisionInput, DivisionStatus, FileRef, Ladder, ReturnSubmission } from '../workflows/definitions';
import { parseEscalationPolicy, rungRecipients } from '../domain/escalation-policy';
import { readCycleStatus } from '../service/cycle-status';
import { CYCLE_ID_ATTRIBUTE, closeDivisionSignal, DIVISION_STATE_ATTRIBUTE, DIVISION_STATUS_MEMO } from '../workflows/definitions';
import { cycleKeys, readRef, storeFile } from '../store/file-store';
import type { ObjectStore } from '../store/object-store';
import { openStore } from '../store/open-store';
import { outboxKey } from '../store/outbox';
import { type MailContext, requestMail, resultMail, rungMail, sendBackMail } from './mail-texts';
import { type PlannedRung, planRungs } from './business-calendar';
import { MAX_SMTP_CONNECTIONS, type MailReceipt, type Mailer } from './mailer';
import { concurrently } from './concurrently';
import { createAddressBook } from './address-book';
import { type CycleSnapshot, loadSnapshot, moveItem, takeSnapshot } from '../store/snapshot';
import { yearAnswerText } from '../master/plan-table';
import { buildSheet, sheetItems, sheetName } from './division-sheet';
import { type ReturnRecord, readReturnRecord, writeReturnRecord } from '../store/return-record';
import { readCloseResult, readConsolidatedPlan, writeCloseResult, writeConsolidatedPlan } from '../store/cycle-result';
import { type InboundSettings, replyAddress, returnAddressFor } from '../inbound/return-address';
import { pageToken, returnTag } from '../inbound/return-tokens';

export interface ActivityDeps {
  dataDir: string;
  /** Where the files the workflows refer to are kept; the data directory's store, or the bucket set, by default. */
  store?: ObjectStore;
  mailer: Mailer;
  /** Where a division's mails point it to hand in its return: its page and its reply address. */
  returns: { tokenKey: Buffer; settings: InboundSettings };
  /** Used to start and close division workflows, which are not children of the cycle. */
  client: Client;
  /** The checker processes that read returned files. */
  checkers: CheckerPool;
  /** The largest consolidated table every result mail carries whole; `RESULT_TABLE_ATTACHED_UP_TO` by default. */
  resultTableAttachedUpTo?: number;
}

function mailContext(snapshot: CycleSnapshot, divisionId: string): MailContext {
  const { directory, plan } = snapshot;
  const office = divisionById(directory, directory.reformOffice);
  return {
    municipalityName: plan.municipality.name,
    planTitle: plan.title,
    year: snapshot.year,
    divisionName: divisionById(directory, divisionId).name,
    reformOfficeName: office.name,
    reformOfficeAddress: office.contact,
  };
}

/** Calls to the Temporal service in flight at once when starting or signalling many workflows. */
const PARALLEL_CALLS = 16;

/** Ignores what a retry finds already done: a workflow started or ended before. */
async function tolerateDone<T>(action: () => Promise<T>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) && !(err instanceof WorkflowNotFoundError)) throw err;
  }
}

export function createActivities({ dataDir, store = openStore(dataDir), mailer, client, returns, checkers, resultTableAttachedUpTo = RESULT_TABLE_ATTACHED_UP_TO }: ActivityDeps) {
  const addressBook = createAddressBook(store);
  /** Sender and recipient addresses for a division's mail, from the directory in use now. */
  const addresses = async (snapshot: CycleSnapshot, divisionId: string) => {
    const directory = await addressBook.directoryFor(snapshot.directory, [divisionId]);
    return { directory, from: divisionById(directory, directory.reformOffice).contact, to: divisionById(directory, divisionId).contact };
  };
  /** A mail that asks the division for its return: it names the page and replies hand the sheet in. */
  const askingMail = async (snapshot: CycleSnapshot, divisionId: string) => {
    const target = { cycleId: snapshot.cycleId, divisionId };
    const { publicUrl } = returns.settings;
    const ctx: MailContext = { ...mailContext(snapshot, divisionId), pageUrl: publicUrl ? new URL(`/r/${pageToken(returns.tokenKey, target)}`, publicUrl).toString() : undefined };
    const replyTo = replyAddress(returnAddressFor(returns.settings, snapshot.directory), returnTag(returns.tokenKey, target));
    return { ctx, replyTo, ...(await addresses(snapshot, divisionId)) };
  };
  return {
    async snapshotCycle(input: { cycleId: string; municipalityId: string; year: string }): Promise<{ divisions: Array<{ divisionId: string; role: DivisionRole }> }> {
      const snapshot = await takeSnapshot(store, input.cycleId, input.municipalityId, input.year);
      return { divisions: snapshot.assignments.map((a) => ({ divisionId: a.divisionId, role: roleOf(a) })) };
    },

    async startDivisionWorkflows(input: {
      cycleId: string;
      year: string;
      deadline: string;
      ladder?: Ladder;
      divisions: Array<{ divisionId: string; role: DivisionRole }>;
      indexed?: boolean;
    }): Promise<void> {
      await concurrently(input.divisions, PARALLEL_CALLS, async ({ divisionId, role }) => {
        const args: DivisionInput = { cycleId: input.cycleId, year: input.year, divisionId, role, deadline: input.deadline, sheetVersion: 1, ladder: input.ladder };
        const launched: DivisionStatus = { divisionId, role, state: 'preparing', attempts: 0 };
        await tolerateDone(() =>
          client.workflow.start('divisionWorkflow', {
            workflowId: divisionWorkflowId(input.cycleId, divisionId),
            taskQueue: TASK_QUEUE,
            args: [input.indexed ? { ...args, indexed: true } : args],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            ...(input.indexed && {
              memo: { [DIVISION_STATUS_MEMO]: launched },
              typedSearchAttributes: [
                { key: CYCLE_ID_ATTRIBUTE, value: input.cycleId },
                { key: DIVISION_STATE_ATTRIBUTE, value: launched.state },
              ],
            }),
          }),
        );
      });
    },

    async prepareSheet(input: { cycleId: string; divisionId: string; sheetVersion: number; deadline: string }): Promise<FileRef> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const data = await buildSheet(snapshot, input.divisionId, input.sheetVersion, input.deadline);
      return storeFile(store, cycleKeys(input.cycleId).sheet(input.divisionId, input.sheetVersion), data);
    },

    async sendRequestMail(input: { cycleId: string; divisionId: string; role: DivisionRole; deadline: string; sheet: FileRef }): Promise<MailReceipt> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const assignment = snapshot.assignments.find((a) => a.divisionId === input.divisionId)!;
      const { ctx, replyTo, from, to } = await askingMail(snapshot, input.divisionId);
      const { subject, text } = requestMail(ctx, {
        role: input.role,
        deadline: input.deadline,
        answers: assignment.answers.length,
        readonly: assignment.readonly.length,
      });
      return mailer.sendOnce(store, input.cycleId, {
        key: outboxKey({ kind: 'request', divisionId: input.divisionId, sheetSha256: input.sheet.sha256 }),
        from,
        to: [to],
        replyTo,
        subject,
        text,
        attachments: [{ filename: sheetName(snapshot, input.divisionId), content: await readRef(store, input.sheet) }],
      });
    },

    async checkReturn(input: {
      cycleId: string;
      divisionId: string;
      sheetVersion: number;
      attempt: number;
      submission: ReturnSubmission;
    }): Promise<{ ok: boolean; problems: ReturnProblem[]; warnings: ReturnProblem[] }> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const division = divisionById(snapshot.directory, input.divisionId);
      const items = sheetItems(snapshot, input.divisionId);
      // Checked in a checker process with time and memory limits: a hostile file cannot stall the worker.
      const reading = await readReturnFile(await readRef(store, input.submission.file), {
        cycleId: input.cycleId,
        year: snapshot.year,
        divisionId: division.id,
        divisionName: division.name,
        sheetVersion: input.sheetVersion,
        items,
        definition: snapshot.plan.definition,
      }, checkers);
      // 説明 written in the sheet, and those given with the submission, which win.
      const fromSheet = Object.fromEntries(reading.answers.flatMap((a) => (a.explanation ? [[String(a.no), a.explanation]] : [])));
      const explanations: Record<string, string> = { ...fromSheet, ...input.submission.explanations };
      const warnings = reading.ok ? findWarnings(snapshot.plan, snapshot.year, items, reading.answers) : [];
      const unexplained = warnings.filter((w) => !explanations[String(w.no)]?.trim());
      const record: ReturnRecord = {
        attempt: input.attempt,
        submission: input.submission,
        ok: reading.ok,
        problems: reading.problems,
        warnings,
        explanations,
        answers: reading.ok ? reading.answers : [],
        drafts: reading.ok ? undefined : reading.drafts,
        checkedAt: new Date().toISOString(),
      };
      // A check of this attempt already kept (by a worker thought dead) is the answer: one per attempt.
      const kept = await writeReturnRecord(store, input.cycleId, input.divisionId, record);
      if (kept !== record) return { ok: kept.ok, problems: kept.problems, warnings: kept.warnings.filter((w) => !kept.explanations[String(w.no)]?.trim()) };
      return { ok: reading.ok, problems: reading.problems, warnings: unexplained };
    },

    async sendBack(input: { cycleId: string; divisionId: string; attempt: number; comments: Record<string, string>; sheetVersion: number; deadline: string; actor: string }): Promise<MailReceipt & { sheet: FileRef }> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const returned = await readReturnRecord(store, input.cycleId, input.divisionId, input.attempt);
      // The division gets its own answers back, so it fixes what was commented and nothing else.
      const answers = Object.fromEntries(returned.answers.map((a) => [a.no, a.values]));
      const data = await buildSheet(snapshot, input.divisionId, input.sheetVersion, input.deadline, answers);
      const sheet = await storeFile(store, cycleKeys(input.cycleId).sheet(input.divisionId, input.sheetVersion), data);
      const comments = Object.entries(input.comments).map(([no, comment]) => ({
        no: Number(no),
        initiative: snapshot.plan.items.find((i) => i.no === Number(no))?.initiative ?? '',
        comment,
      }));
      const { ctx, replyTo, from, to } = await askingMail(snapshot, input.divisionId);
      const { subject, text } = sendBackMail(ctx, { comments, deadline: input.deadline, sentBackBy: input.actor });
      const receipt = await mailer.sendOnce(store, input.cycleId, {
        key: outboxKey({ kind: 'sendback', divisionId: input.divisionId, sheetVersion: input.sheetVersion }),
        from,
        to: [to],
        replyTo,
        subject,
        text,
        attachments: [{ filename: sheetName(snapshot, input.divisionId), content: await readRef(store, sheet) }],
      });
      // The new sheet is named in the history, so the archive keeps it.
      return { ...receipt, sheet };
    },

    async planLadder(input: { ladder?: Ladder; deadline: string }): Promise<PlannedRung[]> {
      const now = new Date();
      if (input.ladder?.clock !== 'seconds') return planRungs(input.ladder?.policy ?? {}, input.deadline, now);
      // Seconds from the deadline instant, with the policy's order and recipients: a ladder to
      // watch run in a test or a demonstration, not a calendar.
      const deadline = Date.parse(input.deadline);
      return parseEscalationPolicy(input.ladder.policy ?? {})
        .rungs.map((rung, i) => ({
          rung: i + 1,
          kind: rung.kind,
          offsetBusinessDays: rung.offsetBusinessDays,
          date: input.deadline.slice(0, 10),
          at: new Date(deadline + rung.offsetBusinessDays * 1000).toISOString(),
          to: [...rung.to],
          cc: [...(rung.cc ?? [])],
        }))
        .filter((r) => Date.parse(r.at) > now.getTime());
    },

    async sendRungMail(input: { cycleId: string; divisionId: string; rung: PlannedRung; deadline: string }): Promise<MailReceipt> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const { ctx, replyTo, directory, from } = await askingMail(snapshot, input.divisionId);
      const { to, cc } = rungRecipients(directory, input.divisionId, input.rung);
      const { subject, text } = rungMail(ctx, { kind: input.rung.kind, deadline: input.deadline, rung: input.rung.rung });
      return mailer.sendOnce(store, input.cycleId, {
        key: outboxKey({ kind: 'rung', divisionId: input.divisionId, rung: input.rung.rung, deadline: input.deadline }),
        from,
        to,
        cc,
        replyTo,
        subject,
        text,
      });
    },

    async sendManualReminder(input: { cycleId: string; divisionId: string; deadline: string; seq: number; actor: string }): Promise<MailReceipt> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const { ctx, replyTo, from, to } = await askingMail(snapshot, input.divisionId);
      const { subject, text } = rungMail(ctx, { kind: 'reminder', deadline: input.deadline, rung: 0 });
      return mailer.sendOnce(store, input.cycleId, { key: outboxKey({ kind: 'remind', divisionId: input.divisionId, seq: input.seq }), from, to: [to], replyTo, subject, text });
    },

    async reassignItem(input: { cycleId: string; no: number; to: string; actor: string }): Promise<{ from: string; fromStillAnswers: boolean }> {
      return moveItem(store, input.cycleId, { no: input.no, to: input.to, by: input.actor });
    },

    async closeDivisionWorkflows(input: { cycleId: string; divisionIds: string[] }): Promise<void> {
      await concurrently(input.divisionIds, PARALLEL_CALLS, (divisionId) =>
        tolerateDone(() => client.workflow.getHandle(divisionWorkflowId(input.cycleId, divisionId)).signal(closeDivisionSignal)),
      );
    },

    /** `status` came with the input from cycles that were closing when the query took its place. */
    async consolidateCycle(input: { cycleId: string; closedBy: string; closedAt: string; status?: CycleStatus }): Promise<CloseResult> {
      const { cycleId } = input;
      // The result is written last; a retry that finds it returns it instead of raising the
      // plan master's version a second time.
      const closed = await readCloseResult(store, cycleId);
      if (closed) return closed;
      const status = input.status ?? (await closingStatus(client, cycleId));
      const { year } = status;
      const snapshot = await loadSnapshot(store, cycleId);
      const answers = new Map<number, AnswerValues>();
      const notes = new Map<number, string>();
      const addNote = (no: number, note: string) => notes.set(no, notes.has(no) ? `${notes.get(no)}／${note}` : note);
      const returned: string[] = [];
      for (const division of status.divisions) {
        // The accepted return counts; a held one counts too, with its open warnings noted.
        const held = division.state === 'held' ? [...(division.log ?? [])].reverse().find((l) => l.result === 'held')?.attempt : undefined;
        const attempt = division.state === 'returned' ? division.attempt : held;
        if (attempt === undefined) continue;
        const record = await readReturnRecord(store, cycleId, division.divisionId, attempt);
        Context.current().heartbeat(division.divisionId);
        returned.push(division.divisionId);
        // Only the items the division answers now: one moved away is answered by its new division.
        const own = new Set(snapshot.assignments.find((a) => a.divisionId === division.divisionId)?.answers ?? []);
        for (const answer of record.answers.filter((a) => own.has(a.no))) answers.set(answer.no, answer.values);
        for (const warning of record.warnings.filter((w) => own.has(w.no!))) {
          const explanation = record.explanations[String(warning.no)]?.trim();
          addNote(warning.no!, explanation ? `説明: ${explanation}` : `確認事項未回答: ${warning.message}`);
        }
      }
      const sentBack = new Set(status.divisions.filter((d) => d.state === 'sentBack').map((d) => d.divisionId));
      const excused = status.divisions.filter((d) => d.state === 'excused');
      for (const division of excused) {
        const reason = [...(division.log ?? [])].reverse().find((l) => l.result === 'excused')?.note ?? '';
        for (const no of snapshot.assignments.find((a) => a.divisionId === division.divisionId)?.answers ?? []) addNote(no, `提出免除: ${reason}`);
      }
      const counted = new Set([...returned, ...excused.map((d) => d.divisionId)]);
      const notReturned = snapshot.assignments
        .filter((a) => roleOf(a) === 'answer' && !counted.has(a.divisionId))
        .map((a) => a.divisionId);
      for (const assignment of snapshot.assignments.filter((a) => notReturned.includes(a.divisionId))) {
        for (const no of assignment.answers) addNote(no, sentBack.has(assignment.divisionId) ? '差戻し中（再提出なし）' : '未提出');
      }
      const consolidated = consolidatePlan(snapshot.plan, year, answers);
      const xlsx = await storeFile(
        store,
        cycleKeys(cycleId).consolidatedTable('xlsx'),
        await writeConsolidatedWorkbook({
          plan: consolidated,
          year,
          notes,
          notReturned: notReturned.map((id) => ({ divisionId: id, divisionName: divisionById(snapshot.directory, id).name })),
        }),
      );
      const csv = await storeFile(store, cycleKeys(cycleId).consolidatedTable('csv'), writeConsolidatedCsv(consolidated, year, notes));
      await writeConsolidatedPlan(store, cycleId, consolidated);

      // The year's results become the next version of the master in use, so next year's
      // sheets are prefilled with them.
      const next = await updatePlan(store, (current) => ({ ...consolidatePlan(current, year, answers), version: current.version + 1 }));

      const result: CloseResult = {
        closedBy: input.closedBy,
        closedAt: input.closedAt,
        planVersion: next.version,
        returned: returned.length,
        notReturned,
        consolidatedXlsx: xlsx,
        consolidatedCsv: csv,
      };
      // What `cycle status` shows once the namespace no longer keeps the workflow.
      const final: CycleStatus = { ...status, phase: 'closed', result };
      await writeCloseResult(store, cycleId, final, result);
      return result;
    },

        async startArchiver(input: { cycleId: string }): Promise<void> {
      await tolerateDone(() =>
        client.workflow.start('archiveWorkflow', {
          workflowId: archiveWorkflowId(input.cycleId),
          taskQueue: TASK_QUEUE,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        }),
      );
    },

    async archiveFinishedCycle(input: { cycleId: string }): Promise<{ dir: string; entries: number }> {
      try {
        const { dir, manifest } = await archiveCycle(client, {
          dataDir,
          cycleId: input.cycleId,
          signingKey: await loadSigningKey(dataDir),
          progress: (done, total) => Context.current().heartbeat(`${done}/${total ?? '…'}`),
        });
        return { dir, entries: manifest.entries.length };
      } catch (err) {
        // Retried with backoff until the cycle's division workflows have all taken their close.
        if (err instanceof CycleNotFinished) throw ApplicationFailure.retryable(err.message, 'CycleNotFinished');
        throw err;
      }
    },

    /**
     * Recipients by division. While the table is small every division gets it whole; past
     * `resultTableAttachedUpTo` each gets its own rows and the summary in the mail, and the
     * table stays with the reform office (its page, the archive).
     */
    async mailConsolidatedTable(input: { cycleId: string; divisionIds: string[]; result: CloseResult }): Promise<Record<string, string[]>> {
      const snapshot = await loadSnapshot(store, input.cycleId);
      const attached = input.result.consolidatedXlsx.bytes <= resultTableAttachedUpTo;
      const table = attached ? await readRef(store, input.result.consolidatedXlsx) : undefined;
      const consolidated = attached ? undefined : await loadConsolidated(store, input.cycleId, snapshot.year);
      const recipients: Record<string, string[]> = {};
      await concurrently(input.divisionIds, MAX_SMTP_CONNECTIONS, async (divisionId) => {
        const digest = consolidated && {
          items: sheetItems({ ...snapshot, plan: consolidated.plan }, divisionId).map(({ item, role }) => ({
            no: item.no,
            initiative: item.initiative,
            ...yearAnswerText(consolidated.plan, item, snapshot.year),
            answers: role === 'answer',
          })),
          summary: consolidated.summary,
          tableBytes: input.result.consolidatedXlsx.bytes,
        };
        const { subject, text } = resultMail(mailContext(snapshot, divisionId), { returned: input.result.returned, notReturned: input.result.notReturned.length, digest });
        const { from, to } = await addresses(snapshot, divisionId);
        const receipt = await mailer.sendOnce(store, input.cycleId, {
          key: outboxKey({ kind: 'result', divisionId }),
          from,
          to: [to],
          subject,
          text,
          attachments: table ? [{ filename: `${snapshot.year}実施状況_取りまとめ.xlsx`, content: table }] : [],
        });
        recipients[divisionId] = receipt.to;
      });
      return recipients;
    },
  };
}

/**
 * What the close counts. An indexed cycle's divisions, told to close, end with their statuses as
 * their results: each is read as it ends, and nothing a division accepted is missed. A cycle
 * that is not indexed holds the statuses reported to it.
 */
async function closingStatus(client: Client, cycleId: string): Promise<CycleStatus> {
  const launched = await readCycleStatus(client, cycleId, { asLaunched: true });
  if (!launched.indexed) return readCycleStatus(client, cycleId);
  const ended = new Map<string, DivisionStatus>();
  await concurrently(launched.divisions, PARALLEL_CALLS, async ({ divisionId }) => {
    const division: DivisionStatus = await client.workflow.getHandle(divisionWorkflowId(cycleId, divisionId)).result();
    // The status shows a division that had nothing to count as it stood before the close, as a cycle's own copy did.
    ended.set(divisionId, division.state === 'closed' ? { ...division, state: division.role === 'answer' ? 'waiting' : 'informed' } : division);
    Context.current().heartbeat(divisionId);
  });
  return { ...launched, divisions: launched.divisions.map((d) => ended.get(d.divisionId)!) };
}

/** The largest consolidated table that every division gets attached to its result mail. */
export const RESULT_TABLE_ATTACHED_UP_TO = 256 * 1024;

// The mails of a close go out in batches of one cycle: its consolidated plan and summary are read once.
let lastConsolidated: { key: string; value: Promise<{ plan: Plan; summary: AreaSummary }> } | undefined;

function loadConsolidated(store: ObjectStore, cycleId: string, year: string): Promise<{ plan: Plan; summary: AreaSummary }> {
  const key = `${store.location}|${cycleId}`;
  if (lastConsolidated?.key !== key) {
    const value = readConsolidatedPlan(store, cycleId).then((plan) => ({ plan, summary: areaSummary(plan, year) }));
    value.catch(() => (lastConsolidated = undefined));
    lastConsolidated = { key, value };
  }
  return lastConsolidated.value;
}

export type Activities = ReturnType<typeof createActivities>;

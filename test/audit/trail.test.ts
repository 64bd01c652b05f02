import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import type { MailReceipt } from '../../activities/mailer';
import { type CycleHistories, workflowTypeOf } from '../../audit/histories';
import { buildTrail, TRAIL_HEADERS, TRAIL_SHEET, type TrailEntry, trailCsv, trailWorkbook } from '../../audit/trail';
import { HISTORIES_DIR } from '../support/histories';

/**
 * The expectations are read from the fixtures' JSON as `temporal workflow show` wrote it
 * (base64 payloads, times with nanoseconds), not through the proto objects the trail reads.
 */

interface RawPayloads {
  payloads: Array<{ metadata: Record<string, string>; data: string }>;
}
type RawEvent = { eventId: string; eventTime: string } & Record<string, any>;
type Raw = Record<string, RawEvent[]>;

/** A payload's value; `binary/null` ones (the results of activities that return nothing) carry no data. */
const decode = (p: RawPayloads): any => {
  const data = p.payloads[0]?.data;
  return data === undefined ? null : JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
};
const encode = (value: unknown): RawPayloads => ({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(value)).toString('base64') }] });
/** `12:52:45.988421570Z` read as the millisecond it falls in. */
const iso = (eventTime: string) => new Date(eventTime.replace(/(\.\d{3})\d*/, '$1')).toISOString();
/** How the trail writes an instant for Tokyo readers. */
const tokyo = (instant: string) => new Date(Date.parse(instant) + 9 * 3600_000).toISOString().replace('Z', '+09:00');

function readScenario(scenario: string, version = 'v3'): Raw {
  const dir = join(HISTORIES_DIR, version, scenario);
  return Object.fromEntries(readdirSync(dir).map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')).events as RawEvent[]]));
}

function histories(raw: Raw): CycleHistories {
  return {
    cycleId: 'cycle-arao-R4',
    histories: Object.entries(raw).map(([workflowId, events]) => {
      const history = historyFromJSON({ events });
      return { workflowId, workflowType: workflowTypeOf(history), history };
    }),
  };
}

/** Each activity of a name, with its input and the event that completed it. */
function activities(events: RawEvent[], name: string) {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType.name === name)
    .map((scheduled) => {
      const completed = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId === scheduled.eventId)!;
      return { scheduled, completed, input: decode(scheduled.activityTaskScheduledEventAttributes.input), result: completed && decode(completed.activityTaskCompletedEventAttributes.result) };
    });
}

function updates(events: RawEvent[], name: string) {
  return events
    .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest.input.name === name)
    .map((accepted) => {
      const request = accepted.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const completed = events.find((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta.updateId === request.meta.updateId);
      return { accepted, arg: decode(request.input.args), outcome: completed && decode(completed.workflowExecutionUpdateCompletedEventAttributes.outcome.success) };
    });
}

function signals(events: RawEvent[], name: string) {
  return events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name).map((event) => ({ event, arg: decode(event.workflowExecutionSignaledEventAttributes.input) }));
}

const divisionOf = (workflowId: string) => workflowId.replace('division-arao-R4-', '');
const divisionWorkflows = (raw: Raw) => Object.keys(raw).filter((id) => id.startsWith('division-'));
const find = (trail: TrailEntry[], where: Partial<TrailEntry>) => trail.filter((e) => Object.entries(where).every(([k, v]) => e[k as keyof TrailEntry] === v));

describe('the audit trail of the r4-replay histories', () => {
  const raw = readScenario('r4-replay');
  const trail = buildTrail(histories(raw));

  it('has the launch with who launched it', () => {
    const started = decode(raw['cycle-arao-R4']![0]!.workflowExecutionStartedEventAttributes.input);
    expect(find(trail, { kind: 'launch' })).toEqual([expect.objectContaining({ divisionId: '', actor: started.launchedBy, eventId: 1, at: iso(raw['cycle-arao-R4']![0]!.eventTime) })]);
  });

  it('has each request mail, when it was sent, with the sheet it attached', () => {
    for (const workflowId of divisionWorkflows(raw)) {
      const mails = activities(raw[workflowId]!, 'sendRequestMail');
      expect(mails.length).toBeGreaterThan(0);
      expect(find(trail, { kind: 'requestMail', divisionId: divisionOf(workflowId) })).toEqual(
        mails.map((m) => expect.objectContaining({ workflowId, at: iso(m.completed.eventTime), eventId: Number(m.completed.eventId), fileSha256: m.input.sheet.sha256, result: '送信済み' })),
      );
    }
  });

  it('has each return received with its channel, submitter, file hash and name', () => {
    let returns = 0;
    for (const workflowId of divisionWorkflows(raw)) {
      const submitted = updates(raw[workflowId]!, 'submitReturn');
      returns += submitted.length;
      // What the workflow handed its check is what was received.
      const checked = activities(raw[workflowId]!, 'checkReturn').map((c) => c.input.submission);
      expect(submitted.map((s) => s.arg)).toEqual(checked);
      expect(find(trail, { kind: 'returnReceived', divisionId: divisionOf(workflowId) })).toEqual(
        checked.map((s) =>
          expect.objectContaining({ channel: s.channel, actor: s.submittedBy, fileSha256: s.file.sha256, fileName: s.fileName }),
        ),
      );
      expect(find(trail, { kind: 'returnReceived', divisionId: divisionOf(workflowId) }).map((e) => e.at)).toEqual(submitted.map((s) => iso(s.accepted.eventTime)));
    }
    expect(returns).toBe(8);
  });

  it('has each check with its result and every problem and warning, cells included', () => {
    for (const workflowId of divisionWorkflows(raw)) {
      const checks = activities(raw[workflowId]!, 'checkReturn');
      const entries = find(trail, { kind: 'checkResult', divisionId: divisionOf(workflowId) });
      expect(entries.map((e) => [e.at, e.fileSha256, e.result])).toEqual(
        checks.map((c) => [iso(c.completed.eventTime), c.input.submission.file.sha256, !c.result.ok ? '不備' : c.result.warnings.length ? '確認事項あり' : '受付']),
      );
      checks.forEach((c, i) => {
        for (const problem of [...c.result.problems, ...c.result.warnings]) {
          expect(entries[i]!.details).toContain(problem.message);
          if (problem.cell) expect(entries[i]!.details).toContain(problem.cell);
        }
      });
    }
    const zaisei = find(trail, { kind: 'checkResult', divisionId: 'zaisei' });
    expect(zaisei.map((e) => e.result)).toEqual(['不備', '不備', '受付']);
    expect(zaisei[1]!.details).toMatch(/セル K13.*\n.*セル O13/);
    expect(find(trail, { kind: 'checkResult', divisionId: 'kurashi' })[0]).toMatchObject({ result: '確認事項あり', details: expect.stringContaining('セル O11') });
  });

  it('has the explanation a return came with', () => {
    const [, second] = updates(raw['division-arao-R4-kurashi']!, 'submitReturn');
    const [no, text] = Object.entries(second!.arg.explanations as Record<string, string>)[0]!;
    expect(find(trail, { kind: 'returnReceived', divisionId: 'kurashi' })[1]!.details).toContain(`説明（整理番号${no}）: ${text}`);
  });

  it('has the send-back with who sent it back, each comment and the mail it sent', () => {
    const [sendBack] = updates(raw['division-arao-R4-somu']!, 'sendBack');
    const [mail] = activities(raw['division-arao-R4-somu']!, 'sendBack');
    const [entry, ...more] = find(trail, { kind: 'sendBack' });
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ divisionId: 'somu', actor: sendBack!.arg.actor, at: iso(sendBack!.accepted.eventTime), eventId: Number(sendBack!.accepted.eventId), result: '送信済み' });
    for (const [no, comment] of Object.entries(sendBack!.arg.comments as Record<string, string>)) expect(entry!.details).toContain(`整理番号${no}: ${comment}`);
    expect(entry!.details).toContain(`第${mail!.input.sheetVersion}版`);
    expect(entry!.details).toContain(tokyo(iso(mail!.completed.eventTime)));
  });

  it('has the close with who closed and the table hashes, and the table mailed to every division', () => {
    const cycle = raw['cycle-arao-R4']!;
    const [close] = updates(cycle, 'closeCycle');
    const [table] = activities(cycle, 'mailConsolidatedTable');
    const result = activities(cycle, 'consolidateCycle')[0]!.result;
    expect(find(trail, { kind: 'close' })).toEqual([
      expect.objectContaining({ divisionId: '', actor: close!.arg.actor, at: iso(close!.accepted.eventTime), fileSha256: result.consolidatedXlsx.sha256 }),
    ]);
    expect(find(trail, { kind: 'close' })[0]!.details).toContain(result.consolidatedCsv.sha256);
    const mailed = find(trail, { kind: 'resultMail' });
    expect(mailed.map((e) => e.divisionId)).toEqual(table!.input.divisionIds);
    for (const entry of mailed) expect(entry).toMatchObject({ at: iso(table!.completed.eventTime), fileSha256: result.consolidatedXlsx.sha256, recipients: [] });
  });

  it('keeps each division together, the cycle first, in order of time', () => {
    const divisions = trail.map((e) => e.divisionId);
    expect(divisions).toEqual([...divisions].sort());
    expect(divisions[0]).toBe('');
    trail.forEach((e, i) => {
      const next = trail[i + 1];
      if (next?.divisionId === e.divisionId) expect(Date.parse(next.at)).toBeGreaterThanOrEqual(Date.parse(e.at));
    });
  });
});

describe('the audit trail of histories whose returns were checked in the update\'s own task (v9)', () => {
  const raw = readScenario('r4-replay', 'v9');
  const trail = buildTrail(histories(raw));

  it('has each check with the outcome its update answered, problems, warnings and cells included', () => {
    let checked = 0;
    for (const workflowId of divisionWorkflows(raw)) {
      // Checked locally: no activity was scheduled for any return, the update's outcome is the result.
      expect(activities(raw[workflowId]!, 'checkReturn')).toEqual([]);
      const submitted = updates(raw[workflowId]!, 'submitReturn');
      checked += submitted.length;
      const completedAt = (s: (typeof submitted)[number]) =>
        iso(raw[workflowId]!.find((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta.updateId === s.accepted.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.meta.updateId)!.eventTime);
      const entries = find(trail, { kind: 'checkResult', divisionId: divisionOf(workflowId) });
      expect(entries.map((e) => [e.at, e.fileSha256, e.fileName, e.channel, e.result])).toEqual(
        submitted.map((s) => [completedAt(s), s.arg.file.sha256, s.arg.fileName, s.arg.channel, { refused: '不備', held: '確認事項あり', accepted: '受付' }[s.outcome.status as string]]),
      );
      submitted.forEach((s, i) => {
        expect(entries[i]!.details).toContain(`${s.outcome.attempt}回目の提出を確認`);
        for (const problem of [...s.outcome.problems, ...s.outcome.warnings]) {
          expect(entries[i]!.details).toContain(problem.message);
          if (problem.cell) expect(entries[i]!.details).toContain(problem.cell);
        }
      });
    }
    expect(checked).toBe(9);
    expect(find(trail, { kind: 'checkResult', divisionId: 'zaisei' }).map((e) => e.result)).toEqual(['不備', '不備', '受付']);
    expect(find(trail, { kind: 'checkResult', divisionId: 'kurashi' })[0]).toMatchObject({ result: '確認事項あり', details: expect.stringContaining('セル O11') });
  });

  it('says so when a check failed for good and its update with it', () => {
    const raw = readScenario('r4-replay', 'v9');
    const [first] = updates(raw['division-arao-R4-somu']!, 'submitReturn');
    const updateId = first!.accepted.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.meta.updateId;
    const completed = raw['division-arao-R4-somu']!.find((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta.updateId === updateId)!;
    completed.workflowExecutionUpdateCompletedEventAttributes.outcome = { failure: { message: '読み取りが時間内に終わりませんでした' } };
    const trail = buildTrail(histories(raw));
    expect(find(trail, { kind: 'checkResult', divisionId: 'somu' })[0]).toMatchObject({ result: '確認できず', details: expect.stringContaining('読み取りが時間内に終わりませんでした') });
    expect(find(trail, { kind: 'returnReceived', divisionId: 'somu' })[0]!.result).toBe('処理失敗: 読み取りが時間内に終わりませんでした');
  });
});

describe('the audit trail of the ladder histories', () => {
  const raw = readScenario('ladder');
  const trail = buildTrail(histories(raw));
  const ROLES: Record<string, string> = { division: '担当課', divisionHead: '課長', departmentHead: '部長', reformOfficeHead: '行革担当課長' };

  it('has each rung mail with its kind and the recipients its rung names', () => {
    let rungs = 0;
    for (const workflowId of divisionWorkflows(raw)) {
      const mails = activities(raw[workflowId]!, 'sendRungMail');
      rungs += mails.length;
      const entries = trail.filter((e) => e.divisionId === divisionOf(workflowId) && ['reminder', 'overdue', 'escalation'].includes(e.kind));
      expect(entries).toEqual(
        mails.map((m) =>
          expect.objectContaining({
            kind: m.input.rung.kind,
            at: iso(m.completed.eventTime),
            recipients: m.input.rung.to.map((r: string) => ROLES[r]),
            cc: m.input.rung.cc.map((r: string) => ROLES[r]),
          }),
        ),
      );
    }
    expect(rungs).toBe(10);
    expect(find(trail, { divisionId: 'zaisei', kind: 'escalation' }).map((e) => [e.recipients, e.cc])).toEqual([
      [['部長'], ['課長']],
      [['行革担当課長'], ['部長']],
    ]);
    const labels = (kind: string) => trailCsv(find(trail, { divisionId: 'zaisei', kind: kind as TrailEntry['kind'] })).split('\r\n').slice(1, -1).map((line) => line.split(',')[2]);
    expect([labels('reminder'), labels('overdue'), labels('escalation')]).toEqual([['督促', '督促'], ['期限超過'], ['上長報告', '上長報告']]);
  });

  it('has the manual reminder with who asked for it, when the mail went', () => {
    const [signal] = signals(raw['division-arao-R4-shuno']!, 'remindNow');
    const [mail] = activities(raw['division-arao-R4-shuno']!, 'sendManualReminder');
    expect(find(trail, { kind: 'manualReminder' })).toEqual([
      expect.objectContaining({ divisionId: 'shuno', actor: signal!.arg.actor, at: iso(mail!.completed.eventTime), result: '送信済み' }),
    ]);
  });

  it('has every deadline change and the excuse with who made them', () => {
    for (const workflowId of divisionWorkflows(raw)) {
      const extended = signals(raw[workflowId]!, 'extendDeadline');
      const entries = find(trail, { kind: 'extension', divisionId: divisionOf(workflowId) });
      expect(entries.map((e) => [e.at, e.actor])).toEqual(extended.map((s) => [iso(s.event.eventTime), s.arg.actor]));
      entries.forEach((e, i) => expect(e.details).toContain(tokyo(extended[i]!.arg.deadline)));
    }
    expect(find(trail, { kind: 'extension', divisionId: 'shuno' })).toHaveLength(2);
    const [excuse] = signals(raw['division-arao-R4-kaikei']!, 'excuse');
    expect(find(trail, { kind: 'excuse' })).toEqual([expect.objectContaining({ divisionId: 'kaikei', actor: excuse!.arg.actor, result: '免除', details: expect.stringContaining(excuse!.arg.reason) })]);
  });

  it('has each reassignment in the timelines of both divisions, with who made it', () => {
    const moves = updates(raw['cycle-arao-R4']!, 'reassignItem');
    expect(moves).toHaveLength(2);
    for (const move of moves) {
      const entries = trail.filter((e) => e.kind === 'reassign' && e.eventId === Number(move.accepted.eventId));
      expect(entries.map((e) => e.divisionId).sort()).toEqual([move.arg.divisionId, move.outcome.from].sort());
      for (const entry of entries) expect(entry).toMatchObject({ actor: move.arg.actor, details: expect.stringContaining(`整理番号${move.arg.no}`) });
    }
  });

  it('has the new sheet mailed after a reassignment', () => {
    const [, resent] = activities(raw['division-arao-R4-zaisei']!, 'sendRequestMail');
    expect(find(trail, { kind: 'requestMail', divisionId: 'zaisei' })[1]).toMatchObject({ fileSha256: resent!.input.sheet.sha256, details: expect.stringContaining('第2版') });
  });
});

describe('mails whose activities returned a receipt', () => {
  const receipt = (to: string[], cc: string[], sha256: string): MailReceipt => ({
    key: 'k',
    messageId: '<cycle-arao-R4.k@city.arao.example>',
    to,
    cc,
    attachments: sha256 ? [{ filename: 'R4取組状況_財政課.xlsx', sha256 }] : [],
    sentAt: '2026-11-26T13:18:42.700Z',
    repeated: false,
  });
  /** A scenario's histories with each completed activity of a name given the result `result` makes of its input. */
  function withResults(scenario: string, name: string, result: (input: any) => unknown): Raw {
    const raw = readScenario(scenario);
    for (const events of Object.values(raw)) {
      for (const a of activities(events, name)) a.completed.activityTaskCompletedEventAttributes.result = encode(result(a.input));
    }
    return raw;
  }

  it('gives the recipients, the attachment and the Message-ID from the receipt', () => {
    const trail = buildTrail(histories(withResults('ladder', 'sendRequestMail', (input) => receipt(['zaisei@city.arao.example'], [], input.sheet.sha256))));
    for (const entry of find(trail, { kind: 'requestMail' })) {
      expect(entry).toMatchObject({ recipients: ['zaisei@city.arao.example'], cc: [], fileName: 'R4取組状況_財政課.xlsx' });
      expect(entry.details).toContain('Message-ID: <cycle-arao-R4.k@city.arao.example>');
    }
  });

  it('takes a rung mail\'s addresses from its receipt rather than the roles of its rung', () => {
    const trail = buildTrail(histories(withResults('ladder', 'sendRungMail', (input) => receipt([`${input.rung.to[0]}@city.arao.example`], ['head@city.arao.example'], ''))));
    const rungs = find(trail, { divisionId: 'zaisei', kind: 'escalation' });
    expect(rungs.map((e) => [e.recipients, e.cc])).toEqual([
      [['departmentHead@city.arao.example'], ['head@city.arao.example']],
      [['reformOfficeHead@city.arao.example'], ['head@city.arao.example']],
    ]);
  });

  it('gives a send-back the recipients of its mail and the hash of the new sheet it attached', () => {
    const newSheet = 'b'.repeat(64);
    const trail = buildTrail(histories(withResults('r4-replay', 'sendBack', () => receipt(['somu@city.arao.example'], [], newSheet))));
    expect(find(trail, { kind: 'sendBack' })).toEqual([expect.objectContaining({ recipients: ['somu@city.arao.example'], fileSha256: newSheet, fileName: 'R4取組状況_財政課.xlsx' })]);
  });

  it('gives a manual reminder the recipients of its mail', () => {
    const trail = buildTrail(histories(withResults('ladder', 'sendManualReminder', () => receipt(['shuno@city.arao.example'], [], ''))));
    expect(find(trail, { kind: 'manualReminder' })[0]!.recipients).toEqual(['shuno@city.arao.example']);
  });

  it('gives each division the recipients the table mail recorded', () => {
    const raw = readScenario('r4-replay');
    const [table] = activities(raw['cycle-arao-R4']!, 'mailConsolidatedTable');
    const sent = Object.fromEntries((table!.input.divisionIds as string[]).map((id) => [id, [`${id}@city.arao.example`]]));
    table!.completed.activityTaskCompletedEventAttributes.result = encode(sent);
    for (const entry of find(buildTrail(histories(raw)), { kind: 'resultMail' })) expect(entry.recipients).toEqual([`${entry.divisionId}@city.arao.example`]);
  });
});

describe('what the trail makes of histories the fixtures do not show', () => {
  it('names the cell of a problem whose message does not', () => {
    const raw = readScenario('r4-replay');
    const [check] = activities(raw['division-arao-R4-somu']!, 'checkReturn');
    check!.completed.activityTaskCompletedEventAttributes.result = encode({ ok: false, problems: [{ code: 'unknown-mark', message: '記号が使えません', cell: 'P12', no: 5 }], warnings: [] });
    expect(find(buildTrail(histories(raw)), { kind: 'checkResult', divisionId: 'somu' })[0]!.details).toContain('不備: セル P12: 記号が使えません');
  });

  it('says so when a check failed for good', () => {
    const raw = readScenario('r4-replay');
    const [check] = activities(raw['division-arao-R4-somu']!, 'checkReturn');
    const { scheduledEventId, startedEventId } = check!.completed.activityTaskCompletedEventAttributes;
    delete check!.completed.activityTaskCompletedEventAttributes;
    Object.assign(check!.completed, { eventType: 'EVENT_TYPE_ACTIVITY_TASK_FAILED', activityTaskFailedEventAttributes: { failure: { message: '読み取りが時間内に終わりませんでした' }, scheduledEventId, startedEventId } });
    expect(find(buildTrail(histories(raw)), { kind: 'checkResult', divisionId: 'somu' })[0]).toMatchObject({ result: '確認できず', details: expect.stringContaining('読み取りが時間内に終わりませんでした') });
  });

  it('keeps a reminder asked for that sent nothing, and an excuse that changed nothing', () => {
    const raw = readScenario('ladder');
    const [mail] = activities(raw['division-arao-R4-shuno']!, 'sendManualReminder');
    raw['division-arao-R4-shuno'] = raw['division-arao-R4-shuno']!.filter((e) => e !== mail!.scheduled && e.activityTaskStartedEventAttributes?.scheduledEventId !== mail!.scheduled.eventId && e !== mail!.completed);
    const [excuse] = signals(raw['division-arao-R4-kaikei']!, 'excuse');
    // The report of the excuse to the cycle is what shows the division owed a return.
    raw['division-arao-R4-kaikei'] = raw['division-arao-R4-kaikei']!.filter((e) => !(e.signalExternalWorkflowExecutionInitiatedEventAttributes && Number(e.eventId) > Number(excuse!.event.eventId) && Number(e.eventId) < Number(excuse!.event.eventId) + 6));
    const trail = buildTrail(histories(raw));
    expect(find(trail, { kind: 'manualReminder' })).toEqual([expect.objectContaining({ divisionId: 'shuno', at: iso(signals(raw['division-arao-R4-shuno']!, 'remindNow')[0]!.event.eventTime), result: '送信なし（回答待ちでない）' })]);
    expect(find(trail, { kind: 'excuse' })[0]!.result).toBe('対象外（回答待ちでない）');
  });
});

describe('the trail as CSV and as a workbook', () => {
  const hostile: TrailEntry = {
    at: '2026-11-26T12:52:43.466Z',
    divisionId: 'zaisei',
    workflowId: 'division-arao-R4-zaisei',
    eventId: 28,
    kind: 'returnReceived',
    actor: '@財政課',
    channel: 'mail',
    fileSha256: 'e5da244d575746232e05f64219bf2985f07ca5ce59b218406a4998ffe15db932',
    fileName: '=HYPERLINK("http://evil.example","開く")',
    result: '+1',
    details: '1行目, "引用"\n2行目',
  };

  it('writes a BOM, Japanese headers, CRLF, quotes as RFC 4180 has them and keeps formulas as text', () => {
    expect(trailCsv([hostile])).toBe(
      `\uFEFF${TRAIL_HEADERS.join(',')}\r\n` +
        [
          '2026-11-26T21:52:43.466+09:00',
          'zaisei',
          '回答受付',
          "'@財政課",
          'メール',
          '',
          '',
          `"'=HYPERLINK(""http://evil.example"",""開く"")"`,
          hostile.fileSha256,
          "'+1",
          '"1行目, ""引用""\n2行目"',
          'division-arao-R4-zaisei',
          '28',
        ].join(',') +
        '\r\n',
    );
    expect(TRAIL_HEADERS.slice(0, 4)).toEqual(['日時', '課', '種別', '実施者']);
  });

  it('round-trips through exceljs, every text a string and none a formula', async () => {
    const trail = [...buildTrail(histories(readScenario('r4-replay'))), hostile];
    const data = await trailWorkbook(trail);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet(TRAIL_SHEET)!;
    expect(sheet.getRow(1).values).toEqual([undefined, ...TRAIL_HEADERS]);
    expect(sheet.rowCount).toBe(trail.length + 1);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    trail.forEach((entry, i) => {
      const row = sheet.getRow(i + 2);
      expect([row.getCell(2).value, row.getCell(9).value ?? undefined, row.getCell(13).value]).toEqual([entry.divisionId || '（照会全体）', entry.fileSha256, entry.eventId]);
    });
    const last = sheet.getRow(trail.length + 1);
    expect(last.getCell(8).type).toBe(ExcelJS.ValueType.String);
    expect(last.getCell(8).value).toBe(hostile.fileName);
    expect(last.getCell(11).value).toBe(hostile.details);
    const xml = await (await JSZip.loadAsync(data)).file('xl/worksheets/sheet1.xml')!.async('string');
    expect(xml).not.toContain('<f>');
    expect(xml).toContain('<autoFilter ref="A1:M1"/>');
  });
});

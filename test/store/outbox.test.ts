import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleFiles } from '../../store/file-store';
import { localStore } from '../../store/local-store';
import { type OutboxMail, outboxEntries, outboxKey, parseOutboxKey, rungsReached, writeOutboxRecord } from '../../store/outbox';

const MAILS: OutboxMail[] = [
  { kind: 'request', divisionId: 'somu', sheetSha256: 'ab'.repeat(32) },
  { kind: 'sendback', divisionId: 'somu', sheetVersion: 2 },
  { kind: 'rung', divisionId: 'zaisei', rung: 3, deadline: '2023-03-31T23:59:59+09:00' },
  { kind: 'remind', divisionId: 'zaisei', seq: 1 },
  { kind: 'result', divisionId: 'kikaku' },
];

describe('the outbox key', () => {
  it('is read back as the kind and division of the mail it was built for, the rung with its deadline', () => {
    expect(MAILS.map((m) => parseOutboxKey(outboxKey(m)))).toEqual([
      { key: `request.somu.${'ab'.repeat(6)}`, kind: 'request', divisionId: 'somu', rung: undefined, deadlineDigits: undefined },
      { key: 'sendback.somu.v2', kind: 'sendback', divisionId: 'somu', rung: undefined, deadlineDigits: undefined },
      { key: 'rung.zaisei.3.202303312359590900', kind: 'rung', divisionId: 'zaisei', rung: 3, deadlineDigits: '202303312359590900' },
      { key: 'remind.zaisei.1', kind: 'remind', divisionId: 'zaisei', rung: undefined, deadlineDigits: undefined },
      { key: 'result.kikaku', kind: 'result', divisionId: 'kikaku', rung: undefined, deadlineDigits: undefined },
    ]);
  });

  it('is one per rung and deadline: an extension sends the ladder anew', () => {
    const rung = (deadline: string) => outboxKey({ kind: 'rung', divisionId: 'zaisei', rung: 1, deadline });
    expect(rung('2023-03-31T23:59:59+09:00')).not.toBe(rung('2023-04-30T23:59:59+09:00'));
  });

  it('lists what a cycle sent, every kind, and nothing that is not an outbox record', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-outbox-'));
    const store = localStore(dataDir);
    const cycleId = 'cycle-arao-R4';
    for (const mail of MAILS) {
      await writeOutboxRecord(store, cycleId, { key: outboxKey(mail), messageId: `<${outboxKey(mail)}@city.example>`, subject: '件名', to: ['a@city.example'], cc: [], attachments: [], sentAt: '2023-04-01T00:00:00Z' });
    }
    const { outbox } = cycleFiles(dataDir, cycleId);
    await mkdir(outbox, { recursive: true });
    writeFileSync(join(outbox, 'notes.txt'), '');
    writeFileSync(join(outbox, 'letter.somu.json'), '{}');
    expect((await outboxEntries(store, cycleId)).map((e) => e.kind).sort()).toEqual(['remind', 'request', 'result', 'rung', 'sendback']);
    expect(await rungsReached(store, cycleId)).toEqual(new Map([['zaisei', 3]]));
  });
});

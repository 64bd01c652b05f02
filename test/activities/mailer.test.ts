import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleFiles, sha256 } from '../../store/file-store';
import { createMailer, type Mailer } from '../../activities/mailer';
import { listSentMail, type SmtpSink, startSmtpSink } from '../../stack/smtp-sink';
import { localStore } from '../../store/local-store';

describe('the mailer', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-mailer-'));
  const sentDir = join(dataDir, 'mail', 'sent');
  let sink: SmtpSink;
  let mailer: Mailer;

  beforeAll(async () => {
    sink = await startSmtpSink({ sentDir });
    mailer = createMailer(sink.url);
  });
  afterAll(async () => {
    mailer.close();
    await sink.stop();
  });

  const mail = {
    key: 'request.somu.abc123',
    from: 'bunka-kikaku@city.arao.example',
    to: ['somu@city.arao.example'],
    subject: '【依頼】令和4年度 行政改革実施計画の取組状況について（総務課）',
    text: '総務課 御中',
    attachments: [{ filename: 'R4取組状況_総務課.xlsx', content: Buffer.from('sheet') }],
  };

  it('sends a message once however often an activity retries it, under a Message-ID derived from its key', async () => {
    const first = await mailer.sendOnce(localStore(dataDir), 'cycle-arao-R4', mail);
    expect(first).toMatchObject({ repeated: false, to: mail.to, messageId: '<cycle-arao-R4.request.somu.abc123@city.arao.example>' });
    expect(first.attachments).toEqual([{ filename: 'R4取組状況_総務課.xlsx', sha256: sha256(Buffer.from('sheet')) }]);
    expect(await mailer.sendOnce(localStore(dataDir), 'cycle-arao-R4', mail)).toEqual({ ...first, repeated: true });
    const sent = await listSentMail(sentDir);
    expect(sent).toHaveLength(1);
    const eml = readFileSync(sent[0]!, 'utf8');
    expect(eml).toContain('Message-ID: <cycle-arao-R4.request.somu.abc123@city.arao.example>');
    const record = JSON.parse(readFileSync(cycleFiles(dataDir, 'cycle-arao-R4').outboxRecord(mail.key), 'utf8'));
    expect(record).toMatchObject({ key: mail.key, to: mail.to, subject: mail.subject });
  });

  it('keeps outboxes per cycle: the same key in another cycle is another message', async () => {
    expect((await mailer.sendOnce(localStore(dataDir), 'cycle-arao-R5', mail)).repeated).toBe(false);
    expect(existsSync(cycleFiles(dataDir, 'cycle-arao-R5').outboxRecord(mail.key))).toBe(true);
    expect(await listSentMail(sentDir)).toHaveLength(2);
  });
});

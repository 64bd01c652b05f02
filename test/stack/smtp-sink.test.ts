import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { listSentMail, startSmtpSink, type SmtpSink } from '../../stack/smtp-sink';
import { tempDir } from './helpers';

const started: SmtpSink[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sink) => sink.stop()));
});

async function start(sentDir: string): Promise<SmtpSink> {
  const sink = await startSmtpSink({ sentDir });
  started.push(sink);
  return sink;
}

const reminder = {
  from: '行革担当課 <gyokaku@city.arao.example>',
  to: '総務課 <somu@city.arao.example>',
  bcc: 'kacho@city.arao.example',
  subject: '【督促】行政改革実施計画 R4 取組状況の照会',
  text: '回答期限を過ぎています。\n',
  messageId: '<cycle-r4-somu-reminder-1@torimatome.example>',
};

describe('startSmtpSink', () => {
  it('keeps the same message sent twice as two files, in arrival order', async () => {
    const sentDir = join(await tempDir(), 'mail', 'sent');
    const sink = await start(sentDir);
    expect(sink.url).toBe(`smtp://127.0.0.1:${sink.port}`);
    const transport = createTransport(sink.url);
    await transport.sendMail(reminder);
    await transport.sendMail(reminder);

    const files = await listSentMail(sentDir);
    expect(files.map((f) => basename(f))).toEqual([
      expect.stringMatching(/^000001-\d{8}T\d{9}Z-[0-9a-f]{6}\.eml$/),
      expect.stringMatching(/^000002-\d{8}T\d{9}Z-[0-9a-f]{6}\.eml$/),
    ]);
    for (const file of files) {
      const mail = await simpleParser(await readFile(file));
      expect(mail.messageId).toBe(reminder.messageId);
      expect(mail.subject).toBe(reminder.subject);
      expect(mail.text).toBe(reminder.text);
      // The Bcc recipient is only in the envelope, which the sink writes on top.
      expect(mail.headers.get('x-envelope-to')).toBe('<somu@city.arao.example>, <kacho@city.arao.example>');
      expect(mail.headers.get('x-envelope-from')).toBe('<gyokaku@city.arao.example>');
    }
  });

  it('goes on numbering after a restart on the same folder', async () => {
    const sentDir = await tempDir();
    const first = await start(sentDir);
    await createTransport(first.url).sendMail(reminder);
    await first.stop();
    // Other files beside the mail do not disturb the numbering.
    await writeFile(join(sentDir, 'notes.txt'), 'not a mail');

    const second = await start(sentDir);
    await createTransport(second.url).sendMail({ ...reminder, messageId: '<another@torimatome.example>' });
    const files = await listSentMail(sentDir);
    expect(files.map((f) => basename(f).slice(0, 7))).toEqual(['000001-', '000002-']);
    expect((await simpleParser(await readFile(files[1]!))).messageId).toBe('<another@torimatome.example>');
  });

  it('orders by arrival number past 999999', async () => {
    const sentDir = await tempDir();
    await writeFile(join(sentDir, '999999-20261126T114200123Z-aaaaaa.eml'), 'old');
    const sink = await start(sentDir);
    await createTransport(sink.url).sendMail(reminder);
    const names = (await listSentMail(sentDir)).map((f) => basename(f));
    expect(names[0]).toBe('999999-20261126T114200123Z-aaaaaa.eml');
    expect(names[1]).toMatch(/^1000000-/);
  });

  it('finds no mail in a folder that does not exist yet', async () => {
    expect(await listSentMail(join(await tempDir(), 'nothing-here'))).toEqual([]);
  });

  it('says so when its port is taken', async () => {
    const sink = await start(await tempDir());
    await expect(startSmtpSink({ sentDir: await tempDir(), port: sink.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

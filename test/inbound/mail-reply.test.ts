import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSentMail } from '../../stack/sent-mail';
import { composeReply, filledWithSeed, type OpenCycle, openR4Cycle, sendReply } from '../support/returns';
import { SmtpSession } from '../support/smtp-session';

let cycle: OpenCycle;
let port: number;
let replyTo: string;
let filled: Buffer;
const SOMU = 'somu@city.arao.example';

/** The answers torimatome sent to an address, oldest first. */
const answersTo = async (address: string) => (await readSentMail(cycle.service.sentDir)).filter((m) => m.to[0] === address && !m.subject.startsWith('【依頼】'));

async function reply(raw: Buffer, from = SOMU, to = replyTo) {
  await sendReply(port, raw, { from, to });
}

beforeAll(async () => {
  cycle = await openR4Cycle();
  port = cycle.service.channels.mail!.port;
  const request = await cycle.request('somu');
  replyTo = request.replyTo[0]!;
  filled = await filledWithSeed(request.attachments[0]!.content);
}, 180_000);

afterAll(async () => {
  await cycle?.stop();
});

describe('returns by mail reply, through the SMTP listener', () => {
  it("names the division's own return address and page in its request mail", async () => {
    const request = await cycle.request('somu');
    expect(replyTo).toMatch(/^returns\+[a-z2-7]{16}@city\.arao\.example$/);
    expect(replyTo.split('@')[0]!.length).toBeLessThan(64);
    expect(request.text).toMatch(/http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}/);
    // Every division has its own tag.
    expect((await cycle.request('zaisei')).replyTo[0]).not.toBe(replyTo);
  });

  it('changes nothing and answers clearly for a reply without a sheet, with several, or with a file of another kind; drops unanswered one from outside the city or to a forged address', async () => {
    const before = await cycle.status('somu');
    const sheet = { filename: 'somu.xlsx', content: filled };
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<none@city.arao.example>' }));
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<two@city.arao.example>', attachments: [sheet, { filename: 'memo.xlsx', content: filled }] }));
    await reply(await composeReply({ from: 'someone@example.com', to: replyTo, messageId: '<outside@example.com>', attachments: [sheet] }), 'someone@example.com');
    const forged = replyTo.replace(/\+(.)/, (_m, c: string) => `+${c === 'a' ? 'b' : 'a'}`);
    await reply(await composeReply({ from: SOMU, to: forged, messageId: '<forged@city.arao.example>', attachments: [sheet] }), SOMU, forged);
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<pdf@city.arao.example>', attachments: [{ filename: 'somu.pdf', content: Buffer.from('%PDF-1.7\n\x01\x02 binary') }] }));
    const big = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(11 * 1024 * 1024, 7)]);
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<big@city.arao.example>', attachments: [{ filename: 'somu.xlsx', content: big }] }));

    const answers = await answersTo(SOMU);
    expect(answers.map((a) => a.subject)).toEqual([
      '【添付がありません】Re: Re: 取組状況について',
      '【添付が複数あります】Re: Re: 取組状況について',
      '【要修正】Re: Re: 取組状況について',
      '【要修正】Re: Re: 取組状況について',
    ]);
    expect(answers[0]!.text).toContain('様式（Excelファイル）が添付されていませんでした');
    expect(answers[1]!.text).toContain('ファイルが2個添付されていました（somu.xlsx、memo.xlsx）');
    expect(answers[2]!.text).toContain('Excelファイル（.xlsx）として読めません');
    expect(answers[3]!.text).toContain('ファイルが大きすぎます');
    expect(answers.every((a) => a.inReplyTo !== undefined)).toBe(true);
    expect(await answersTo('someone@example.com')).toEqual([]);
    expect(await cycle.status('somu')).toEqual(before);
  }, 60_000);

  it('takes a reply with the filled sheet as the return, answers the sender, and counts the same reply delivered twice once', async () => {
    const raw = await composeReply({ from: SOMU, to: replyTo, subject: 'Re: 【依頼】取組状況', messageId: '<filled@city.arao.example>', attachments: [{ filename: '総務課.xlsx', content: filled }] });
    const answeredBefore = (await answersTo(SOMU)).length;
    await reply(raw);
    const status = await cycle.status('somu');
    expect(status.state).toBe('returned');
    expect(status.log?.at(-1)).toMatchObject({ result: 'accepted', by: SOMU });
    const answers = await answersTo(SOMU);
    expect(answers).toHaveLength(answeredBefore + 1);
    expect(answers.at(-1)!.subject).toBe('【受付】Re: Re: 【依頼】取組状況');
    expect(answers.at(-1)!.text).toContain('総務課の回答を受け付けました（1回目の提出）');
    expect(answers.at(-1)!.inReplyTo).toBe('<filled@city.arao.example>');

    await reply(raw);
    expect(await cycle.status('somu')).toEqual(status);
    expect(await answersTo(SOMU)).toHaveLength(answeredBefore + 1);
  }, 60_000);

  it("refuses a sheet with an error cell by cell, and another division's sheet sent to this address", async () => {
    const request = await cycle.request('zaisei');
    const zaiseiTo = request.replyTo[0]!;
    const somuSheet = await filledWithSeed((await cycle.request('somu')).attachments[0]!.content);
    await reply(await composeReply({ from: 'zaisei@city.arao.example', to: zaiseiTo, messageId: '<wrong@city.arao.example>', attachments: [{ filename: 'x.xlsx', content: somuSheet }] }), 'zaisei@city.arao.example', zaiseiTo);
    const answer = (await answersTo('zaisei@city.arao.example')).at(-1)!;
    expect(answer.subject).toMatch(/^【要修正】/);
    expect(answer.text).toContain('財政課の回答を受け付けられませんでした');
    expect(answer.text).toContain('総務課');
    expect((await cycle.status('zaisei')).state).toBe('waiting');
  }, 60_000);
});

describe('what the reply listener never answers (issue 11)', () => {
  const VICTIM = 'victim@third-party.example';
  const sheet = () => [{ filename: 'somu.xlsx', content: filled }];
  const keptMessages = () => readdirSync(join(cycle.service.dataDir, 'inbound', 'mail')).filter((f) => f.endsWith('.eml')).length;
  const dropped = async () => (await readFile(join(cycle.service.dataDir, 'inbound', 'dropped.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { reason: string; messageId: string });

  /** Sends over a raw SMTP session, as nodemailer would not (a null sender, a From it would not write). */
  async function deliver(raw: Buffer, envelope: { from: string; to: string }): Promise<string> {
    const { session } = await SmtpSession.open(port);
    try {
      return await session.send(envelope, raw);
    } finally {
      session.close();
    }
  }

  it('drops mail from outside the city unanswered and unkept, whichever return address it reached', async () => {
    const kept = keptMessages();
    for (const to of ['returns@city.arao.example', replyTo]) {
      const raw = await composeReply({ from: VICTIM, to, subject: 'Buy now', messageId: `<spam-${to.length}@third-party.example>`, attachments: sheet() });
      expect(await deliver(raw, { from: VICTIM, to })).toMatch(/^250 /);
    }
    expect(await answersTo(VICTIM)).toEqual([]);
    expect(keptMessages()).toBe(kept);
    expect((await dropped()).filter((d) => d.messageId.endsWith('@third-party.example>')).map((d) => d.reason)).toEqual(['outside-sender', 'outside-sender']);
  });

  it("drops unanswered a division's sheet sent by a null sender, an auto-responder or a list, or through a server outside the city", async () => {
    const before = await cycle.status('somu');
    const answered = (await answersTo(SOMU)).length;
    const compose = (id: string, headers?: Record<string, string>) => composeReply({ from: SOMU, to: replyTo, messageId: `<${id}@city.arao.example>`, attachments: sheet(), headers });
    expect(await deliver(await compose('bounce'), { from: '', to: replyTo })).toMatch(/^250 /);
    expect(await deliver(await compose('away', { 'Auto-Submitted': 'auto-replied' }), { from: SOMU, to: replyTo })).toMatch(/^250 /);
    expect(await deliver(await compose('bulk', { Precedence: 'bulk' }), { from: SOMU, to: replyTo })).toMatch(/^250 /);
    expect(await deliver(await compose('relayed'), { from: 'bounces@evil.example', to: replyTo })).toMatch(/^250 /);
    expect((await answersTo(SOMU)).length).toBe(answered);
    expect(await cycle.status('somu')).toEqual(before);
    const reasons = Object.fromEntries((await dropped()).map((d) => [d.messageId, d.reason]));
    expect([reasons['<bounce@city.arao.example>'], reasons['<away@city.arao.example>'], reasons['<bulk@city.arao.example>'], reasons['<relayed@city.arao.example>']]).toEqual([
      'null-sender',
      'auto-submitted',
      'auto-submitted',
      'outside-envelope',
    ]);
  });

  it.each([
    ['a quoted local part holding another address', '"x@evil.example,"@city.arao.example'],
    ['a quoted local part with angle brackets', '"<victim@evil.example>"@city.arao.example'],
    ['two mailboxes', 'somu@city.arao.example, victim@evil.example'],
    ['a display name hiding a second address', 'somu@city.arao.example <victim@evil.example>'],
  ])('refuses with 550, recording no attempt and mailing no one, a From with %s', async (_, from) => {
    const before = await cycle.status('somu');
    const id = `<from-${Buffer.from(from).toString('hex').slice(0, 24)}@city.arao.example>`;
    const raw = Buffer.from((await composeReply({ from: SOMU, to: replyTo, messageId: id, attachments: sheet() })).toString('latin1').replace(/^From: .*$/m, `From: ${from}`), 'latin1');
    const kept = keptMessages();
    expect(await deliver(raw, { from: SOMU, to: replyTo })).toMatch(/^550 .*From header/);
    // A server that tries again anyway is refused the same way.
    expect(await deliver(raw, { from: SOMU, to: replyTo })).toMatch(/^550 /);
    expect(keptMessages()).toBe(kept);
    expect(await cycle.status('somu')).toEqual(before);
    expect((await readSentMail(cycle.service.sentDir)).filter((m) => m.inReplyTo === id)).toEqual([]);
  });

  it('refuses with 550 a message with two From headers', async () => {
    const raw = await composeReply({ from: SOMU, to: replyTo, messageId: '<two-from@city.arao.example>', attachments: sheet() });
    const twice = Buffer.from(raw.toString('latin1').replace(/^(From: .*)$/m, `$1\r\nFrom: ${VICTIM}`), 'latin1');
    expect(await deliver(twice, { from: SOMU, to: replyTo })).toMatch(/^550 /);
    expect(await answersTo(VICTIM)).toEqual([]);
  });

  it('marks every answer it sends Auto-Submitted: auto-replied, so that no auto-responder answers back', async () => {
    // Answers are the mails that reply to one; requests, reminders and notices start a thread.
    const answers = (await readSentMail(cycle.service.sentDir)).filter((m) => m.inReplyTo !== undefined);
    expect(answers.length).toBeGreaterThan(3);
    for (const answer of answers) expect((await readFile(answer.file, 'latin1')).split('\r\n\r\n')[0]).toMatch(/^Auto-Submitted: auto-replied$/m);
  });

  it('counts the mail it dropped in cycle status, by reason, naming the last one', async () => {
    const status = await cycle.cli('cycle', 'status');
    expect(status.code).toBe(0);
    const warning = status.stdout.split('\n').find((line) => line.startsWith('⚠ 返信用アドレスに届いたメール'))!;
    expect(warning).toMatch(/^⚠ 返信用アドレスに届いたメール\d+通を、受け付けず返信もせずに破棄しました（過去30日。/);
    expect(warning).toContain('市外の差出人 3');
    expect(warning).toContain('宛先のアドレスが正しくない 1');
    expect(warning).toContain('配送エラー通知 1');
    expect(warning).toContain('自動送信のメール 2');
    expect(warning).toContain('差出人の形式が不正');
    expect(warning).toContain(join(cycle.service.dataDir, 'inbound', 'dropped.jsonl'));
    const json = JSON.parse((await cycle.cli('cycle', 'status', '--json')).stdout) as { droppedMail: Array<{ reason: string }> };
    expect(json.droppedMail.length).toBe((await dropped()).length);
  });
});

describe('returns by mail reply, once the cycle is closed', () => {
  it('answers a reply after the cycle closed that it can no longer be taken', async () => {
    const close = await cycle.cli('cycle', 'close');
    expect(close.code).toBe(0);
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<late@city.arao.example>', attachments: [{ filename: 'somu.xlsx', content: filled }] }));
    const answer = (await answersTo(SOMU)).filter((m) => m.subject.startsWith('【受付できません】')).at(-1)!;
    expect(answer.text).toContain('照会は締め切られているため、総務課の回答は受け付けられません');
  }, 120_000);
});

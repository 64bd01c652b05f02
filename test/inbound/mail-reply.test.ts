import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSentMail } from '../../stack/sent-mail';
import { composeReply, filledWithSeed, type OpenCycle, openR4Cycle, sendReply } from '../support/returns';

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

  it('changes nothing and answers clearly for a reply without a sheet, with several, from outside the city, to a forged address, or with a file of another kind', async () => {
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
      '【受付できません】Re: Re: 取組状況について',
      '【要修正】Re: Re: 取組状況について',
      '【要修正】Re: Re: 取組状況について',
    ]);
    expect(answers[0]!.text).toContain('様式（Excelファイル）が添付されていませんでした');
    expect(answers[1]!.text).toContain('ファイルが2個添付されていました（somu.xlsx、memo.xlsx）');
    expect(answers[2]!.text).toContain('宛先のアドレスが正しくないため');
    expect(answers[3]!.text).toContain('Excelファイル（.xlsx）として読めません');
    expect(answers[4]!.text).toContain('ファイルが大きすぎます');
    expect(answers.every((a) => a.inReplyTo !== undefined)).toBe(true);
    const outside = await answersTo('someone@example.com');
    expect(outside).toHaveLength(1);
    expect(outside[0]!.text).toContain('このアドレス（someone@example.com）からの提出は受け付けていません');
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

  it('answers a reply after the cycle closed that it can no longer be taken', async () => {
    const close = await cycle.cli('cycle', 'close');
    expect(close.code).toBe(0);
    await reply(await composeReply({ from: SOMU, to: replyTo, messageId: '<late@city.arao.example>', attachments: [{ filename: 'somu.xlsx', content: filled }] }));
    const answer = (await answersTo(SOMU)).filter((m) => m.subject.startsWith('【受付できません】')).at(-1)!;
    expect(answer.text).toContain('照会は締め切られているため、総務課の回答は受け付けられません');
  }, 120_000);
});

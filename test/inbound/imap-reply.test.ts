import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HANDLED_FLAG, imapMailboxFromEnv } from '../../inbound/imap-poller';
import { type Dovecot, startDovecot } from '../../stack/imap-server';
import { startChannels } from '../../stack/channels';
import { readSentMail } from '../../stack/sent-mail';
import { composeReply, filledWithSeed, type OpenCycle, openR4Cycle } from '../support/returns';

let dir: string;
let dovecot: Dovecot;
let cycle: OpenCycle;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'torimatome-imap-reply-'));
  dovecot = await startDovecot({ dir, user: 'returns', pass: 'reply-secret' });
  env = { TORIMATOME_IMAP_URL: `imap://returns:reply-secret@127.0.0.1:${dovecot.port}/INBOX` };
  cycle = await openR4Cycle(env);
}, 180_000);

afterAll(async () => {
  await cycle?.stop();
  await dovecot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The city's mail server delivering a message into the returns mailbox. */
async function deliver(raw: Buffer): Promise<void> {
  const imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.pass }, logger: false });
  await imap.connect();
  try {
    await imap.append('INBOX', raw);
  } finally {
    await imap.logout();
  }
}

async function flagged(): Promise<number> {
  const imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.pass }, logger: false });
  await imap.connect();
  try {
    await imap.mailboxOpen('INBOX');
    return ((await imap.search({ keyword: HANDLED_FLAG })) || []).length;
  } finally {
    await imap.logout();
  }
}

const answersTo = async (address: string) => (await readSentMail(cycle.service.sentDir)).filter((m) => m.to[0] === address && !m.subject.startsWith('【依頼】'));

describe('returns by mail reply, read from a real IMAP mailbox (Dovecot)', () => {
  it('takes the reply as the return, answers the sender, and after a restart of the poller takes nothing twice', async () => {
    const somu = await cycle.request('somu');
    await deliver(await composeReply({ from: 'somu@city.arao.example', to: somu.replyTo[0]!, messageId: '<imap-1@city.arao.example>', attachments: [{ filename: '総務課.xlsx', content: await filledWithSeed(somu.attachments[0]!.content) }] }));
    expect(await cycle.service.channels.imap!.pollOnce()).toBe(1);
    expect(await cycle.status('somu')).toMatchObject({ state: 'returned', attempts: 1 });
    const answers = await answersTo('somu@city.arao.example');
    expect(answers.map((a) => a.subject)).toEqual(['【受付】Re: Re: 取組状況について']);
    expect(await flagged()).toBe(1);

    // The channels (web, listener, IMAP poller) stop and start again on the same data directory and mailbox.
    await cycle.service.channels.stop();
    const restarted = await startChannels({
      dataDir: cycle.service.dataDir,
      client: cycle.client,
      smtpUrl: cycle.service.smtp.url,
      inbound: {},
      web: {},
      imap: imapMailboxFromEnv(env),
      log: () => undefined,
    });
    onTestFinished(() => restarted.stop());
    const zaisei = await cycle.request('zaisei');
    await deliver(await composeReply({ from: 'zaisei@city.arao.example', to: zaisei.replyTo[0]!, messageId: '<imap-2@city.arao.example>', attachments: [{ filename: '財政課.xlsx', content: await filledWithSeed(zaisei.attachments[0]!.content) }] }));
    expect(await restarted.imap!.pollOnce()).toBe(1);
    expect(await cycle.status('zaisei')).toMatchObject({ state: 'returned', attempts: 1 });
    expect(await cycle.status('somu')).toMatchObject({ state: 'returned', attempts: 1 });
    expect(await answersTo('somu@city.arao.example')).toHaveLength(1);
    expect(await answersTo('zaisei@city.arao.example')).toHaveLength(1);
    expect(await flagged()).toBe(2);
    expect(readdirSync(join(cycle.service.dataDir, 'inbound', 'mail')).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  }, 180_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HANDLED_FLAG, type ImapMailbox, type ImapPoller, imapMailboxFromEnv, startImapPoller } from '../../inbound/imap-poller';
import { type Dovecot, startDovecot } from '../../stack/imap-server';

let dir: string;
let dovecot: Dovecot;
const pollers: ImapPoller[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'torimatome-imap-'));
  dovecot = await startDovecot({ dir, user: 'returns', pass: 'reply-secret' });
}, 30_000);

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  await dovecot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const inMailbox = (name: string): ImapMailbox => ({ host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.user, pass: dovecot.pass, mailbox: name });

/** A division's reply as it would arrive, told apart by its Message-ID. */
function reply(id: string): string {
  return [
    'From: Somu Division <somu@city.arao.example>',
    'To: returns+abcdefghijklmnop@city.arao.example',
    `Subject: Re: status return ${id}`,
    `Message-ID: <${id}@city.arao.example>`,
    'Date: Thu, 26 Nov 2026 10:00:00 +0900',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Our return is attached.',
    '',
  ].join('\r\n');
}

const messageId = (raw: Buffer) => /^Message-ID: <([^@]+)@/im.exec(raw.toString('utf8'))?.[1] ?? '(none)';

/** A second client, as the city's mail server delivering into the mailbox. */
async function withMailbox<T>(name: string, work: (imap: ImapFlow) => Promise<T>): Promise<T> {
  const imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.pass }, logger: false });
  await imap.connect();
  try {
    if (!(await imap.list()).some((box) => box.path === name)) await imap.mailboxCreate(name);
    return await work(imap);
  } finally {
    await imap.logout();
  }
}

const deliver = (name: string, ...ids: string[]) =>
  withMailbox(name, async (imap) => {
    for (const id of ids) await imap.append(name, reply(id));
  });

/** Each message's id and flags, as the server keeps them. */
const flagsOnServer = (name: string) =>
  withMailbox(name, async (imap) => {
    const lock = await imap.getMailboxLock(name);
    try {
      const messages = await imap.fetchAll('1:*', { flags: true, source: true });
      return Object.fromEntries(messages.map((m) => [messageId(m.source!), [...(m.flags ?? [])].sort()]));
    } finally {
      lock.release();
    }
  });

async function start(name: string, handle: (raw: Buffer) => Promise<void>, log?: (line: string) => void): Promise<ImapPoller> {
  // Long enough that only pollOnce, or new mail announced by IDLE, makes a pass in a test.
  const poller = await startImapPoller({ mailbox: inMailbox(name), handle, intervalMs: 600_000, log });
  pollers.push(poller);
  return poller;
}

describe('startImapPoller against a real Dovecot', () => {
  it('hands every message over once, in arrival order, and after a restart only the new one', { timeout: 60_000 }, async () => {
    await deliver('Once', 'reply-1', 'reply-2', 'reply-3');
    const handled: string[] = [];
    const record = async (raw: Buffer) => void handled.push(messageId(raw));

    const first = await start('Once', record);
    expect(await first.pollOnce()).toBe(3);
    expect(handled).toEqual(['reply-1', 'reply-2', 'reply-3']);
    expect(await first.pollOnce()).toBe(0);
    await first.stop();
    await expect(first.pollOnce()).rejects.toThrow('stopped');

    await deliver('Once', 'reply-4');
    const second = await start('Once', record);
    expect(await second.pollOnce()).toBe(1);
    expect(handled).toEqual(['reply-1', 'reply-2', 'reply-3', 'reply-4']);

    // Marked with the service's own keyword, and still unread for a person opening the mailbox.
    expect(await flagsOnServer('Once')).toEqual({
      'reply-1': [HANDLED_FLAG],
      'reply-2': [HANDLED_FLAG],
      'reply-3': [HANDLED_FLAG],
      'reply-4': [HANDLED_FLAG],
    });
  });

  it('leaves a message whose handling failed for the next pass, and still hands over the others', { timeout: 60_000 }, async () => {
    await deliver('Failing', 'reply-a', 'reply-b', 'reply-c');
    const handled: string[] = [];
    const logs: string[] = [];
    let refuse = 'reply-b';
    const poller = await start(
      'Failing',
      async (raw) => {
        if (messageId(raw) === refuse) throw new Error('the Temporal server is unreachable');
        handled.push(messageId(raw));
      },
      (line) => logs.push(line),
    );

    expect(await poller.pollOnce()).toBe(2);
    expect(handled).toEqual(['reply-a', 'reply-c']);
    expect(logs).toContainEqual(expect.stringMatching(/handling message UID 2 failed; .*taken again.*the Temporal server is unreachable/));
    expect((await flagsOnServer('Failing'))['reply-b']).toEqual([]);

    refuse = '';
    expect(await poller.pollOnce()).toBe(1);
    expect(handled).toEqual(['reply-a', 'reply-c', 'reply-b']);
    expect(await poller.pollOnce()).toBe(0);
  });

  it('takes new mail as soon as the server announces it, without waiting for the next pass', { timeout: 60_000 }, async () => {
    const handled: string[] = [];
    await deliver('Idle');
    const poller = await start('Idle', async (raw) => void handled.push(messageId(raw)));
    expect(await poller.pollOnce()).toBe(0);

    await deliver('Idle', 'reply-x');
    await expect.poll(() => handled, { timeout: 8_000, interval: 100 }).toEqual(['reply-x']);
  });

  it('on stop, finishes the message in hand and leaves the rest for the next start', { timeout: 60_000 }, async () => {
    await deliver('Stop', 'reply-1', 'reply-2');
    const handled: string[] = [];
    let inHand!: () => void;
    const taken = new Promise<void>((resolve) => (inHand = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const poller = await start('Stop', async (raw) => {
      inHand();
      await released;
      handled.push(messageId(raw));
    });

    await taken;
    let stopped = false;
    const stopping = poller.stop().then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(handled).toEqual(['reply-1']);
    expect(await flagsOnServer('Stop')).toEqual({ 'reply-1': [HANDLED_FLAG], 'reply-2': [] });
  });

  it('comes back after the mail server restarts, and takes what arrived meanwhile', { timeout: 60_000 }, async () => {
    await deliver('Restart', 'reply-before');
    const handled: string[] = [];
    const logs: string[] = [];
    const poller = await start('Restart', async (raw) => void handled.push(messageId(raw)), (line) => logs.push(line));
    expect(await poller.pollOnce()).toBe(1);

    await dovecot.stop();
    await expect.poll(() => logs.join('\n'), { timeout: 10_000 }).toMatch(/trying again in \d+ s/);
    dovecot = await startDovecot({ dir, user: dovecot.user, pass: dovecot.pass, port: dovecot.port });
    await deliver('Restart', 'reply-after');

    await expect.poll(() => handled, { timeout: 20_000, interval: 100 }).toEqual(['reply-before', 'reply-after']);
    // Told once the pass that took them has ended, which can be a moment after the last was handled.
    await expect.poll(() => logs, { timeout: 5_000 }).toContainEqual(expect.stringContaining('back in contact with the server'));
  });

  it('refuses to start on a wrong password or an unknown mailbox, naming the mailbox', { timeout: 30_000 }, async () => {
    const handle = async () => undefined;
    await expect(startImapPoller({ mailbox: { ...inMailbox('INBOX'), pass: 'wrong' }, handle })).rejects.toThrow(
      `Cannot open the IMAP mailbox returns@127.0.0.1:${dovecot.port}/INBOX`,
    );
    await expect(startImapPoller({ mailbox: inMailbox('NoSuchBox'), handle })).rejects.toThrow(/NoSuchBox: .*Mailbox doesn't exist/);
  });
});

describe('imapMailboxFromEnv', () => {
  it('reads TORIMATOME_IMAP_URL, with the default ports and INBOX', () => {
    expect(imapMailboxFromEnv({})).toBeUndefined();
    expect(imapMailboxFromEnv({ TORIMATOME_IMAP_URL: 'imap://returns:s%3Acret@mail.city.example:1143/Replies%2F2026' })).toEqual({
      host: 'mail.city.example',
      port: 1143,
      secure: false,
      user: 'returns',
      pass: 's:cret',
      mailbox: 'Replies/2026',
    });
    expect(imapMailboxFromEnv({ TORIMATOME_IMAP_URL: 'imaps://returns%40city.example:pw@[::1]' })).toEqual({
      host: '::1',
      port: 993,
      secure: true,
      user: 'returns@city.example',
      pass: 'pw',
      mailbox: 'INBOX',
    });
    expect(imapMailboxFromEnv({ TORIMATOME_IMAP_URL: 'imap://returns:pw@mail.city.example' })?.port).toBe(143);
  });

  it('refuses a URL it cannot use, without repeating the password', () => {
    for (const url of ['https://returns:topsecret@mail.city.example/', 'imap://mail.city.example/INBOX', 'not a url topsecret']) {
      let message = '';
      try {
        imapMailboxFromEnv({ TORIMATOME_IMAP_URL: url });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^TORIMATOME_IMAP_URL is not usable \(.+\): expected imap:\/\/user:password@host:143\/INBOX/);
      expect(message).not.toContain('topsecret');
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type Handled, LISTENER_LIMITS, type ListenerLimits, listenerLimits, type MailListener, startMailListener } from '../../inbound/mail-listener';
import { SmtpSession } from '../support/smtp-session';

const RETURNS = 'returns+abcdefghijklmnop@city.arao.example';
const SOMU = 'somu@city.arao.example';
const MESSAGE = Buffer.from(`From: ${SOMU}\r\nTo: ${RETURNS}\r\nSubject: test\r\nMessage-ID: <m@city.arao.example>\r\n\r\nhello\r\n`);

let listener: MailListener | undefined;
let handled: Array<{ bytes: number; mailFrom: string; rcptTo: string[] }>;
const sessions: SmtpSession[] = [];

/** The real listener, handing each message to a recorder instead of the service. */
async function listen(limits: Partial<ListenerLimits> = {}, outcome: () => Promise<Handled> = async () => undefined): Promise<number> {
  handled = [];
  listener = await startMailListener({
    limits: { ...LISTENER_LIMITS, ...limits },
    acceptRecipient: async (address) => address.toLowerCase() === RETURNS,
    handle: async (raw, envelope) => {
      handled.push({ bytes: raw.length, ...envelope });
      return outcome();
    },
    log: () => undefined,
  });
  return listener.port;
}

async function open(port: number): Promise<SmtpSession> {
  const { session, greeting } = await SmtpSession.open(port);
  expect(greeting).toMatch(/^220 /);
  sessions.push(session);
  return session;
}

afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await listener?.stop();
  listener = undefined;
});

describe('the SMTP listener for replies: what it refuses in the session', () => {
  it('takes a message to the return address and hands it on with its envelope', async () => {
    const session = await open(await listen());
    expect(await session.send({ from: SOMU, to: RETURNS }, MESSAGE)).toMatch(/^250 /);
    expect(handled).toEqual([{ bytes: expect.any(Number), mailFrom: SOMU, rcptTo: [RETURNS] }]);
  });

  it('refuses with 550 a recipient that is not the return address: it relays for no one', async () => {
    const session = await open(await listen());
    expect(await session.command('EHLO tester.example')).toMatch(/^250/);
    expect(await session.command(`MAIL FROM:<${SOMU}>`)).toMatch(/^250 /);
    expect(await session.command('RCPT TO:<victim@third-party.example>')).toMatch(/^550 .*no such mailbox here/);
    expect(await session.command('RCPT TO:<somu@city.arao.example>')).toMatch(/^550 /);
    expect(await session.command('DATA')).toMatch(/^503 /);
    expect(handled).toEqual([]);
  });

  // smtp-server refuses what is no address at all (501); the listener what is no address a city mails from (550).
  it.each([
    ['"x@evil.example,"@city.arao.example', /^501 /],
    ['"a<b"@city.arao.example', /^501 /],
    ['somu@city..arao.example', /^501 /],
    ['somu@localhost', /^550 .*sender address not accepted/],
    ['somu@[127.0.0.1]', /^550 .*sender address not accepted/],
    ['somu@-city.arao.example', /^550 .*sender address not accepted/],
  ])('refuses for good the envelope sender %s, which no answer could be routed to', async (sender, refusal) => {
    const session = await open(await listen());
    expect(await session.send({ from: sender, to: RETURNS }, MESSAGE)).toMatch(refusal);
    expect(handled).toEqual([]);
  });

  it('takes the null sender of a bounce, which a mail server must accept', async () => {
    const session = await open(await listen());
    expect(await session.send({ from: '', to: RETURNS }, MESSAGE)).toMatch(/^250 /);
    expect(handled).toEqual([expect.objectContaining({ mailFrom: '' })]);
  });

  it('answers 550, not 451, when handling says the message can never be taken', async () => {
    const session = await open(await listen({}, async () => ({ refused: 'the From header is not one mailbox address that can be answered' })));
    expect(await session.send({ from: SOMU, to: RETURNS }, MESSAGE)).toMatch(/^550 .*From header/);
  });

  it('answers 451 when handling fails, so that the sending server tries again', async () => {
    const session = await open(await listen({}, async () => Promise.reject(new Error('Temporal is down'))));
    expect(await session.send({ from: SOMU, to: RETURNS }, MESSAGE)).toMatch(/^451 /);
  });
});

describe('the SMTP listener for replies: its limits', () => {
  it('answers 451 to a sender past its messages per hour, and still takes another sender', async () => {
    const port = await listen({ perSenderPerHour: 2 });
    const replies: string[] = [];
    for (let i = 0; i < 3; i++) replies.push(await (await open(port)).send({ from: SOMU, to: RETURNS }, MESSAGE));
    expect(replies.map((r) => r.slice(0, 3))).toEqual(['250', '250', '451']);
    expect(replies[2]).toContain('too many messages from this sender');
    expect(await (await open(port)).send({ from: 'SOMU@city.arao.example', to: RETURNS }, MESSAGE)).toMatch(/^451 /);
    expect(await (await open(port)).send({ from: 'zaisei@city.arao.example', to: RETURNS }, MESSAGE)).toMatch(/^250 /);
    expect(handled).toHaveLength(3);
  });

  it('answers 451 past the messages per minute of all senders together', async () => {
    const port = await listen({ perMinute: 3 });
    const replies: string[] = [];
    for (let i = 0; i < 4; i++) replies.push(await (await open(port)).send({ from: `sender${i}@city.arao.example`, to: RETURNS }, MESSAGE));
    expect(replies.map((r) => r.slice(0, 3))).toEqual(['250', '250', '250', '451']);
  });

  it('answers 421 to a session past the cap on sessions open at once, and takes it again once one closes', async () => {
    const port = await listen({ maxSessions: 2 });
    const held = [await open(port), await open(port)];
    const { session: third, greeting } = await SmtpSession.open(port);
    sessions.push(third);
    expect(greeting).toMatch(/^421 /);
    held[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await (await open(port)).send({ from: SOMU, to: RETURNS }, MESSAGE)).toMatch(/^250 /);
  });

  it('cuts a message off with 552 as soon as it passes the size limit, without reading the rest', async () => {
    const LIMIT = 1024 * 1024;
    const TOTAL = 64 * LIMIT;
    const session = await open(await listen({ maxMessageBytes: LIMIT }));
    for (const line of ['EHLO tester.example', `MAIL FROM:<${SOMU}>`, `RCPT TO:<${RETURNS}>`, 'DATA']) expect(await session.command(line)).toMatch(/^(250|354)/);
    const line = Buffer.from(`${'x'.repeat(998)}\r\n`);
    let sent = 0;
    while (sent < TOTAL && !session.hasReply && (await session.write(line))) sent += line.length;
    expect(await session.reply()).toMatch(/^552 .*message larger than 1048576 bytes/);
    // A sender that ignored the advertised SIZE is not read to its end: far less than it meant to send.
    expect(sent).toBeLessThan(TOTAL / 2);
    expect(handled).toEqual([]);
  });
});

describe('listenerLimits', () => {
  it('reads each limit from its variable and refuses a bad value in English', () => {
    expect(listenerLimits({})).toEqual(LISTENER_LIMITS);
    expect(listenerLimits({ TORIMATOME_MAIL_MAX_SESSIONS: '5', TORIMATOME_MAIL_PER_SENDER_PER_HOUR: '10', TORIMATOME_MAIL_PER_MINUTE: '100' })).toEqual({ ...LISTENER_LIMITS, maxSessions: 5, perSenderPerHour: 10, perMinute: 100 });
    expect(() => listenerLimits({ TORIMATOME_MAIL_PER_MINUTE: 'lots' })).toThrow('TORIMATOME_MAIL_PER_MINUTE must be a whole number of at least 1: lots');
    expect(() => listenerLimits({ TORIMATOME_MAIL_MAX_SESSIONS: '0' })).toThrow('TORIMATOME_MAIL_MAX_SESSIONS must be a whole number');
  });
});

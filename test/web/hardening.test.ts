import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleFiles } from '../../store/file-store';
import { planBeforeYear } from '../../domain/cycle';
import { cycleId, divisionWorkflowId } from '../../domain/workflow-ids';
import { FiscalYearCode } from '../../domain/fiscal-year-code';
import { Slug } from '../../domain/plan';
import { loadTokenKey, pageToken } from '../../inbound/return-tokens';
import { ADDRESS_SPACING_MS, FREE_FAILURES_PER_ADDRESS, FREE_FAILURES_PER_PAIR } from '../../web/login-throttle';
import type { OfficeContext } from '../../web/office-auth';
import { setOfficePassword } from '../../web/office-users';
import { startWebServer, trustProxySetting, type WebServer } from '../../web/server';
import { divisionStatusQuery } from '../../workflows/definitions';
import { torimatome } from '../support/cli';
import { CYCLE_ID, seedPlan } from '../support/returns';
import { startTestService, type TestService } from '../support/service';

/**
 * The web server as an outsider probes it, over real HTTP: logins fired concurrently, a
 * division id as long as the domain allows, bodies that are not multipart at all.
 */

const PASSWORD = 'kaikaku-2023-haru';
/** The longest id the domain takes, for 建築住宅課 (seeded as `kenchiku-jutaku`). */
const LONG_ID = 'kenchiku-jutaku-'.padEnd(40, 'x');

let service: TestService;
let client: Client;
/** The service's own web server, started from TORIMATOME_TRUST_PROXY=127.0.0.1. */
let web: string;
/** A second real server on the same data, with a clock the tests move, for the throttle. */
let clocked: WebServer;
let clock = Date.parse('2024-01-10T09:00:00+09:00');

beforeAll(async () => {
  service = await startTestService(planBeforeYear(seedPlan, 'R4'), { TORIMATOME_TRUST_PROXY: '127.0.0.1' });
  const directory = readFileSync(join(__dirname, '..', '..', 'seeds', 'divisions.json'), 'utf8').replaceAll('"kenchiku-jutaku"', JSON.stringify(LONG_ID));
  writeFileSync(join(service.dataDir, 'plan', 'divisions.json'), directory);
  const launch = await torimatome({ cwd: service.dataDir, dataDir: service.dataDir, actor: '文化企画課 行革担当' }, 'cycle', 'launch', '--year', 'R4', '--deadline', '2049-03-31');
  if (launch.code !== 0) throw new Error(`launch failed: ${launch.stderr}`);
  client = new Client({ connection: await Connection.connect({ address: service.server.address }), namespace: service.server.namespace });
  web = service.channels.web.url;
  await setOfficePassword(service.dataDir, 'alice', PASSWORD);
  await setOfficePassword(service.dataDir, 'bob', `${PASSWORD}-bob`);
  const tokenKey = await loadTokenKey(service.dataDir);
  const ctx: OfficeContext = { dataDir: service.dataDir, client, tokenKey, log: () => undefined, now: () => clock };
  clocked = await startWebServer(ctx, { trustProxy: trustProxySetting({ TORIMATOME_TRUST_PROXY: '127.0.0.1' }) });
}, 180_000);

afterAll(async () => {
  await clocked?.stop();
  await client?.connection.close();
  await service?.stop();
});

interface LoginForm {
  cookie: string;
  csrf: string;
}

/** The login page as a browser at `address` (behind the trusted proxy) gets it. */
async function loginForm(base: string, address: string): Promise<LoginForm> {
  const page = await fetch(`${base}/office/login`, { headers: { 'x-forwarded-for': address } });
  const cookie = page.headers.getSetCookie().find((c) => c.startsWith('torimatome_office_login='))!.split(';')[0]!;
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]! };
}

async function postLogin(base: string, address: string, form: LoginForm, user: string, password: string): Promise<{ status: number; body: string; session?: string }> {
  const response = await fetch(`${base}/office/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'x-forwarded-for': address, cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: form.csrf, user, password, next: '/office' }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith('torimatome_office='))?.split(';')[0];
  return { status: response.status, body: await response.text(), session };
}

const login = async (base: string, address: string, user: string, password: string) => postLogin(base, address, await loginForm(base, address), user, password);

/** Logins fired at once, each with its own form, as a script would. */
async function concurrently(address: string, tries: Array<{ user: string; password: string }>) {
  const forms = await Promise.all(tries.map(() => loginForm(clocked.url, address)));
  return Promise.all(tries.map((t, i) => postLogin(clocked.url, address, forms[i]!, t.user, t.password)));
}

const statuses = (responses: Array<{ status: number }>) => responses.map((r) => r.status);
const HELD = 'しばらく受け付けません|確かめている途中のため';

describe('the login throttle, against concurrent requests', () => {
  it('verifies at most the free number of wrong passwords for one user sent at once; the rest are refused with 429', async () => {
    const responses = await concurrently('10.2.0.1', Array.from({ length: 15 }, (_, i) => ({ user: 'alice', password: `wrong-password-${i}` })));
    const codes = statuses(responses);
    expect(codes.filter((c) => c === 401).length, codes.join(' ')).toBeLessThanOrEqual(FREE_FAILURES_PER_PAIR);
    expect(codes.filter((c) => c !== 401).every((c) => c === 429), codes.join(' ')).toBe(true);
    for (const r of responses.filter((r) => r.status === 429)) expect(r.body).toMatch(new RegExp(HELD));
  });

  it('verifies at most the free number of logins with different names from one address sent at once', async () => {
    const responses = await concurrently('10.2.0.2', Array.from({ length: 30 }, (_, i) => ({ user: `guess${i}`, password: 'wrong-password' })));
    const codes = statuses(responses);
    expect(codes.filter((c) => c === 401).length, codes.join(' ')).toBeLessThanOrEqual(FREE_FAILURES_PER_ADDRESS);
    expect(codes.filter((c) => c !== 401).every((c) => c === 429), codes.join(' ')).toBe(true);
  });

  it('lets the real user in from an address where others failed many times, after a short wait; a success clears only the pair', async () => {
    const shared = '10.3.0.1';
    for (let i = 0; i < FREE_FAILURES_PER_ADDRESS + 10; i++) {
      clock += ADDRESS_SPACING_MS;
      expect((await login(clocked.url, shared, `guess${i}`, 'wrong-password')).status).toBe(401);
    }
    const held = await login(clocked.url, shared, 'alice', PASSWORD);
    expect(held.status).toBe(429);
    expect(held.body).toContain(`${ADDRESS_SPACING_MS / 1000}秒ほど待ってから`);
    clock += ADDRESS_SPACING_MS;
    const alice = await login(clocked.url, shared, 'alice', PASSWORD);
    expect(alice.status, alice.body).toBe(303);
    expect(alice.session).toBeDefined();

    // Elsewhere, bob's own failures are wiped by his success: the free failures are free again.
    const own = '10.3.0.2';
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < FREE_FAILURES_PER_PAIR - 1; i++) expect((await login(clocked.url, own, 'bob', 'wrong-password')).status).toBe(401);
      expect((await login(clocked.url, own, 'bob', `${PASSWORD}-bob`)).status).toBe(303);
    }
  });

  it('tells clients behind the proxy apart by X-Forwarded-For when TORIMATOME_TRUST_PROXY names the proxy', async () => {
    for (let i = 0; i < FREE_FAILURES_PER_PAIR; i++) expect((await login(web, '10.4.0.1', 'bob', 'wrong-password')).status).toBe(401);
    expect((await login(web, '10.4.0.1', 'bob', `${PASSWORD}-bob`)).status).toBe(429);
    expect((await login(web, '10.4.0.2', 'bob', `${PASSWORD}-bob`)).status).toBe(303);
  });

  it('reads TORIMATOME_TRUST_PROXY as a boolean, a hop count or proxy addresses, and refuses anything else in plain words', () => {
    expect(trustProxySetting({})).toBe(false);
    expect(trustProxySetting({ TORIMATOME_TRUST_PROXY: 'false' })).toBe(false);
    expect(trustProxySetting({ TORIMATOME_TRUST_PROXY: 'true' })).toBe(true);
    const hops = trustProxySetting({ TORIMATOME_TRUST_PROXY: '2' }) as (address: string, hop: number) => boolean;
    expect([hops('10.0.0.1', 0), hops('10.0.0.1', 1), hops('10.0.0.1', 2)]).toEqual([true, true, false]);
    expect(trustProxySetting({ TORIMATOME_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1,fd00::/8,loopback' })).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback']);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example', '10.0.0.1,', '-1']) {
      expect(() => trustProxySetting({ TORIMATOME_TRUST_PROXY: bad })).toThrow(/^TORIMATOME_TRUST_PROXY must be true, false, a hop count, or a comma-separated list/);
    }
  });
});

describe('page tokens as long as the domain allows', () => {
  const expectHtmlWithHeaders = (response: Response) => {
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  };

  it("opens the page of a division with the longest id, and takes R10's and the longest cycle's tokens to the page's own answer", async () => {
    expect(Slug.safeParse(LONG_ID).success).toBe(true);
    expect(Slug.safeParse(`${LONG_ID}x`).success).toBe(false);
    const key = await loadTokenKey(service.dataDir);
    const token = pageToken(key, { cycleId: CYCLE_ID, divisionId: LONG_ID });
    expect(token.length).toBeGreaterThan(100);
    const page = await fetch(`${web}/r/${token}`);
    expect(page.status).toBe(200);
    expectHtmlWithHeaders(page);
    expect(await page.text()).toContain('建築住宅課');

    expect(FiscalYearCode.safeParse('R181').success).toBe(true);
    expect(FiscalYearCode.safeParse('R182').success).toBe(false);
    const longest = 'a'.repeat(40);
    for (const target of [
      { cycleId: cycleId('arao', 'R10'), divisionId: LONG_ID },
      { cycleId: cycleId(longest, 'R181'), divisionId: longest },
    ]) {
      // A cycle this service never ran: the page says the link is not valid, not the router.
      const response = await fetch(`${web}/r/${pageToken(key, target)}`);
      expect(response.status).toBe(404);
      expectHtmlWithHeaders(response);
      expect(await response.text()).toContain('このリンクは使えません');
    }
  });

  it('answers a token longer than any the format allows, one longer than HTTP takes, and a broken escape, with an HTML page and the security headers', async () => {
    const long = await fetch(`${web}/r/${'a'.repeat(5_000)}.${'b'.repeat(43)}`);
    expect(long.status).toBe(404);
    expectHtmlWithHeaders(long);
    expect(await long.text()).toContain('このリンクは使えません');
    // Longer than the HTTP parser takes at all.
    const huge = await fetch(`${web}/r/${'a'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
    expectHtmlWithHeaders(huge);
    expect(await huge.text()).toContain('届いたメールのリンクをそのまま開いてください');
    const broken = await fetch(`${web}/r/abc%zz`);
    expect(broken.status).toBe(400);
    expectHtmlWithHeaders(broken);
    expect(await broken.text()).toContain('届いたメールのリンクをそのまま開いてください');
  });
});

describe('a malformed multipart body', () => {
  const MALFORMED: Array<[string, string]> = [
    ['multipart/form-data', 'no boundary given'],
    ['multipart/form-data; boundary=XYZ', '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="sheet.xlsx"\r\n\r\nPK\u0003\u0004 cut off here'],
  ];
  const status = (divisionId: string) => client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, divisionId)).query(divisionStatusQuery);

  it('is answered 400 with a Japanese page on the division page, and nothing is recorded', async () => {
    const url = `${web}/r/${pageToken(await loadTokenKey(service.dataDir), { cycleId: CYCLE_ID, divisionId: 'somu' })}`;
    const before = await status('somu');
    for (const [type, body] of MALFORMED) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(text).toContain('送られたデータを読み取れませんでした');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    expect(await status('somu')).toEqual(before);
    expect(existsSync(cycleFiles(service.dataDir, CYCLE_ID).returnRecord('somu', 1))).toBe(false);
  });

  it("is answered 400 with a Japanese page on the office's upload for a division, and nothing is recorded", async () => {
    const alice = await login(web, '10.5.0.1', 'alice', PASSWORD);
    expect(alice.status, alice.body).toBe(303);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${web}/office`, { headers: { cookie: alice.session! } })).text())![1]!;
    const before = await status('zaisei');
    const withToken = `--XYZ\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n${MALFORMED[1]![1]}`;
    for (const [type, body] of [MALFORMED[0]!, ['multipart/form-data; boundary=XYZ', withToken]] as const) {
      const response = await fetch(`${web}/office/cycles/${CYCLE_ID}/divisions/zaisei/submit`, { method: 'POST', redirect: 'manual', headers: { 'content-type': type, cookie: alice.session! }, body });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(text).toContain('送られたデータを読み取れませんでした');
      expect(text).toContain('「代理で提出する」');
    }
    expect(await status('zaisei')).toEqual(before);
    expect(existsSync(cycleFiles(service.dataDir, CYCLE_ID).returnRecord('zaisei', 1))).toBe(false);
  });
});

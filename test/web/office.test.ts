import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycleFiles } from '../../store/file-store';
import type { ReturnRecord } from '../../store/return-record';
import { outboxKey, parseOutboxKey } from '../../store/outbox';
import { submitReturn } from '../../service/submit-return';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import { escalated, progressOf } from '../../web/cycle-progress';
import type { OfficeContext } from '../../web/office-auth';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../web/office-sessions';
import { officeUsersPath } from '../../web/office-users';
import { buildWebApp } from '../../web/server';
import type { CycleStatus, DivisionStatus } from '../../workflows/definitions';
import { CYCLE_ID, type OpenCycle, openR4Cycle, seedPlan } from '../support/returns';

const BIN = join(__dirname, '..', '..', 'client', 'bin.cjs');
const PASSWORD = 'kaikaku-2023-haru';
const SCRIPT = '<script>alert(1)</script>';

let cycle: OpenCycle;
let app: FastifyInstance;
let dataDir: string;
/** Added to the real clock by the server's sessions and throttle: a test moves time on with it. */
let clockOffset = 0;
const logs: string[] = [];

/** `torimatome office passwd`, with the password piped in, in the cycle's data directory. */
function passwd(user: string, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TORIMATOME_DATA_DIR: dataDir };
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'office', 'passwd', user], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

interface Login {
  cookie: string;
  csrf: string;
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

const csrfIn = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1];

async function tryLogin(user: string, password: string, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  const page = await app.inject({ method: 'GET', url: '/office/login', remoteAddress });
  const token = page.cookies.find((c) => c.name === 'torimatome_office_login')!.value;
  return app.inject({
    method: 'POST',
    url: '/office/login',
    remoteAddress,
    cookies: { torimatome_office_login: token },
    ...form({ _csrf: csrfIn(page.body)!, user, password, next: '/office' }),
  });
}

async function login(user = 'alice', password = PASSWORD): Promise<Login> {
  const response = await tryLogin(user, password);
  expect(response.statusCode, response.body).toBe(303);
  const cookie = response.cookies.find((c) => c.name === 'torimatome_office')!.value;
  const office = await get('/office', { cookie, csrf: '' });
  return { cookie, csrf: csrfIn(office.body)! };
}

const get = (url: string, session?: Login) => app.inject({ method: 'GET', url, cookies: session ? { torimatome_office: session.cookie } : {} });

/** A form sent with the session's CSRF token, another one given, or none (null). */
const post = (url: string, session: Login | undefined, fields: Record<string, string> = {}, csrf: string | null = session?.csrf ?? null) =>
  app.inject({ method: 'POST', url, cookies: session ? { torimatome_office: session.cookie } : {}, ...form({ ...(csrf === null ? {} : { _csrf: csrf }), ...fields }) });

const divisionPage = (divisionId: string) => `/office/divisions/${divisionId}?cycle=${CYCLE_ID}`;
const action = (divisionId: string, verb: string) => `/office/cycles/${CYCLE_ID}/divisions/${divisionId}/${verb}`;

/** The notice an action leaves for the page it redirects to. */
async function flashAfter(response: LightMyRequestResponse, session: Login): Promise<string> {
  expect(response.statusCode, response.body).toBe(303);
  const page = await get(response.headers.location as string, session);
  return /<div class="notice (?:ok|bad)" role="status" id="flash">([^<]*)<\/div>/.exec(page.body)?.[1] ?? '(no notice)';
}

const seedAnswer = (no: number) => {
  const item = seedPlan.items.find((i) => i.no === no)!;
  return { values: { marks: item.values.marks!.R4 as string, statusText: item.values.statusText!.R4 as string } };
};

beforeAll(async () => {
  cycle = await openR4Cycle();
  dataDir = cycle.service.dataDir;
  const ctx: OfficeContext = { dataDir, client: cycle.client, tokenKey: randomBytes(32), log: (line) => logs.push(line), now: () => Date.now() + clockOffset };
  app = buildWebApp(ctx);
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  await cycle?.stop();
});

describe('torimatome office passwd', () => {
  it('refuses a short password and a bad name, then stores an argon2id hash readable by the owner only, and changes it when run again', async () => {
    const short = await passwd('alice', 'tanjikan\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('パスワードが短すぎます（8文字）。10文字以上にしてください。');
    const badName = await passwd('Alice Smith', `${PASSWORD}\n`);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('ユーザー名「Alice Smith」は使えません');
    expect((await passwd('alice', '\n')).stderr).toContain('パスワードが空です');
    expect(existsSync(officeUsersPath(dataDir))).toBe(false);

    const added = await passwd('alice', 'an-older-password\n');
    expect(added.stdout).toContain('ユーザー「alice」を登録しました');
    const first = JSON.parse(readFileSync(officeUsersPath(dataDir), 'utf8')).users.alice.hash as string;
    expect(first).toMatch(/^\$argon2id\$/);
    expect(readFileSync(officeUsersPath(dataDir), 'utf8')).not.toContain('an-older-password');
    expect(statSync(officeUsersPath(dataDir)).mode & 0o777).toBe(0o600);

    const changed = await passwd('alice', `${PASSWORD}\nignored second line\n`);
    expect(changed.stdout).toContain('ユーザー「alice」のパスワードを変更しました');
    expect(JSON.parse(readFileSync(officeUsersPath(dataDir), 'utf8')).users.alice.hash).not.toBe(first);
    expect((await tryLogin('alice', 'an-older-password', '10.0.0.9')).statusCode).toBe(401);
    expect((await passwd('bob', `${PASSWORD}-bob\n`)).code).toBe(0);
  });
});

describe('the login', () => {
  it('answers an unknown user and a wrong password alike, and sets no session', async () => {
    const wrong = await tryLogin('alice', 'not-the-password', '10.0.0.1');
    const unknown = await tryLogin('mallory', PASSWORD, '10.0.0.1');
    for (const response of [wrong, unknown]) {
      expect(response.statusCode).toBe(401);
      expect(response.body).toContain('ユーザー名またはパスワードが違います。');
      expect(response.cookies.find((c) => c.name === 'torimatome_office')).toBeUndefined();
    }
    expect(logs.some((l) => l.includes('failed login for "mallory"'))).toBe(true);
  });

  it('refuses a login form sent without its token', async () => {
    const response = await app.inject({ method: 'POST', url: '/office/login', ...form({ user: 'alice', password: PASSWORD }) });
    expect(response.statusCode).toBe(403);
    expect(response.cookies.find((c) => c.name === 'torimatome_office')).toBeUndefined();
  });

  it('sets a strict HttpOnly session cookie for /office, and keeps pages out of caches behind security headers', async () => {
    const response = await tryLogin('alice', PASSWORD);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/office');
    const cookie = response.cookies.find((c) => c.name === 'torimatome_office')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/office' });
    expect(Buffer.from(cookie.value, 'base64url')).toHaveLength(32);
    const page = await get('/office', { cookie: cookie.value, csrf: '' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('slows down repeated failures for a name, even with the right password, until the wait is over', async () => {
    for (let i = 0; i < 5; i++) expect((await tryLogin('bob', `wrong-${i}-password`, '10.0.0.2')).statusCode).toBe(401);
    const held = await tryLogin('bob', `${PASSWORD}-bob`, '10.0.0.2');
    expect(held.statusCode).toBe(429);
    expect(held.body).toContain('ログインの失敗が続いたため');
    // Another address is not held back by these failures.
    expect((await tryLogin('bob', `${PASSWORD}-bob`, '10.0.0.3')).statusCode).toBe(303);
    clockOffset += 2_000;
    expect((await tryLogin('bob', `${PASSWORD}-bob`, '10.0.0.2')).statusCode).toBe(303);
  });
});

describe('the reform office page, with a cycle under way', () => {
  let alice: Login;

  beforeAll(async () => {
    alice = await login();
  });

  it('shows the progress with counts, a bar and a row per division linking to its timeline', async () => {
    const page = await get('/office', alice);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('令和4年度');
    expect(page.body).toMatch(/<li data-progress="waiting"><span class="swatch s-waiting"><\/span>回答待ち \d+課<\/li>/);
    expect(page.body).toContain('<svg class="progress-bar"');
    expect(page.body).toContain(`href="/office/divisions/somu?cycle=${CYCLE_ID}"`);
    expect(page.body).toContain('総務課');
    expect((await get('/office?cycle=../../etc', alice)).statusCode).toBe(404);
  });

  it('escapes every text a sheet brings: a status text holding <script> is shown as text', async () => {
    const sheet = (await cycle.request('somu')).attachments[0]!.content;
    const filled = await fillReturnSheet(sheet, seedPlan.definition, 'R4', (no) => ({ values: { ...seedAnswer(no).values, statusText: no === 16 ? `${SCRIPT}研修を実施した。` : seedAnswer(no).values.statusText } }));
    const outcome = await submitReturn(cycle.client, dataDir, {
      cycleId: CYCLE_ID,
      divisionId: 'somu',
      file: { data: filled, fileName: '"><img src=x onerror=alert(2)>.xlsx' },
      channel: 'upload',
      submittedBy: '<b>総務課</b>',
    });
    expect(outcome).toMatchObject({ kind: 'checked', result: { status: 'accepted' } });

    const timeline = await get(divisionPage('somu'), alice);
    expect(timeline.statusCode).toBe(200);
    expect(timeline.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;研修を実施した。');
    expect(timeline.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;.xlsx');
    expect(timeline.body).toContain('&lt;b&gt;総務課&lt;/b&gt;');
    const progress = await get('/office', alice);
    for (const body of [timeline.body, progress.body]) {
      expect(body).not.toMatch(/<script|<img|<b>/i);
    }
  });

  it('counts a refused return as 不備あり and shows its problems on the timeline, though the cycle hears only of returns that change a state', async () => {
    const sheet = (await cycle.request('shimin')).attachments[0]!.content;
    const outcome = await submitReturn(cycle.client, dataDir, {
      cycleId: CYCLE_ID,
      divisionId: 'shimin',
      file: { data: await fillReturnSheet(sheet, seedPlan.definition, 'R4', () => undefined), fileName: 'shimin.xlsx' },
      channel: 'mail',
      submittedBy: 'shimin@city.arao.example',
    });
    expect(outcome).toMatchObject({ kind: 'checked', result: { status: 'refused' } });
    const progress = await get('/office', alice);
    expect(progress.body).toMatch(/<li data-progress="refused"><span class="swatch s-refused"><\/span>不備あり 1課<\/li>/);
    expect(progress.body).toMatch(/<tr id="division-shimin">.*<td>1<\/td>.*1回目の提出: 不備があり、受け付けませんでした/);
    const timeline = await get(divisionPage('shimin'), alice);
    expect(timeline.body).toContain('1回目の提出: 不備があり、受け付けませんでした</td><td>shimin@city.arao.example');
    expect(timeline.body).toContain('取組状況の記号が入力されていません');
  });

  it('refuses every action without a session or without its CSRF token, and the workflow stays as it was', async () => {
    expect((await cycle.status('somu')).state).toBe('returned');
    const before = { somu: await cycle.status('somu'), zaisei: await cycle.status('zaisei') };
    const withoutSession = await get(divisionPage('somu'));
    expect(withoutSession.statusCode).toBe(303);
    expect(withoutSession.headers.location).toBe(`/office/login?next=${encodeURIComponent(divisionPage('somu'))}`);
    expect((await get('/office')).headers.location).toBe('/office/login?next=%2Foffice');

    const bob = await login('bob', `${PASSWORD}-bob`);
    const attempts = [
      await post(action('somu', 'send-back'), undefined, { 'comment-16': '人数を書いてください' }, alice.csrf),
      await post(action('zaisei', 'excuse'), undefined, { reason: '不在' }, alice.csrf),
      await post(action('somu', 'send-back'), alice, { 'comment-16': '人数を書いてください' }, null),
      // The token with its last character changed (to one it is not: a fixed one would be it 1 time in 64).
      await post(action('somu', 'send-back'), alice, { 'comment-16': '人数を書いてください' }, `${alice.csrf.slice(0, -1)}${alice.csrf.endsWith('A') ? 'B' : 'A'}`),
      await post(action('zaisei', 'excuse'), alice, { reason: '不在' }, ''),
      // The token of another session opens nothing either.
      await post(action('zaisei', 'excuse'), alice, { reason: '不在' }, bob.csrf),
      await post(`/office/cycles/${CYCLE_ID}/close`, alice, { confirm: 'R4' }, null),
      await post('/office/logout', alice, {}, null),
    ];
    for (const response of attempts) expect(response.statusCode, response.body).toBe(403);
    expect(attempts[0]!.body).toContain('ログインしていないか');
    expect(attempts[2]!.body).toContain('このフォームは受け付けられません');

    // A signal that got through would be in the workflow within a moment.
    await sleep(1_000);
    expect({ somu: await cycle.status('somu'), zaisei: await cycle.status('zaisei') }).toEqual(before);
    expect((await get('/office', alice)).statusCode).toBe(200);
  });

  it('reminds, moves a deadline and excuses through the workflow, recording the logged-in user', async () => {
    const reminded = await post(action('zaisei', 'remind'), alice);
    expect(await flashAfter(reminded, alice)).toBe('督促のメールを送りました: 財政課（office:alice）');
    await expect.poll(() => existsSync(cycleFiles(dataDir, CYCLE_ID).outboxRecord('remind.zaisei.1')), { timeout: 20_000 }).toBe(true);

    const extended = await post(action('zaisei', 'extend'), alice, { deadline: '2049-04-30' });
    expect(await flashAfter(extended, alice)).toContain('財政課の提出期限を 令和31年4月30日（金）23:59 に変更しました（office:alice）');
    await expect.poll(async () => (await cycle.status('zaisei')).deadline, { timeout: 20_000 }).toBe('2049-04-30T23:59:59+09:00');
    expect(await flashAfter(await post(action('zaisei', 'extend'), alice, { deadline: '2049-02-30' }), alice)).toContain('新しい提出期限 は YYYY-MM-DD の形の日付で指定してください');

    const timeline = await get(divisionPage('zaisei'), alice);
    expect(timeline.body).toMatch(/督促を指示しました<\/td><td>office:alice/);
    expect(timeline.body).toMatch(/提出期限を変更しました<\/td><td>office:alice<\/td><td>新しい期限: 令和31年4月30日（金）23:59/);
    expect(timeline.body).toContain('メール（督促）');

    expect(await flashAfter(await post(action('shuno', 'excuse'), alice, { reason: '  ' }), alice)).toContain('免除の理由を入力してください');
    expect((await cycle.status('shuno')).state).toBe('waiting');
    const excused = await post(action('shuno', 'excuse'), alice, { reason: '<i>担当者の長期不在</i>' });
    expect(await flashAfter(excused, alice)).toContain('収納課の提出を免除しました（理由: &lt;i&gt;担当者の長期不在&lt;/i&gt;、office:alice）');
    await expect.poll(async () => (await cycle.status('shuno')).log, { timeout: 20_000 }).toEqual([expect.objectContaining({ result: 'excused', by: 'office:alice', note: '<i>担当者の長期不在</i>' })]);
    expect((await get(divisionPage('shuno'), alice)).body).toContain('理由: &lt;i&gt;担当者の長期不在&lt;/i&gt;');
    expect((await get('/office', alice)).body).toMatch(/<li data-progress="excused"><span class="swatch s-excused"><\/span>提出免除 1課<\/li>/);
  });

  it('sends a return back with a comment per item, and tells why it cannot when nothing was accepted', async () => {
    expect(await flashAfter(await post(action('somu', 'send-back'), alice, { 'comment-16': '   ' }), alice)).toContain('コメントを一つ以上書いてください');
    expect(await flashAfter(await post(action('zaisei', 'send-back'), alice, { 'comment-16': '数字を' }), alice)).toBe('整理番号16は財政課が回答する項目ではありません。');
    expect(await flashAfter(await post(action('zaisei', 'send-back'), alice, { 'comment-31': '数字を' }), alice)).toBe('財政課からはまだ受け付けた回答がないため、差し戻せません。');
    expect((await cycle.status('zaisei')).log).toEqual([]);

    const sentBack = await post(action('somu', 'send-back'), alice, { 'comment-16': '研修の参加人数を書いてください' });
    expect(await flashAfter(sentBack, alice)).toContain('総務課の回答を差し戻しました。コメントと前回の回答入りの様式（第2版）をメールで送りました。');
    const somu = await cycle.status('somu');
    expect(somu.state).toBe('sentBack');
    expect(somu.log?.at(-1)).toMatchObject({ result: 'sentBack', by: 'office:alice' });
    expect(await flashAfter(await post(action('somu', 'send-back'), alice, { 'comment-16': 'もう一度' }), alice)).toBe('総務課からはまだ受け付けた回答がないため、差し戻せません。');
  });

  it('hands in a sheet on a division\'s behalf, as the office, only with the CSRF token sent before the file', async () => {
    const sheet = (await cycle.request('kokyo-shisetsu')).attachments[0]!.content;
    const filled = await fillReturnSheet(sheet, seedPlan.definition, 'R4', seedAnswer);
    /** The multipart body a browser sends, its fields in the order given. */
    const upload = async (fields: Array<[string, string | Buffer]>, session: Login | null = alice) => {
      const data = new FormData();
      for (const [name, value] of fields) typeof value === 'string' ? data.append(name, value) : data.append(name, new Blob([value]), 'kokyo.xlsx');
      const request = new Request('http://office.invalid/', { method: 'POST', body: data });
      return app.inject({
        method: 'POST',
        url: action('kokyo-shisetsu', 'submit'),
        cookies: session ? { torimatome_office: session.cookie } : {},
        headers: { 'content-type': request.headers.get('content-type')! },
        payload: Buffer.from(await request.arrayBuffer()),
      });
    };
    const before = await cycle.status('kokyo-shisetsu');
    expect((await upload([['file', filled]])).statusCode).toBe(403);
    expect((await upload([['file', filled], ['_csrf', alice.csrf]])).statusCode).toBe(403);
    expect((await upload([['_csrf', 'not-the-token'], ['file', filled]])).statusCode).toBe(403);
    expect((await upload([['_csrf', alice.csrf], ['file', filled]], null)).statusCode).toBe(403);
    expect(await cycle.status('kokyo-shisetsu')).toEqual(before);

    const flash = await flashAfter(await upload([['_csrf', alice.csrf], ['file', filled]]), alice);
    expect(flash).toContain('公共施設マネジメント推進室の回答を受け付けました（1回目の提出）');
    const status = await cycle.status('kokyo-shisetsu');
    expect(status).toMatchObject({ state: 'returned', attempts: 1 });
    expect(status.log?.at(-1)).toMatchObject({ result: 'accepted', by: 'office:alice' });
    const record = JSON.parse(readFileSync(cycleFiles(dataDir, CYCLE_ID).returnRecord('kokyo-shisetsu', 1), 'utf8')) as ReturnRecord;
    expect(record.submission).toMatchObject({ channel: 'office', submittedBy: 'office:alice', fileName: 'kokyo.xlsx' });
  });

  it('closes only with the year confirmed, then serves the consolidated table as written and refuses a changed one', async () => {
    expect((await get(`/office/cycles/${CYCLE_ID}/table.xlsx`, alice)).statusCode).toBe(409);
    expect(await flashAfter(await post(`/office/cycles/${CYCLE_ID}/close`, alice, { confirm: 'R5' }), alice)).toContain('確認の欄に年度「R4」を入力してください');
    expect((await cycle.client.workflow.getHandle(CYCLE_ID).describe()).status.name).toBe('RUNNING');

    const closed = await post(`/office/cycles/${CYCLE_ID}/close`, alice, { confirm: 'R4' });
    expect(await flashAfter(closed, alice)).toMatch(/^締め切りました（office:alice）。回答 \d+ 課、未提出 \d+ 課（.+）。計画マスタを第\d+版に更新し、各課に取りまとめ表を送りました。$/);
    const page = await get('/office', alice);
    expect(page.body).toContain('締切済み');
    expect(page.body).not.toContain('/close"');

    const result = JSON.parse(readFileSync(cycleFiles(dataDir, CYCLE_ID).result, 'utf8'));
    expect(result.closedBy).toBe('office:alice');
    const xlsx = await get(`/office/cycles/${CYCLE_ID}/table.xlsx`, alice);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(xlsx.headers['content-disposition']).toBe(`attachment; filename="${CYCLE_ID}-consolidated.xlsx"`);
    expect(xlsx.rawPayload.equals(readFileSync(join(dataDir, result.consolidatedXlsx.path)))).toBe(true);
    const csv = await get(`/office/cycles/${CYCLE_ID}/table.csv`, alice);
    expect(csv.body).toContain('提出免除: <i>担当者の長期不在</i>');
    expect((await get(`/office/cycles/${CYCLE_ID}/table.csv`)).statusCode).toBe(303);

    writeFileSync(join(dataDir, result.consolidatedCsv.path), `${csv.body}改ざん\n`);
    const changed = await get(`/office/cycles/${CYCLE_ID}/table.csv`, alice);
    expect(changed.statusCode).toBe(409);
    expect(changed.body).toContain('締切のときのものと違う');
  }, 120_000);
});

describe('sessions', () => {
  it('end after 30 idle minutes', async () => {
    const session = await login();
    clockOffset += SESSION_IDLE_MS - 60_000;
    expect((await get('/office', session)).statusCode).toBe(200);
    clockOffset += SESSION_IDLE_MS - 60_000;
    expect((await get('/office', session)).statusCode).toBe(200);
    clockOffset += SESSION_IDLE_MS + 1_000;
    const expired = await get('/office', session);
    expect(expired.statusCode).toBe(303);
    expect(expired.headers.location).toBe('/office/login?next=%2Foffice&reason=expired');
    expect((await get(expired.headers.location as string)).body).toContain('ログインの有効期限が切れました');
  });

  it('end 8 hours after the login however busy, and a POST with the old token is then refused', async () => {
    const session = await login();
    const before = await cycle.status('zaisei');
    for (let elapsed = 0; elapsed < SESSION_ABSOLUTE_MS - 20 * 60_000; elapsed += 20 * 60_000) {
      clockOffset += 20 * 60_000;
      expect((await get('/office', session)).statusCode).toBe(200);
    }
    clockOffset += 25 * 60_000;
    expect((await get('/office', session)).statusCode).toBe(303);
    expect((await post(action('zaisei', 'remind'), session)).statusCode).toBe(403);
    expect(await cycle.status('zaisei')).toEqual(before);
  });

  it('end at logout', async () => {
    const session = await login();
    const out = await post('/office/logout', session);
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/office/login?reason=logout');
    expect((await get('/office', session)).statusCode).toBe(303);
  });
});

describe('where a division stands', () => {
  const status: CycleStatus = { cycleId: CYCLE_ID, year: 'R4', deadline: '2023-03-31T23:59:59+09:00', launchedBy: 'x', phase: 'open', divisions: [] };
  const division = (d: Partial<DivisionStatus>): DivisionStatus => ({ divisionId: 'zaisei', role: 'answer', state: 'waiting', attempts: 0, ...d });
  const before = Date.parse('2023-03-01T00:00:00Z');
  const after = Date.parse('2023-04-10T00:00:00Z');
  const refused = { attempt: 1, ok: false } as ReturnRecord;

  it('is waiting, refused, overdue or escalated, the worst first; returned, held and excused as they are; inform-only divisions count nowhere', () => {
    expect(progressOf(status, division({}), { escalated: false, now: before })).toBe('waiting');
    expect(progressOf(status, division({}), { escalated: false, latest: refused, now: before })).toBe('refused');
    expect(progressOf(status, division({}), { escalated: false, latest: { ...refused, ok: true }, now: before })).toBe('waiting');
    expect(progressOf(status, division({}), { escalated: false, latest: refused, now: after })).toBe('overdue');
    expect(progressOf(status, division({ deadline: '2023-04-30T23:59:59+09:00' }), { escalated: false, now: after })).toBe('waiting');
    expect(progressOf(status, division({ state: 'sentBack' }), { escalated: true, now: after })).toBe('escalated');
    expect(progressOf({ ...status, phase: 'closed' }, division({ state: 'closed' }), { escalated: false, now: before })).toBe('overdue');
    expect(progressOf(status, division({ state: 'held' }), { escalated: false, now: after })).toBe('held');
    expect(progressOf(status, division({ state: 'returned' }), { escalated: true, now: after })).toBe('returned');
    expect(progressOf(status, division({ state: 'excused' }), { escalated: false, now: after })).toBe('excused');
    expect(progressOf(status, division({ role: 'inform', state: 'closed' }), { escalated: false, now: after })).toBeUndefined();
  });

  it('is escalated only by an escalation rung sent for the deadline in force', () => {
    const rung = (n: number, deadline: string) => parseOutboxKey(outboxKey({ kind: 'rung', divisionId: 'zaisei', rung: n, deadline }))!;
    const deadline = '2023-03-31T23:59:59+09:00';
    const escalations = new Set([4, 5]);
    expect(escalated([rung(3, deadline)], escalations, 'zaisei', deadline)).toBe(false);
    expect(escalated([rung(3, deadline), rung(4, deadline)], escalations, 'zaisei', deadline)).toBe(true);
    expect(escalated([rung(4, deadline)], escalations, 'somu', deadline)).toBe(false);
    expect(escalated([rung(4, deadline)], escalations, 'zaisei', '2023-04-30T23:59:59+09:00')).toBe(false);
  });
});

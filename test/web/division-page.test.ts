import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenKey, pageToken } from '../../inbound/return-tokens';
import { fillReturnSheet, sheetValue } from '../../sheets/fill-return-sheet';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { CYCLE_ID, type OpenCycle, openR4Cycle, seedPlan } from '../support/returns';

let cycle: OpenCycle;
let browser: Browser;
let link: string;
const R4_MARK = '取組状況（R4年度末時点）';
const seedAnswer = (no: number) => {
  const item = seedPlan.items.find((i) => i.no === no)!;
  return { values: { marks: item.values.marks!.R4 as string, statusText: item.values.statusText!.R4 as string } };
};

/** The page link in a division's request mail, as the division would click it. */
async function pageLink(divisionId: string): Promise<string> {
  const m = /http:\/\/\S+\/r\/\S+/.exec((await cycle.request(divisionId)).text);
  if (!m) throw new Error(`no page link in the mail to ${divisionId}`);
  return m[0];
}

async function upload(url: string, file: Buffer, name = 'sheet.xlsx'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([file]), name);
  return fetch(url, { method: 'POST', body: form, redirect: 'manual' });
}

beforeAll(async () => {
  cycle = await openR4Cycle();
  link = await pageLink('somu');
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cycle?.stop();
});

describe("a division's own page", () => {
  it('refuses a forged link, a link whose signature was made for another division, and anything but a signed token', async () => {
    const [base, token] = link.split('/r/') as [string, string];
    const forged = `${base}/r/${token.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`)}`;
    expect((await fetch(forged)).status).toBe(404);
    const [body, mac] = link.split('/r/')[1]!.split('.');
    const zaiseiMac = (await pageLink('zaisei')).split('/r/')[1]!.split('.')[1];
    expect((await fetch(link.replace(`${body}.${mac}`, `${body}.${zaiseiMac}`))).status).toBe(404);
    // Signed with the service's own key, but for a cycle this service never ran.
    const otherCycle = pageToken(await loadTokenKey(cycle.service.dataDir), { cycleId: 'cycle-arao-R3', divisionId: 'somu' });
    expect((await fetch(`${base}/r/${otherCycle}`)).status).toBe(404);
    const page = await fetch(link.replace(/\/r\/.*/, '/r/not-a-token'));
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('このリンクは使えません');
  });

  it('shows the deadline and the state, with security headers and no caching', async () => {
    const response = await fetch(link);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('令和31年3月31日');
    expect(text).toContain('回答をお待ちしています');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('answers a file of another kind and an oversize file on the page, leaving the workflow as it was', async () => {
    const before = await cycle.status('somu');
    const text = await upload(link, Buffer.from('整理番号,取組状況\n3,○\n'), 'somu.csv');
    expect(text.status).toBe(400);
    expect(await text.text()).toContain('CSVやテキストなど、Excelブックではない形式のファイルです');
    const big = await upload(link, Buffer.alloc(11 * 1024 * 1024, 1), 'somu.xlsx');
    const bigText = await big.text();
    expect(big.status, bigText).toBe(413);
    expect(bigText).toContain('ファイルが大きすぎます');
    const none = await fetch(link, { method: 'POST', body: new FormData(), redirect: 'manual' });
    expect(none.status).toBe(400);
    expect(await cycle.status('somu')).toEqual(before);
  });

  it('escapes what a sheet holds when it shows a problem with it', async () => {
    const sheet = (await cycle.request('zaisei')).attachments[0]!.content;
    const hostile = await fillReturnSheet(sheet, seedPlan.definition, 'R4', (no) => (no === 15 ? { values: { marks: '<script>alert(1)</script>', statusText: 'x' } } : seedAnswer(no)));
    const zaisei = await pageLink('zaisei');
    expect((await upload(zaisei, hostile)).status).toBe(303);
    const page = await (await fetch(zaisei)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;');
  });

  it('in Chromium: uploads a sheet with errors, sees them, downloads the sheet again with its answers, fixes it and sees it accepted', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(link);
    expect(await page.locator('#state').textContent()).toBe('回答をお待ちしています');

    // Item 16 left without its mark, everything else answered.
    const sheet = (await cycle.request('somu')).attachments[0]!.content;
    const withError = await fillReturnSheet(sheet, seedPlan.definition, 'R4', (no) => (no === 16 ? { values: { marks: '', statusText: seedAnswer(16).values.statusText } } : seedAnswer(no)));
    await page.setInputFiles('#file', { name: '総務課.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: withError });
    await page.click('#upload');
    const result = page.locator('#result');
    await expect.poll(() => result.textContent()).toContain('1回目の提出');
    expect(await result.textContent()).toMatch(/セル [A-Z]+\d+（整理番号16）: 取組状況の記号が入力されていません/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'division-page-refused.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const again = await readFile((await download.path())!);
    expect(await sheetValue(again, R4_MARK, 3)).toBe(seedAnswer(3).values.marks);
    expect(await sheetValue(again, R4_MARK, 16)).toBeNull();

    const fixed = await fillReturnSheet(again, seedPlan.definition, 'R4', (no) => (no === 16 ? seedAnswer(16) : undefined));
    await page.setInputFiles('#file', { name: '総務課.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: fixed });
    await page.click('#upload');
    await expect.poll(() => page.locator('#state').textContent()).toBe('回答を受け付けました');
    expect(await result.textContent()).toContain('2回目の提出');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'division-page-accepted.png'), fullPage: true });
    const status = await cycle.status('somu');
    expect(status).toMatchObject({ state: 'returned', attempt: 2 });
    expect(status.log?.map((l) => l.result)).toEqual(['refused', 'accepted']);
    await context.close();
  }, 60_000);

  it('says the link has expired once the cycle is closed', async () => {
    expect((await cycle.cli('cycle', 'close')).code).toBe(0);
    const response = await fetch(link);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('この照会の回答の受付は終わりました');
    // A token made for the cycle with the service's own key still only opens what it names.
    const key = await loadTokenKey(cycle.service.dataDir);
    expect(link.endsWith(pageToken(key, { cycleId: CYCLE_ID, divisionId: 'somu' }))).toBe(true);
  }, 120_000);
});


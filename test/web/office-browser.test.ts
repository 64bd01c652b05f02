import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitReturn } from '../../service/submit-return';
import { setOfficePassword } from '../../web/office-users';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { CYCLE_ID, filledWithSeed, type OpenCycle, openR4Cycle } from '../support/returns';

let cycle: OpenCycle;
let browser: Browser;
let page: Page;
const PASSWORD = 'correct horse battery staple';

/** A division hands in its sheet filled with the seed, as by mail or its page. */
async function returnFilled(divisionId: string) {
  const sheet = (await cycle.request(divisionId)).attachments[0]!.content;
  const outcome = await submitReturn(cycle.client, cycle.service.dataDir, {
    cycleId: CYCLE_ID,
    divisionId,
    file: { data: await filledWithSeed(sheet), fileName: `${divisionId}.xlsx` },
    channel: 'upload',
    submittedBy: `${divisionId}@city.arao.example`,
  });
  expect(outcome).toMatchObject({ kind: 'checked', result: { status: 'accepted' } });
}

const count = (progress: string) => page.locator(`#counts li[data-progress="${progress}"]`).textContent();

beforeAll(async () => {
  cycle = await openR4Cycle();
  await setOfficePassword(cycle.service.dataDir, 'alice', PASSWORD);
  browser = await launchChromium();
  page = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cycle?.stop();
});

describe("the reform office's page, in Chromium", () => {
  it('logs in, sees the progress change, extends a deadline, sends a return back with a comment, closes the cycle and downloads the table', async () => {
    const web = cycle.service.channels.web.url;
    await page.goto(`${web}/office`);
    expect(page.url()).toContain('/office/login');
    await page.fill('input[name=user]', 'alice');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/office(\?|$)/);
    const returnedBefore = await count('returned');
    expect(returnedBefore).toContain('0課');

    await returnFilled('somu');
    await page.reload();
    expect(await count('returned')).toContain('1課');
    expect(await page.locator('#division-somu').textContent()).toContain('回答済み');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'office-progress.png'), fullPage: true });

    // 財政課 gets more time.
    await page.goto(`${web}/office/divisions/zaisei?cycle=${CYCLE_ID}`);
    await page.fill('#deadline-new', '2049-04-15');
    await page.click('form[action$="/extend"] button');
    await expect.poll(() => page.locator('#flash').textContent()).toContain('財政課の提出期限を 令和31年4月15日');
    await expect.poll(async () => (await cycle.status('zaisei')).deadline).toMatch(/^2049-04-15/);
    expect(await page.locator('#deadline').textContent()).toContain('令和31年4月15日');

    // 総務課's return goes back with a comment on item 16.
    await page.goto(`${web}/office/divisions/somu?cycle=${CYCLE_ID}`);
    await page.fill('#comment-16', '研修の参加人数を書いてください');
    await page.click('form[action$="/send-back"] button');
    await expect.poll(async () => (await cycle.status('somu')).state).toBe('sentBack');
    expect((await cycle.status('somu')).log?.at(-1)).toMatchObject({ result: 'sentBack', by: 'office:alice' });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'office-division.png'), fullPage: true });

    await returnFilled('zaisei');
    await page.goto(`${web}/office?cycle=${CYCLE_ID}`);
    await page.fill('#confirm', 'R4');
    await page.click('form[action$="/close"] button');
    await page.waitForSelector('a[href$="/table.xlsx"]', { timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="/table.xlsx"]')]);
    const table = new ExcelJS.Workbook();
    await table.xlsx.load((await readFile((await download.path())!)) as unknown as ArrayBuffer);
    expect(table.worksheets.length).toBeGreaterThan(0);
    expect(await cycle.client.workflow.getHandle(CYCLE_ID).result()).toMatchObject({ closedBy: 'office:alice', returned: 1 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'office-closed.png'), fullPage: true });
  }, 180_000);
});

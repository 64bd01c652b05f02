import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser tests leave their screenshots (not kept in git). */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'test-output', 'screenshots');

/** Debian's Chromium, headless: the browser CI installs (`.ci/run`). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

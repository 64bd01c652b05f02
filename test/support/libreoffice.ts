import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const XLSX = { extension: 'xlsx', filter: 'Calc MS Excel 2007 XML' };

/**
 * The file as LibreOffice (Debian's libreoffice-calc-nogui, which .ci/run installs) saves it
 * again after reading it: what a division using it instead of Excel sends back.
 */
export async function throughLibreOffice(name: string, data: Buffer, as: { extension: string; filter: string } = XLSX): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'torimatome-lo-'));
  const input = join(dir, 'in', name);
  const outDir = join(dir, 'out');
  mkdirSync(join(dir, 'in'));
  writeFileSync(input, data);
  await promisify(execFile)(
    'soffice',
    [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--norestore', '--convert-to', `${as.extension}:${as.filter}`, '--outdir', outDir, input],
    { timeout: 120_000 },
  );
  const output = join(outDir, name.replace(/\.xlsx$/, `.${as.extension}`));
  if (!existsSync(output)) throw new Error(`LibreOffice wrote no ${output}`);
  return readFileSync(output);
}

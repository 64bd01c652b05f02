import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedService, startEmbeddedService } from '../../stack/embedded-service';

export interface TestService extends EmbeddedService {
  dataDir: string;
}

/** The real service for a test, in a data directory of its own. */
export async function startTestService(): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-service-'));
  return { dataDir, ...(await startEmbeddedService(dataDir, { ui: false })) };
}

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Plan, serializePlan } from '../../domain/plan';
import { type EmbeddedService, startEmbeddedService } from '../../stack/embedded-service';

export interface TestService extends EmbeddedService {
  dataDir: string;
}

/** The real service for a test, in a data directory of its own, with the plan master given. */
export async function startTestService(plan?: Plan, env: NodeJS.ProcessEnv = {}): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-service-'));
  if (plan) {
    mkdirSync(join(dataDir, 'plan'), { recursive: true });
    writeFileSync(join(dataDir, 'plan', 'plan.json'), serializePlan(plan));
  }
  return { dataDir, ...(await startEmbeddedService(dataDir, { ui: false, env: testEnv(env), log: process.env.TEST_SERVICE_LOG ? (line) => process.stderr.write(`${line}\n`) : () => undefined })) };
}

/** The service's settings from the test alone, never from the operator's environment. */
function testEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TORIMATOME_') && name !== 'TEMPORAL_ADDRESS' && name !== 'SMTP_URL'));
  return { ...clean, ...env };
}

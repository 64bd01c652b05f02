import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { UserError } from '../store/master-files';
import type { InboundSettings } from '../inbound/return-address';
import { readRunInfo } from '../stack/run-file';

/**
 * Where the service's Temporal server and SMTP relay are. A city's own cluster or Temporal
 * Cloud is named by the environment; otherwise the stack `torimatome dev` started, found in
 * `<data dir>/run.json`.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string };
}

export interface ServiceSettings {
  temporal: TemporalSettings;
  smtpUrl: string;
  /** How divisions reach the service: page links, the return address, the city's mail domains. */
  inbound: InboundSettings;
  worker: WorkerSettings;
  /** Where the settings came from, to tell the operator. */
  source: 'environment' | 'run.json';
}

/** How the worker does its own work, from the environment (see `workerSettings`). */
export interface WorkerSettings {
  checkers: { size?: number; recycleAfter?: number; idleAfterMs?: number };
  /** The largest consolidated table attached whole to every result mail, in bytes. */
  resultTableAttachedUpTo?: number;
  /** Workflows kept in memory between their tasks; by default as many as `memoryMib` holds. */
  cachedWorkflows?: number;
  /** The memory the worker may use, in MiB; by default its container's limit, else half the machine. */
  memoryMib?: number;
}

export async function resolveSettings(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceSettings> {
  if (env.TEMPORAL_ADDRESS) {
    if (!env.SMTP_URL) throw new UserError('TEMPORAL_ADDRESS is set but SMTP_URL is not: set the SMTP relay the service sends through (smtp://host:port)');
    const tlsWanted = env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA || env.TEMPORAL_API_KEY;
    return {
      temporal: {
        address: env.TEMPORAL_ADDRESS,
        namespace: env.TEMPORAL_NAMESPACE || 'default',
        apiKey: env.TEMPORAL_API_KEY || undefined,
        tls: tlsWanted ? { certPath: env.TEMPORAL_TLS_CERT, keyPath: env.TEMPORAL_TLS_KEY, caPath: env.TEMPORAL_TLS_CA } : undefined,
      },
      smtpUrl: env.SMTP_URL,
      inbound: inboundSettings(env),
      worker: workerSettings(env),
      source: 'environment',
    };
  }
  const run = await readRunInfo(dataDir);
  if (!run) {
    throw new UserError(`torimatome のサービスが動いていません（${dataDir}/run.json がありません）。別の端末で npm start を実行するか、TEMPORAL_ADDRESS と SMTP_URL を設定してください。`);
  }
  return {
    temporal: { address: run.temporal.address, namespace: run.temporal.namespace },
    smtpUrl: `smtp://${run.smtp.host}:${run.smtp.port}`,
    inbound: inboundSettings(env, run.web?.url),
    worker: workerSettings(env),
    source: 'run.json',
  };
}

/** TORIMATOME_PUBLIC_URL (else the web server's own address), TORIMATOME_RETURN_ADDRESS, TORIMATOME_CITY_DOMAINS. */
export function inboundSettings(env: NodeJS.ProcessEnv, webUrl?: string): InboundSettings {
  const publicUrl = env.TORIMATOME_PUBLIC_URL || webUrl;
  if (publicUrl && !URL.canParse(publicUrl)) throw new UserError(`TORIMATOME_PUBLIC_URL is not a URL: ${publicUrl}`);
  const returnAddress = env.TORIMATOME_RETURN_ADDRESS || undefined;
  if (returnAddress && !/^[^@\s+]+@[^@\s]+\.[^@\s]+$/.test(returnAddress)) {
    throw new UserError(`TORIMATOME_RETURN_ADDRESS must be a plain address without +tag, e.g. returns@city.example: ${returnAddress}`);
  }
  const cityDomains = env.TORIMATOME_CITY_DOMAINS?.split(',').map((d) => d.trim()).filter(Boolean);
  const trustedAuthservId = env.TORIMATOME_TRUSTED_AUTHSERV_ID?.trim() || undefined;
  if (trustedAuthservId && !/^[A-Za-z0-9.-]+$/.test(trustedAuthservId)) {
    throw new UserError(`TORIMATOME_TRUSTED_AUTHSERV_ID must be the authserv-id your mail server writes in Authentication-Results, e.g. mx.city.example: ${trustedAuthservId}`);
  }
  return { publicUrl, returnAddress, cityDomains, trustedAuthservId };
}

/** A whole-number setting of at least 1 from the environment; undefined when unset. */
export function wholeNumberSetting(env: NodeJS.ProcessEnv, variable: string): number | undefined {
  const text = env[variable];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${variable} must be a whole number of at least 1: ${text}`);
  return value;
}

const secondsToMs = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

/**
 * TORIMATOME_CHECKERS (processes that read returns; one per core by default),
 * TORIMATOME_CHECKER_RECYCLE_AFTER (files each reads before it is replaced),
 * TORIMATOME_CHECKER_IDLE_SECONDS (how long one waits for a file before it ends),
 * TORIMATOME_RESULT_TABLE_ATTACHED_UP_TO (bytes; a larger table is not attached to result mails),
 * TORIMATOME_CACHED_WORKFLOWS (workflows kept in memory between their tasks) and
 * TORIMATOME_WORKER_MEMORY_MB (the memory the worker may use, from which that number follows).
 */
export function workerSettings(env: NodeJS.ProcessEnv): WorkerSettings {
  return {
    checkers: {
      size: wholeNumberSetting(env, 'TORIMATOME_CHECKERS'),
      recycleAfter: wholeNumberSetting(env, 'TORIMATOME_CHECKER_RECYCLE_AFTER'),
      idleAfterMs: secondsToMs(wholeNumberSetting(env, 'TORIMATOME_CHECKER_IDLE_SECONDS')),
    },
    resultTableAttachedUpTo: wholeNumberSetting(env, 'TORIMATOME_RESULT_TABLE_ATTACHED_UP_TO'),
    cachedWorkflows: wholeNumberSetting(env, 'TORIMATOME_CACHED_WORKFLOWS'),
    memoryMib: wholeNumberSetting(env, 'TORIMATOME_WORKER_MEMORY_MB'),
  };
}

// The options both connection kinds accept alike.
async function connectionOptions(settings: TemporalSettings): Promise<Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey'>> {
  const read = (path?: string) => (path ? readFile(path) : Promise.resolve(undefined));
  const tls = settings.tls && {
    clientCertPair: settings.tls.certPath && settings.tls.keyPath ? { crt: (await read(settings.tls.certPath))!, key: (await read(settings.tls.keyPath))! } : undefined,
    serverRootCACertificate: await read(settings.tls.caPath),
  };
  return { address: settings.address, tls, apiKey: settings.apiKey };
}

export async function connectClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(settings));
  return new Client({ connection, namespace: settings.namespace });
}

export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionOptions(settings));
}

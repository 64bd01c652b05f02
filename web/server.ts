import { readFileSync } from 'node:fs';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { UserError } from '../store/master-files';
import { RETURN_FILE_LIMITS } from '../sheets/checker-pool';
import { registerDivisionPages } from './division-page';
import { html } from './html';
import { page } from './layout';
import { registerOfficePages } from './office-pages';

/** What every page's handlers work with. */
export interface WebContext {
  dataDir: string;
  client: Client;
  /** Signs and checks the division page tokens and the reply-address tags. */
  tokenKey: Buffer;
  log: (line: string) => void;
}

/** Which peers' X-Forwarded-For is believed, so that `req.ip` is the client's: fastify's trustProxy. */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

export interface WebServerOptions {
  host?: string;
  port?: number;
  trustProxy?: TrustProxy;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * TORIMATOME_TRUST_PROXY, for a web server behind a reverse proxy: unset or `false`, the peer is
 * the client; `true`, every hop is believed (only when nothing but the proxy can reach the
 * server); a hop count, that many proxies in front; or the proxies' addresses and CIDR ranges,
 * comma-separated (and `loopback`, `linklocal`, `uniquelocal`), the safest.
 */
export function trustProxySetting(env: NodeJS.ProcessEnv): TrustProxy {
  const value = env.TORIMATOME_TRUST_PROXY?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    // fastify takes a bare number as trusting nobody; as a function it counts hops from the server.
    return hops === 0 ? false : (_address, hop) => hop < hops;
  }
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !isProxyAddress(e));
  if (bad.length > 0) {
    throw new UserError(
      `TORIMATOME_TRUST_PROXY must be true, false, a hop count, or a comma-separated list of proxy addresses and CIDR ranges (e.g. 10.0.0.5,192.168.0.0/16, or loopback); not understood: ${bad.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  }
  return entries;
}

export interface WebServer {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
  port: number;
  app: FastifyInstance;
  stop(): Promise<void>;
}

const STYLE = readFileSync(join(__dirname, 'style.css'));

/** A sheet is about 20 KB; the limit leaves room for pasted pictures and none for abuse. */
export const UPLOAD_LIMIT_BYTES = RETURN_FILE_LIMITS.maxFileBytes;

export interface Upload {
  data: Buffer;
  fileName: string;
  /** Over UPLOAD_LIMIT_BYTES: cut off at the limit, never buffered past it. */
  truncated: boolean;
}

export async function readFilePart(app: FastifyInstance, part: MultipartFile): Promise<Upload> {
  const data = await part.toBuffer().catch((err: unknown) => {
    if (err instanceof app.multipartErrors.RequestFileTooLargeError) return undefined;
    throw err;
  });
  // The parser cuts a file at the limit; whether it raises for it depends on timing.
  return { data: data ?? Buffer.alloc(0), fileName: part.filename, truncated: data === undefined || part.file.truncated };
}

export const MALFORMED = Symbol('malformed multipart body');

/**
 * Reads a multipart body with `read`. A body the parser cannot make sense of (no boundary, cut
 * off, a broken part) is the sender's fault, not the server's: busboy raises a plain Error for
 * it, and it comes back as MALFORMED. The plugin's own errors (limits) keep their status.
 */
export async function readMultipart<T>(read: () => Promise<T>): Promise<T | typeof MALFORMED> {
  try {
    return await read();
  } catch (err) {
    if ((err as { statusCode?: unknown }).statusCode !== undefined) throw err;
    return MALFORMED;
  }
}

/**
 * Any path parameter fits: a request line longer than the HTTP parser takes never reaches the
 * router, so a page token of any length the token format allows (its ids are 40 characters at
 * most, and its cycle names any year) gets to its handler, which checks it.
 */
export const MAX_PARAM_LENGTH = maxHeaderSize;

/** For a request refused before it is routed: a link cut, padded or garbled on its way. */
const UNREADABLE_REQUEST = page(
  'アドレスが正しくありません',
  html`<h1>アドレスが正しくありません</h1><p>このアドレスは開けません（長すぎるか、壊れています）。届いたメールのリンクをそのまま開いてください。</p>`,
);

/**
 * Helmet's headers, for the answers given before routing, which skip the hook that sets them:
 * taken once from a request served normally (they are the same for every page).
 */
function securityHeaders(app: FastifyInstance): () => Promise<Record<string, string>> {
  let taken: Promise<Record<string, string>> | undefined;
  return () =>
    (taken ??= app.inject({ method: 'GET', url: '/healthz' }).then(
      ({ headers }) =>
        Object.fromEntries(
          Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === 'string' && !/^(content-type|content-length|date|connection|keep-alive|transfer-encoding)$/.test(e[0])),
        ),
      // A server shutting down: the page goes without them, and the next one tries again.
      () => {
        taken = undefined;
        return {};
      },
    ));
}

export function buildWebApp(ctx: WebContext, opts: Pick<WebServerOptions, 'trustProxy'> = {}): FastifyInstance {
  const app: FastifyInstance = Fastify({
    logger: false,
    trustProxy: opts.trustProxy ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot decode (a broken %-escape).
    frameworkErrors: (err, req, reply) => {
      ctx.log(`web: ${req.method} ${req.url.slice(0, 200)} refused: ${err.code}`);
      void headers().then((h) => (reply as FastifyReply).headers(h).code(400).type('text/html; charset=utf-8').send(UNREADABLE_REQUEST));
    },
    // What the HTTP parser refuses: a request line or headers over its limit, a malformed request.
    clientErrorHandler: (err, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = Buffer.from(UNREADABLE_REQUEST);
      void headers()
        .then((h) => {
          const lines = Object.entries({ ...h, 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) }).map(([name, value]) => `${name}: ${value}\r\n`);
          if (socket.writable) socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n`), body]));
        })
        .finally(() => socket.destroy(err));
    },
  });
  const headers = securityHeaders(app);
  app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.register(cookie);
  app.register(formbody, { bodyLimit: 64 * 1024 });
  // One file per upload; a larger one is cut off and answered with the limit, not buffered.
  app.register(multipart, { limits: { fileSize: UPLOAD_LIMIT_BYTES, files: 1, fields: 10, fieldSize: 64 * 1024 } });

  app.get('/assets/style.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE));
  app.get('/healthz', () => ({ ok: true }));

  app.register(async (scope) => registerDivisionPages(scope, ctx));
  app.register(async (scope) => registerOfficePages(scope, ctx));

  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).type('text/html; charset=utf-8').send(page('ページが見つかりません', html`<h1>ページが見つかりません</h1><p>アドレスを確かめてください。</p>`));
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    ctx.log(`web: ${req.method} ${req.url} failed: ${err.stack ?? err.message}`);
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const text = status === 500 ? 'サーバで問題が起きました。しばらくしてからもう一度お試しください。続くときは行革担当課に連絡してください。' : 'リクエストを処理できませんでした。ページを開き直してからもう一度お試しください。';
    reply.code(status).type('text/html; charset=utf-8').send(page('エラー', html`<h1>エラー</h1><p>${text}</p>`));
  });
  return app;
}

export async function startWebServer(ctx: WebContext, opts: WebServerOptions = {}): Promise<WebServer> {
  const app = buildWebApp(ctx, opts);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port!;
  return { url: `http://${host}:${port}`, port, app, stop: () => app.close() };
}

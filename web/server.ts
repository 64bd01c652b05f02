import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { RETURN_FILE_LIMITS } from '../sheets/read-return-file';
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

export function buildWebApp(ctx: WebContext): FastifyInstance {
  const app = Fastify({ logger: false, trustProxy: false });
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

export async function startWebServer(ctx: WebContext, opts: { host?: string; port?: number } = {}): Promise<WebServer> {
  const app = buildWebApp(ctx);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port!;
  return { url: `http://${host}:${port}`, port, app, stop: () => app.close() };
}

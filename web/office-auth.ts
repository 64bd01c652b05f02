import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Html, html } from './html';
import { page } from './layout';
import { createLoginThrottle } from './login-throttle';
import { createSessionStore, newToken, sameToken, type Session, SESSION_ABSOLUTE_MS } from './office-sessions';
import { verifyOfficeLogin } from './office-users';
import type { WebContext } from './server';

/**
 * The login in front of every /office page: a user and password from
 * `torimatome office passwd`, a server-side session in an HttpOnly, SameSite=Strict cookie, and
 * a CSRF token that every POST must carry. Without a live session a page redirects to the login
 * and a POST is refused before its handler runs, so it changes nothing.
 */

export interface OfficeContext extends WebContext {
  /** Milliseconds since the epoch; a test moves it on to expire sessions. Default: Date.now. */
  now?: () => number;
}

const SESSION_COOKIE = 'torimatome_office';
/** Before a session exists the login form is protected by a token in a cookie of its own. */
const LOGIN_COOKIE = 'torimatome_office_login';
const LOGIN_PATH = '/office/login';
export const CSRF_FIELD = '_csrf';
/**
 * The one form sent as multipart (a sheet handed in on a division's behalf): its body is read by
 * its handler, part by part, and the handler checks the token, which the form sends first.
 */
export const MULTIPART_FORM = '/office/cycles/:cycleId/divisions/:divisionId/submit';

export interface OfficeAuth {
  /** The session of a request that passed the guard. */
  sessionOf(req: FastifyRequest): Session;
  /** The hidden field every form carries. */
  csrfField(session: Session): Html;
}

function field(req: FastifyRequest, name: string): unknown {
  return (req.body as Record<string, unknown> | undefined)?.[name];
}

export function textField(req: FastifyRequest, name: string): string {
  const value = field(req, name);
  return typeof value === 'string' ? value : '';
}

/** Where to go after the login: only a page of /office, never another site. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/office(?:[/?]|$)/.test(value) && !/[\\\s]/.test(value) && !value.startsWith(LOGIN_PATH) ? value : '/office';
}

const cookieOptions = (req: FastifyRequest, path: string, maxAgeSeconds: number) => ({
  path,
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: req.protocol === 'https',
  maxAge: maxAgeSeconds,
});

/** A form sent without its session's CSRF token. */
export function refuseForm(reply: FastifyReply): FastifyReply {
  return refuse(reply, 403, 'このフォームは受け付けられません（ページが古いか、別のサイトから送られました）。ページを開き直してから、もう一度操作してください。');
}

export function refuse(reply: FastifyReply, code: number, text: string): FastifyReply {
  return reply
    .code(code)
    .type('text/html; charset=utf-8')
    .send(page('操作できません', html`<h1>操作できません</h1><div class="notice bad">${text}</div><p><a href="/office">行革担当課のページへ</a></p>`));
}

const REASONS: Record<string, string> = {
  expired: 'ログインの有効期限が切れました。もう一度ログインしてください。',
  logout: 'ログアウトしました。',
};

function loginPage(opts: { token: string; next: string; user?: string; notice?: { kind: 'ok' | 'bad'; text: string } }): string {
  return page(
    'ログイン',
    html`<h1>行革担当課のページ: ログイン</h1>
${opts.notice && html`<div class="notice ${opts.notice.kind}">${opts.notice.text}</div>`}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${opts.token}">
<input type="hidden" name="next" value="${opts.next}">
<p><label>ユーザー名<br><input type="text" name="user" value="${opts.user ?? ''}" autocomplete="username" required autofocus></label></p>
<p><label>パスワード<br><input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">ログイン</button></p>
</form>
<p class="muted">ユーザーは、サーバで <code>torimatome office passwd ユーザー名</code> を実行して登録します。</p>`,
  );
}

export function registerOfficeAuth(app: FastifyInstance, ctx: OfficeContext): OfficeAuth {
  const now = ctx.now ?? Date.now;
  const sessions = createSessionStore(now);
  const throttle = createLoginThrottle(now);
  const bySession = new WeakMap<FastifyRequest, Session>();

  // Pages of a logged-in user are kept out of every cache, shared or the browser's.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.addHook('preHandler', async (req, reply) => {
    if (req.routeOptions.url === LOGIN_PATH) return;
    const cookie = req.cookies[SESSION_COOKIE];
    const session = sessions.find(cookie);
    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        const query = new URLSearchParams({ next: req.url, ...(cookie ? { reason: 'expired' } : {}) });
        return reply.redirect(`${LOGIN_PATH}?${query}`, 303);
      }
      return refuse(reply, 403, 'ログインしていないか、ログインの有効期限が切れています。ログインし直してから、もう一度操作してください。');
    }
    const checkedByHandler = req.routeOptions.url === MULTIPART_FORM && req.isMultipart();
    if (req.method === 'POST' && !checkedByHandler && !sameToken(field(req, CSRF_FIELD), session.csrf)) {
      ctx.log(`office: ${req.method} ${req.url} by ${session.user} refused: CSRF token missing or wrong`);
      return refuseForm(reply);
    }
    bySession.set(req, session);
  });

  const showLogin = (req: FastifyRequest, reply: FastifyReply, code: number, opts: { next: string; user?: string; notice?: { kind: 'ok' | 'bad'; text: string } }) => {
    const token = newToken();
    reply.setCookie(LOGIN_COOKIE, token, cookieOptions(req, LOGIN_PATH, 3600));
    return reply.code(code).type('text/html; charset=utf-8').send(loginPage({ ...opts, token }));
  };

  app.get(LOGIN_PATH, async (req, reply) => {
    const query = req.query as { next?: string; reason?: string };
    const next = safeNext(query.next);
    if (sessions.find(req.cookies[SESSION_COOKIE])) return reply.redirect(next, 303);
    const reason = query.reason && Object.hasOwn(REASONS, query.reason) ? REASONS[query.reason] : undefined;
    return showLogin(req, reply, 200, { next, notice: reason ? { kind: 'ok', text: reason } : undefined });
  });

  app.post(LOGIN_PATH, async (req, reply) => {
    const next = safeNext(field(req, 'next'));
    const user = textField(req, 'user').trim();
    if (!sameToken(field(req, CSRF_FIELD), req.cookies[LOGIN_COOKIE])) {
      return showLogin(req, reply, 403, { next, user, notice: { kind: 'bad', text: 'ログインの画面が古くなっています。もう一度ユーザー名とパスワードを入力してください。' } });
    }
    const attempt = await throttle.attempt(user, req.ip, () => verifyOfficeLogin(ctx.dataDir, user, textField(req, 'password')));
    if (attempt.kind === 'wait') {
      const why = attempt.busy ? '同じユーザー名か同じ接続元からのログインを確かめている途中のため、受け付けませんでした。' : 'ログインの失敗が続いたため、しばらく受け付けません。';
      const text = `${why}${Math.ceil(attempt.ms / 1000)}秒ほど待ってから、もう一度お試しください。`;
      return showLogin(req, reply, 429, { next, user, notice: { kind: 'bad', text } });
    }
    if (!attempt.ok) {
      ctx.log(`office: failed login for ${JSON.stringify(user)} from ${req.ip}`);
      return showLogin(req, reply, 401, { next, user, notice: { kind: 'bad', text: 'ユーザー名またはパスワードが違います。' } });
    }
    // A new id at every login: an id someone planted before it opens nothing.
    sessions.close(req.cookies[SESSION_COOKIE]);
    const { id } = sessions.open(user);
    ctx.log(`office: ${user} logged in from ${req.ip}`);
    reply.clearCookie(LOGIN_COOKIE, { path: LOGIN_PATH });
    reply.setCookie(SESSION_COOKIE, id, cookieOptions(req, '/office', SESSION_ABSOLUTE_MS / 1000));
    return reply.redirect(next, 303);
  });

  app.post('/office/logout', async (req, reply) => {
    sessions.close(req.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/office' });
    return reply.redirect(`${LOGIN_PATH}?reason=logout`, 303);
  });

  return {
    sessionOf: (req) => bySession.get(req)!,
    csrfField: (session) => html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrf}">`,
  };
}

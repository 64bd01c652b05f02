import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Logged-in sessions of the reform office's page, kept in the server's memory: a restart logs
 * everyone out, which costs a login and keeps no secret on disk. A session ends after
 * SESSION_IDLE_MS without a request, and SESSION_ABSOLUTE_MS after its login whatever happens.
 */

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 8 * 3600_000;

/** A notice to show once, on the page an action redirects to. */
interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

export interface Session {
  user: string;
  /** Sent as a hidden field by every form, checked on every POST. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  flash?: Flash;
}

/** 32 random bytes, as a session id or CSRF token. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a token from a request is the expected one, in time that does not depend on where they differ. */
export function sameToken(given: unknown, expected: string | undefined): boolean {
  // An empty expected token (a cookie that never came) matches nothing, not an empty field.
  if (typeof given !== 'string' || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SessionStore {
  /** A new session for a user who has just logged in, and the id for its cookie. */
  open(user: string): { id: string; session: Session };
  /** The live session of a cookie's id, its idle time restarted; undefined when none or expired. */
  find(id: string | undefined): Session | undefined;
  close(id: string | undefined): void;
}

export function createSessionStore(now: () => number): SessionStore {
  // Keyed by a hash of the id, so that looking one up takes no time that depends on the ids kept.
  const sessions = new Map<string, Session>();
  const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url');
  const expired = (s: Session, at: number) => at - s.lastSeenAt > SESSION_IDLE_MS || at - s.createdAt > SESSION_ABSOLUTE_MS;
  return {
    open(user) {
      const at = now();
      for (const [key, s] of sessions) if (expired(s, at)) sessions.delete(key);
      const id = newToken();
      const session: Session = { user, csrf: newToken(), createdAt: at, lastSeenAt: at };
      sessions.set(keyOf(id), session);
      return { id, session };
    },
    find(id) {
      if (!id) return undefined;
      const key = keyOf(id);
      const session = sessions.get(key);
      if (!session) return undefined;
      const at = now();
      if (expired(session, at)) {
        sessions.delete(key);
        return undefined;
      }
      session.lastSeenAt = at;
      return session;
    },
    close(id) {
      if (id) sessions.delete(keyOf(id));
    },
  };
}

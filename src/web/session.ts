import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { Principal } from '../api/auth.js';
import type { Scope } from '../api/jwt.js';

/** Session settings, each with the reason for its value. */
const SESSION_DEFAULTS = Object.freeze({
  /** A working day: a login outlives a lunch break but not a lost laptop's night. */
  ttlMs: 12 * 60 * 60 * 1000,
  /** Sessions held at once; a flood of logins cannot grow the daemon's memory without end. */
  max: 1_000,
  /** How long a login form may wait between being shown and being sent. */
  loginFormMs: 30 * 60 * 1000,
});

/** The cookie that carries a signed session id. */
const SESSION_COOKIE = 'photosortd_session';
/** The cookie that ties a login form to the browser that asked for it (login CSRF). */
const LOGIN_COOKIE = 'photosortd_login';
/** The form field and header that carry the CSRF token of state-changing requests. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** A dashboard login: who logged in, with which scope, until when. */
export interface Session {
  id: string;
  name: string;
  scope: Scope;
  /** Sent back with every state-changing request; never in a cookie. */
  csrf: string;
  expiresAt: number;
}

/** Whether the browser talks to us over TLS, directly or through the configured proxy. */
function overTls(c: Context, behindTlsProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return behindTlsProxy && c.req.header('x-forwarded-proto') === 'https';
}

/** Two secrets compared in constant time. */
export function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The dashboard's sessions, held in memory: a restart logs everyone out, and nothing about
 * a session (least of all the token it was opened with) is written to disk. Cookies carry
 * only the id, signed with a key made at start.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly key = randomBytes(32);

  constructor(
    private readonly options: { behindTlsProxy: boolean; now?: () => number } = {
      behindTlsProxy: false,
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * Opens a session for a principal whose token checked out and sets its cookie. It ends
   * after {@link SESSION_DEFAULTS.ttlMs}, or at `notAfter` (a JWT's expiry) when sooner.
   */
  async open(c: Context, principal: Principal, notAfter = Infinity): Promise<Session> {
    this.sweep();
    const expiresAt = Math.min(this.now() + SESSION_DEFAULTS.ttlMs, notAfter);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      name: principal.name,
      scope: principal.scope,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt,
    };
    this.sessions.set(session.id, session);
    await setSignedCookie(c, SESSION_COOKIE, session.id, this.key, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: overTls(c, this.options.behindTlsProxy),
      maxAge: Math.max(1, Math.floor((expiresAt - this.now()) / 1000)),
    });
    return session;
  }

  /** The session the request's cookie names, if it is signed by us and not expired. */
  async find(c: Context): Promise<Session | undefined> {
    const id = await getSignedCookie(c, this.key, SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session and clears its cookie. */
  close(c: Context, session: Session | undefined): void {
    if (session) this.sessions.delete(session.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
  }

  /** A nonce for a login form, also set as a signed cookie the form's POST must match. */
  async loginNonce(c: Context): Promise<string> {
    const nonce = randomBytes(24).toString('base64url');
    await setSignedCookie(c, LOGIN_COOKIE, nonce, this.key, {
      path: '/login',
      httpOnly: true,
      sameSite: 'Strict',
      secure: overTls(c, this.options.behindTlsProxy),
      maxAge: Math.floor(SESSION_DEFAULTS.loginFormMs / 1000),
    });
    return nonce;
  }

  /** Whether a login POST carries the nonce its browser was given with the form. */
  async loginNonceMatches(c: Context, sent: string | undefined): Promise<boolean> {
    const expected = await getSignedCookie(c, this.key, LOGIN_COOKIE);
    return typeof expected === 'string' && sameSecret(sent, expected);
  }

  /** Drops expired sessions, then the oldest ones while over the limit. */
  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
    while (this.sessions.size >= SESSION_DEFAULTS.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
  }
}

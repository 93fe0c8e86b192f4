import type { Context, MiddlewareHandler } from 'hono';
import { Notice } from './layout.js';
import { page, type WebEnv } from './render.js';
import { CSRF_FIELD, CSRF_HEADER, sameSecret, type SessionStore } from './session.js';

/** Finds the request's session; a visitor without one is sent to the login form. */
export function loadSession(sessions: SessionStore): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    c.set('session', await sessions.find(c));
    if (!c.get('session') && !isPublic(c)) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return c.redirect('/login', 303);
      return c.text('Log in first: this needs a dashboard session', 401);
    }
    return next();
  };
}

/** The login form and the assets it needs; everything else needs a session. */
function isPublic(c: Context): boolean {
  return c.req.path === '/login' || c.req.path.startsWith('/ui/assets/');
}

/**
 * Whether a state-changing request comes from one of our own pages: its `Origin` (or, when a
 * browser sent none, its `Sec-Fetch-Site`) must be this very host. A request with neither
 * is not from a browser page and must still carry a CSRF token.
 */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    if (origin === 'null') return false;
    try {
      return new URL(origin).host === c.req.header('host')?.toLowerCase();
    } catch {
      return false;
    }
  }
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

/**
 * The posts a read-scope login may make: logging out, and a search by a photo of the
 * visitor's (a form sends a file only by POST). They still need Origin and CSRF token.
 */
const CHANGES_NOTHING: ReadonlySet<string> = new Set(['/logout', '/ui/search']);

/**
 * Every state-changing request: from one of our pages (Origin), carrying the session's CSRF
 * token (but the login, which has its own nonce), by a login with admin scope.
 */
export const guardWrites: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  if (!sameOrigin(c)) {
    return c.text('Refused: this request came from another site (Origin does not match)', 403);
  }
  if (c.req.path === '/login') return next();
  const session = c.get('session');
  if (!session) return c.text('Log in first', 401);
  const header = c.req.header(CSRF_HEADER);
  const sent = header ?? (isForm(c) ? (await c.req.parseBody())[CSRF_FIELD] : undefined);
  if (!sameSecret(typeof sent === 'string' ? sent : undefined, session.csrf)) {
    return c.text(
      'Refused: the CSRF token is missing or wrong; reload the page and try again',
      403,
    );
  }
  if (session.scope !== 'admin' && !CHANGES_NOTHING.has(c.req.path)) {
    return page(
      c,
      'Not allowed',
      c.req.path,
      session,
      <Notice kind="error">
        This login ({session.name}) has read scope: it sees everything and changes nothing. Log in
        with an admin key to act.
      </Notice>,
      403,
    );
  }
  return next();
};

function isForm(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  return (
    type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
  );
}

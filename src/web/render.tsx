import type { Context, Handler, Hono } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Authenticator } from '../api/auth.js';
import type { RateLimiter } from '../api/rate-limit.js';
import type { DashboardControl } from '../daemon/control.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SharedSearch } from '../search/index.js';
import type { RecentFiles } from './feed.js';
import { Layout, Notice } from './layout.js';
import type { Session, SessionStore } from './session.js';

/** Limits of the dashboard's requests, with the reason for each. */
export const WEB_LIMITS = Object.freeze({
  /** Largest form accepted: a configuration file in the Rules lab, with room to spare. */
  maxBodyBytes: 512 * 1024,
  /** Journal rows History reads: weeks of drops on a busy library, one page. */
  historyRows: 2_000,
});

/** The hono environment of the dashboard's routes: the session, once known. */
export interface WebEnv {
  Variables: { session: Session | undefined };
}

/** What the dashboard's routes work with. */
export interface WebDeps {
  control: DashboardControl;
  logger: Logger;
  sessions: SessionStore;
  recent: RecentFiles;
  /** The API's own token checker: a login takes exactly the tokens the API takes. */
  authenticator: Authenticator;
  limiter: RateLimiter;
  /** The server's search service, shared with the API's search routes. */
  search: SharedSearch;
  /** Aborted when the server shuts down: ends open event streams. */
  closing?: AbortSignal;
}

/** Adds GET and POST routes whose failures become pages (see {@link shown}). */
export interface Router {
  get(path: string, handler: Handler<WebEnv>): void;
  post(path: string, handler: Handler<WebEnv>): void;
}

/** A {@link Router} on `app`: every route answers a failure with a page, not the API's JSON. */
export function router(app: Hono<WebEnv>, logger: Logger): Router {
  return {
    get: (path, handler) => void app.get(path, shown(handler, logger)),
    post: (path, handler) => void app.post(path, shown(handler, logger)),
  };
}

/** `handler`, with an error turned into a page that says what was not done and why. */
function shown(handler: Handler<WebEnv>, logger: Logger): Handler<WebEnv> {
  return async (c, next) => {
    try {
      return await handler(c, next);
    } catch (error) {
      const known = error instanceof PhotosortdError;
      if (known) logger.warn({ code: error.code, path: c.req.path }, error.message);
      else logger.error({ err: error, path: c.req.path }, 'Dashboard request failed');
      const message = known
        ? error.message
        : `The daemon failed: ${errorMessage(error)}; see its log`;
      return page(
        c,
        'Not done',
        c.req.path,
        c.get('session'),
        <Notice kind="error">{message}</Notice>,
        known ? 409 : 500,
      );
    }
  };
}

/** The session of a route that needs one (the guards send visitors without one away). */
export function must(c: Context<WebEnv>): Session {
  const session = c.get('session');
  if (!session) throw new PhotosortdError('NO_SESSION', 'Log in first');
  return session;
}

/** A whole page: the layout around `body`, with the doctype. */
export function page(
  c: Context<WebEnv>,
  title: string,
  path: string,
  session: Session | undefined,
  body: Child,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 503 = 200,
): Response | Promise<Response> {
  return c.html(
    <>
      {raw('<!doctype html>')}
      <Layout title={title} path={path} session={session}>
        {body}
      </Layout>
    </>,
    status,
  );
}

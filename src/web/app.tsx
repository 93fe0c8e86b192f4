import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Authenticator } from '../api/auth.js';
import type { RateLimiter } from '../api/rate-limit.js';
import { isImageUpload, UPLOAD_MAX_BYTES } from '../api/search-routes.js';
import type { Config } from '../config/load.js';
import type { DashboardControl } from '../daemon/control.js';
import type { Logger } from '../lib/logger.js';
import type { SharedSearch } from '../search/index.js';
import { ASSETS, asset } from './assets.js';
import { RecentFiles } from './feed.js';
import { guardWrites, loadSession } from './guards.js';
import { WEB_LIMITS, router, type WebDeps, type WebEnv } from './render.js';
import { attentionRoutes } from './routes/attention.js';
import { historyRoutes } from './routes/history.js';
import { loginRoutes } from './routes/login.js';
import { nowRoutes } from './routes/now.js';
import { rulesRoutes } from './routes/rules.js';
import { searchRoutes } from './routes/search.js';
import { SessionStore } from './session.js';

/** What the dashboard is built from. */
export interface DashboardOptions {
  config: Config;
  control: DashboardControl;
  /** The API's own token checker: a login takes exactly the tokens the API takes. */
  authenticator: Authenticator;
  limiter: RateLimiter;
  logger: Logger;
  /** The server's search service, shared with the API's search routes. */
  search: SharedSearch;
  /** Aborted when the server shuts down: ends open event streams. */
  closing?: AbortSignal;
}

/** The paths the dashboard owns; everything else stays the bearer-token API's. */
const DASHBOARD_PATHS = ['/', '/login', '/logout', '/ui/*'] as const;

/** Content-Security-Policy: our own script and styles only, no inline code, no framing. */
const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

/**
 * The dashboard as a hono app to mount at `/` on the API's app, before its bearer-token
 * check: pages at `/` and under `/ui/`, `GET`/`POST /login` and `POST /logout`. A login opens
 * a session cookie; the dashboard's own guards (Origin, CSRF, scope) apply to these paths
 * only, so the API's clients see no change. The API's Host check (DNS rebinding) runs first.
 */
export function createDashboardApp(options: DashboardOptions): Hono<WebEnv> {
  const { config, logger } = options;
  const deps: WebDeps = {
    ...options,
    sessions: new SessionStore({ behindTlsProxy: config.api.tlsProxy !== undefined }),
    recent: new RecentFiles(options.control),
  };
  options.closing?.addEventListener('abort', deps.recent.stop, { once: true });

  const app = new Hono<WebEnv>();
  const formBodies = bodyLimit({
    maxSize: WEB_LIMITS.maxBodyBytes,
    onError: (c) => c.text(`Request body is larger than ${WEB_LIMITS.maxBodyBytes} bytes`, 413),
  });
  const photoBodies = bodyLimit({
    maxSize: UPLOAD_MAX_BYTES,
    onError: (c) =>
      c.text(
        `The photo is larger than ${UPLOAD_MAX_BYTES / 2 ** 20} MiB; choose a smaller copy`,
        413,
      ),
  });
  for (const path of DASHBOARD_PATHS) {
    app.use(
      path,
      secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: 'same-origin' }),
      (c, next) => (isImageUpload(c) ? photoBodies(c, next) : formBodies(c, next)),
      loadSession(deps.sessions),
      guardWrites,
    );
  }
  const web = router(app, logger);
  web.get('/ui/assets/:name', async (c) => {
    const name = c.req.param('name') ?? '';
    const bytes = asset(name);
    if (!bytes) return c.text('No such asset', 404);
    return c.body(new Uint8Array(await bytes), 200, {
      'Content-Type': ASSETS[name] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
    });
  });
  loginRoutes(web, deps);
  nowRoutes(web, deps);
  historyRoutes(web, deps);
  attentionRoutes(web, deps);
  rulesRoutes(web, deps);
  searchRoutes(web, deps);
  return app;
}

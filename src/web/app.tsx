import { readFile, stat } from 'node:fs/promises';
import { Hono, type Context, type Handler, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { secureHeaders } from 'hono/secure-headers';
import { decodeJwt } from 'jose';
import { parseDocument } from 'yaml';
import type { Authenticator } from '../api/auth.js';
import { streamEvents } from '../api/events.js';
import { remoteAddress } from '../api/middleware.js';
import type { RateLimiter } from '../api/rate-limit.js';
import type { Config } from '../config/load.js';
import type { DashboardControl } from '../daemon/control.js';
import type { UndoSelector } from '../journal/types.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { ASSETS, asset } from './assets.js';
import { dropRows, toDrops } from './drops.js';
import { RecentFiles } from './feed.js';
import { sameOrigin } from './guard.js';
import { Layout, Notice } from './layout.js';
import { AttentionPage, DuplicatePage } from './pages/attention.js';
import { HistoryPage, UndoPage } from './pages/history.js';
import { LoginPage } from './pages/login.js';
import { Feed, StatusPanel } from './pages/now.js';
import { PreviewResult, RulesPage } from './pages/rules.js';
import { CSRF_FIELD, CSRF_HEADER, SessionStore, sameSecret, type Session } from './session.js';
import { thumbnailOf } from './thumbnail.js';

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

/** What the dashboard is built from. */
export interface DashboardOptions {
  config: Config;
  control: DashboardControl;
  /** The API's own token checker: a login takes exactly the tokens the API takes. */
  authenticator: Authenticator;
  limiter: RateLimiter;
  logger: Logger;
  /** Aborted when the server shuts down: ends open event streams. */
  closing?: AbortSignal;
}

/** The paths the dashboard owns; everything else stays the bearer-token API's. */
export const DASHBOARD_PATHS = ['/', '/login', '/logout', '/ui/*'] as const;

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
  const { config, control, logger } = options;
  const sessions = new SessionStore({ behindTlsProxy: config.api.tlsProxy !== undefined });
  const recent = new RecentFiles(control);
  options.closing?.addEventListener('abort', recent.stop, { once: true });
  const guards: MiddlewareHandler<WebEnv>[] = [
    secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: 'same-origin' }),
    bodyLimit({
      maxSize: WEB_LIMITS.maxBodyBytes,
      onError: (c) => c.text(`Request body is larger than ${WEB_LIMITS.maxBodyBytes} bytes`, 413),
    }),
    loadSession(sessions),
    guardWrites,
  ];
  const app = new Hono<WebEnv>();
  for (const path of DASHBOARD_PATHS) app.use(path, ...guards);
  // Every route answers a failure with a page naming it, not the API's JSON.
  const web = {
    get: (path: string, handler: Handler<WebEnv>) => app.get(path, shown(handler, logger)),
    post: (path: string, handler: Handler<WebEnv>) => app.post(path, shown(handler, logger)),
  };
  web.get('/ui/assets/:name', async (c) => {
    const name = c.req.param('name') ?? '';
    const bytes = asset(name);
    if (!bytes) return c.text('No such asset', 404);
    return c.body(new Uint8Array(await bytes), 200, {
      'Content-Type': ASSETS[name] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
    });
  });

  web.get('/login', async (c) => {
    if (c.get('session')) return c.redirect('/', 303);
    return page(
      c,
      'Log in',
      '/login',
      undefined,
      <LoginPage nonce={await sessions.loginNonce(c)} />,
    );
  });
  web.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const nonce = typeof form.nonce === 'string' ? form.nonce : undefined;
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const again = async (message: string, status: 400 | 401 | 403 | 429) =>
      page(
        c,
        'Log in',
        '/login',
        undefined,
        <LoginPage nonce={await sessions.loginNonce(c)} error={message} />,
        status,
      );
    if (!(await sessions.loginNonceMatches(c, nonce))) {
      return again('The login form expired or came from another site; log in again', 403);
    }
    const result = await options.authenticator.check(`Bearer ${token}`);
    if (!result.ok) {
      const address = remoteAddress(c);
      const decision = options.limiter.take(`address:${address}`);
      if (!decision.allowed) {
        return again(`Too many attempts; try again in ${decision.retryAfterSeconds} s`, 429);
      }
      logger.warn({ address, reason: result.reason }, 'Dashboard login refused');
      return again(
        `That token was refused (${result.reason}). Paste the key from <state>/api-key, ` +
          'a key listed in api.keys, or a JWT from `photosortd token create`.',
        401,
      );
    }
    // A session opened with a JWT ends when the JWT does.
    const exp = result.principal.kind === 'jwt' ? decodeJwt(token).exp : undefined;
    await sessions.open(c, result.principal, exp === undefined ? Infinity : exp * 1000);
    logger.info({ name: result.principal.name, scope: result.principal.scope }, 'Dashboard login');
    return c.redirect('/', 303);
  });
  web.post('/logout', (c) => {
    sessions.close(c, c.get('session'));
    return c.redirect('/login', 303);
  });

  web.get('/', async (c) => {
    const session = must(c);
    return page(
      c,
      'Now',
      '/',
      session,
      <>
        <StatusPanel
          status={control.status()}
          libraryPresent={await isFolder(control.config().library)}
          session={session}
        />
        <Feed files={recent.list()} />
      </>,
    );
  });
  web.get('/ui/now/status', async (c) =>
    c.html(
      <StatusPanel
        status={control.status()}
        libraryPresent={await isFolder(control.config().library)}
        session={must(c)}
      />,
    ),
  );
  web.get('/ui/now/feed', (c) => {
    must(c);
    return c.html(<Feed files={recent.list()} />);
  });
  web.get('/ui/events', (c) => {
    must(c);
    return streamEvents(c, { control, logger, closing: options.closing });
  });
  web.post('/ui/pause', (c) => {
    control.pause();
    logger.info({ by: must(c).name }, 'Paused from the dashboard');
    return c.redirect('/', 303);
  });
  web.post('/ui/resume', (c) => {
    control.resume();
    logger.info({ by: must(c).name }, 'Resumed from the dashboard');
    return c.redirect('/', 303);
  });

  web.get('/ui/thumb', async (c) => {
    must(c);
    const current = control.config();
    const roots = [current.library, ...current.inboxes.map((inbox) => inbox.path)];
    const thumb = await thumbnailOf(c.req.query('path') ?? '', roots);
    if (!thumb) return c.text('No thumbnail for that file', 404);
    if (c.req.header('if-none-match') === thumb.etag) return c.body(null, 304);
    return c.body(new Uint8Array(thumb.jpeg), 200, {
      'Content-Type': 'image/jpeg',
      ETag: thumb.etag,
      'Cache-Control': 'private, no-cache',
    });
  });

  web.get('/ui/history', (c) =>
    page(
      c,
      'History',
      '/ui/history',
      must(c),
      <HistoryPage drops={toDrops(control.journal(WEB_LIMITS.historyRows))} />,
    ),
  );
  web.get('/ui/undo', async (c) => {
    const session = must(c);
    const selector = undoSelector(control, c.req.query());
    const ids = 'ids' in selector ? selector.ids : [];
    const result = await control.undo(selector, { dryRun: true });
    const shown =
      'ids' in selector ? ids : result.undone.concat(result.refused).map((item) => item.id);
    return page(
      c,
      'Undo?',
      '/ui/history',
      session,
      <UndoPage result={result} ids={shown} session={session} confirm={true} />,
    );
  });
  web.post('/ui/undo', async (c) => {
    const session = must(c);
    const form = await c.req.parseBody();
    const ids = idList(String(form.ids ?? ''));
    const force = form.force === 'true';
    const result = await control.undo({ ids }, { force });
    logger.info(
      {
        by: session.name,
        ids: ids.length,
        force,
        undone: result.undone.length,
        refused: result.refused.length,
      },
      'Undo from the dashboard',
    );
    return page(
      c,
      'Undo',
      '/ui/history',
      session,
      <UndoPage result={result} ids={ids} session={session} confirm={false} />,
    );
  });

  web.get('/ui/attention', async (c) => {
    const session = must(c);
    return page(
      c,
      'Needs attention',
      '/ui/attention',
      session,
      <AttentionPage items={await control.attention()} session={session} />,
    );
  });
  web.post('/ui/attention/file', async (c) => {
    const session = must(c);
    const form = await c.req.parseBody();
    const path = String(form.path ?? '');
    const event = await control.fileByHand(path, {
      takenAt: String(form.takenAt ?? '') || undefined,
      place: { city: String(form.city ?? ''), country: String(form.country ?? '') },
    });
    const notice = event.target ? (
      <Notice kind="ok">
        Filed <code>{event.source}</code> → <code>{event.target}</code> ({event.action}); History
        can undo it.
      </Notice>
    ) : (
      <Notice kind="error">
        <code>{event.source}</code> stays where it is: {event.error ?? event.action}
      </Notice>
    );
    return page(
      c,
      'Needs attention',
      '/ui/attention',
      session,
      <>
        {notice}
        <AttentionPage items={await control.attention()} session={session} />
      </>,
    );
  });
  web.get('/ui/duplicate', async (c) => {
    const session = must(c);
    const path = c.req.query('path') ?? '';
    const item = (await control.attention()).find((candidate) => candidate.path === path);
    if (!item?.duplicateOf) {
      throw new PhotosortdError(
        'NOT_A_DUPLICATE',
        `${path} is not a duplicate waiting in an inbox`,
      );
    }
    const size = (file: string) =>
      stat(file).then(
        (info) => info.size,
        () => null,
      );
    return page(
      c,
      'Duplicate',
      '/ui/attention',
      session,
      <DuplicatePage
        path={path}
        original={item.duplicateOf}
        sizes={{ path: await size(path), original: await size(item.duplicateOf) }}
        session={session}
      />,
    );
  });
  for (const [route, act] of [
    ['/ui/duplicate/trash', (path: string) => control.trashDuplicate(path)],
    ['/ui/duplicate/file', (path: string) => control.fileAnyway(path)],
  ] as const) {
    web.post(route, async (c) => {
      const session = must(c);
      const event = await act(String((await c.req.parseBody()).path ?? ''));
      return page(
        c,
        'Needs attention',
        '/ui/attention',
        session,
        <>
          <Notice kind="ok">
            <code>{event.source}</code> → <code>{event.target}</code>; History can undo it.
          </Notice>
          <AttentionPage items={await control.attention()} session={session} />
        </>,
      );
    });
  }

  web.get('/ui/rules', async (c) => {
    const session = must(c);
    const current = control.config();
    const text = readableConfig(await configText(current), session);
    return rulesPage(c, session, current, text, current.library);
  });
  web.post('/ui/rules/preview', async (c) => {
    const session = must(c);
    const { yaml, folder } = labForm(await c.req.parseBody(), control.config());
    const current = control.config();
    const report = await control.preview(yaml, folder);
    return rulesPage(
      c,
      session,
      current,
      yaml,
      folder,
      <PreviewResult report={report} applied={false} />,
    );
  });
  web.post('/ui/rules/save', async (c) => {
    const session = must(c);
    const { yaml, folder } = labForm(await c.req.parseBody(), control.config());
    const saved = await control.saveConfig(yaml);
    logger.info({ by: session.name, ...saved }, 'Configuration saved from the dashboard');
    return rulesPage(
      c,
      session,
      control.config(),
      yaml,
      folder,
      <Notice kind="ok">
        Saved and reloaded. The previous file is kept as <code>{saved.backup}</code>.
      </Notice>,
    );
  });
  web.post('/ui/rules/resort', async (c) => {
    const session = must(c);
    const { yaml } = labForm(await c.req.parseBody(), control.config());
    if (yaml !== (await configText(control.config()))) await control.saveConfig(yaml);
    const report = await control.resortLibrary();
    logger.info(
      { by: session.name, batch: report.batch, moved: report.moving },
      'Library re-sorted from the dashboard',
    );
    const current = control.config();
    return rulesPage(
      c,
      session,
      current,
      yaml,
      current.library,
      <PreviewResult report={report} applied={true} />,
    );
  });

  return app;
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

/** Whether the dashboard, not the API, answers `path`. */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path === '/login' || path === '/logout' || path.startsWith('/ui/');
}

function loadSession(sessions: SessionStore): MiddlewareHandler<WebEnv> {
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
 * Every state-changing request: from one of our pages (Origin), carrying the session's CSRF
 * token (but the login, which has its own nonce), by a login with admin scope.
 */
const guardWrites: MiddlewareHandler<WebEnv> = async (c, next) => {
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
  if (session.scope !== 'admin' && c.req.path !== '/logout') {
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

/** The session of a route behind {@link loadSession}. */
function must(c: Context<WebEnv>): Session {
  const session = c.get('session');
  if (!session) throw new PhotosortdError('NO_SESSION', 'Log in first');
  return session;
}

function page(
  c: Context<WebEnv>,
  title: string,
  path: string,
  session: Session | undefined,
  body: Child,
  status: 200 | 400 | 401 | 403 | 409 | 429 | 500 = 200,
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

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** "1,2,3" → row ids; anything else is a bad request that names the field. */
function idList(text: string): number[] {
  const ids = text.split(',').filter(Boolean).map(Number);
  if (ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id > 0)) {
    throw new PhotosortdError(
      'BAD_REQUEST',
      `ids must be journal row ids such as 12,13; got "${text}"`,
    );
  }
  return ids;
}

/** `?first=&last=`, `?group=`, `?id=` or `?batch=` → the rows an undo takes back. */
function undoSelector(control: DashboardControl, query: Record<string, string>): UndoSelector {
  if (query.batch) return { batch: query.batch };
  const rows = control.journal(WEB_LIMITS.historyRows);
  if (query.group) {
    return {
      ids: rows
        .filter((row) => row.group === query.group && row.status === 'done')
        .map((row) => row.id),
    };
  }
  if (query.id) return { ids: idList(query.id) };
  const first = Number(query.first);
  const last = Number(query.last);
  if (Number.isInteger(first) && Number.isInteger(last))
    return { ids: dropRows(rows, first, last) };
  throw new PhotosortdError(
    'BAD_REQUEST',
    'Say what to undo: a drop, a group or a file from History',
  );
}

async function configText(config: Config): Promise<string> {
  return config.file ? readFile(config.file, 'utf8') : '';
}

/** Stands in for a secret a read-scope login must not read. */
export const HIDDEN_SECRET = '(hidden: only an admin login sees it)';

/**
 * The configuration as a login of `session`'s scope may read it: a JWT secret written in
 * the file (not `env:NAME`) would let a read-only viewer mint itself an admin token.
 */
function readableConfig(text: string, session: Session): string {
  if (session.scope === 'admin') return text;
  const doc = parseDocument(text);
  const secret = doc.getIn(['api', 'jwt', 'secret']);
  if (typeof secret === 'string' && !secret.startsWith('env:')) {
    doc.setIn(['api', 'jwt', 'secret'], HIDDEN_SECRET);
    return doc.toString();
  }
  return text;
}

/** The Rules lab's form: the edited configuration and the folder to preview over. */
function labForm(form: Record<string, unknown>, config: Config): { yaml: string; folder: string } {
  const yaml = typeof form.yaml === 'string' ? form.yaml.replace(/\r\n/g, '\n') : '';
  const chosen = typeof form.folder === 'string' ? form.folder : '';
  const other = typeof form.other === 'string' ? form.other.trim() : '';
  return { yaml, folder: chosen || other || config.library };
}

function rulesPage(
  c: Context<WebEnv>,
  session: Session,
  config: Config,
  yaml: string,
  folder: string,
  after?: Child,
): Response | Promise<Response> {
  return page(
    c,
    'Rules lab',
    '/ui/rules',
    session,
    <>
      <RulesPage
        yaml={yaml}
        file={config.file}
        folders={{ inboxes: config.inboxes.map((inbox) => inbox.path), library: config.library }}
        folder={folder}
        session={session}
      />
      {after}
    </>,
  );
}

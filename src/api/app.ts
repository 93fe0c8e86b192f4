import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Config } from '../config/load.js';
import type { DaemonControl, DashboardControl } from '../daemon/control.js';
import type { UndoSelector } from '../journal/types.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { SharedSearch } from '../search/index.js';
import { createDashboardApp } from '../web/app.js';
import { Authenticator, type AcceptedKey } from './auth.js';
import { streamEvents } from './events.js';
import { hostGuard } from './host-guard.js';
import { instanceProof, type ApiInstance } from './instance.js';
import { clientUrl, parseListen } from './listen.js';
import type { Metrics } from './metrics.js';
import { authenticate, bodyAsJson, type ApiEnv } from './middleware.js';
import { RateLimiter } from './rate-limit.js';
import { isImageUpload, mountSearchRoutes, UPLOAD_MAX_BYTES } from './search-routes.js';
import {
  SECURITY_SCHEME,
  eventsRoute,
  healthRoute,
  journalRoute,
  metricsRoute,
  pauseRoute,
  resumeRoute,
  statusRoute,
  undoRoute,
} from './routes.js';

/** Largest request body accepted but for an image upload; the others are small JSON objects. */
const MAX_BODY_BYTES = 16 * 1024;

/** What the API app is built from. */
export interface ApiAppOptions {
  config: Config;
  control: DaemonControl;
  logger: Logger;
  metrics: Metrics;
  /** Keys accepted; defaults to `config.api.keys` (startApiServer adds the key file's). */
  keys?: AcceptedKey[];
  /** Aborted when the server shuts down: ends open event streams. */
  closing?: AbortSignal;
  /** Who this daemon is: `/health?challenge=` answers with a proof of it. */
  instance?: ApiInstance;
  /** The rate limiter's clock, for tests. */
  now?: () => number;
  /** When given, the dashboard is served at `/` (its pages, login and session routes). */
  dashboard?: DashboardControl;
}

/** The OpenAPI-aware hono app type {@link createApiApp} returns. */
export type ApiApp = OpenAPIHono<ApiEnv>;

/**
 * The control API as a hono app: routes, validation, auth, rate limit, body limit and the
 * generated OpenAPI document at `/openapi.json`. {@link startApiServer} serves it; tests may
 * also call `app.request()` directly.
 */
export function createApiApp(options: ApiAppOptions): ApiApp {
  const { config, control, logger, metrics } = options;
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json({ error: describeIssues(result.error.issues), code: 'BAD_REQUEST' }, 400);
      }
    },
  });

  app.use(
    '*',
    hostGuard({ listen: parseListen(config.api.listen), allowedHosts: config.api.allowedHosts }),
  );
  const authenticator = new Authenticator(options.keys ?? config.api.keys, config.api.jwt);
  const limiter = new RateLimiter(config.api.rateLimit.perMinute, options.now);
  const search = new SharedSearch({
    config,
    closing: options.closing,
    daemon: () => control.searchParts?.() ?? null,
    // Loaded only for an upload when no daemon lends its tagger (a server for tests).
    openEmbedder: async (exiftool) =>
      (await import('../app/assemble.js')).openTagger(config, exiftool, logger),
  });
  // Before the bearer check: the dashboard's paths take a session cookie instead.
  if (options.dashboard) {
    app.route(
      '/',
      createDashboardApp({
        config,
        control: options.dashboard,
        authenticator,
        limiter,
        logger,
        search,
        closing: options.closing,
      }),
    );
  }
  app.use('*', authenticate({ authenticator, limiter, logger }));
  const smallBodies = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      c.json(
        {
          error: `Request body is larger than ${MAX_BODY_BYTES} bytes; the API takes small JSON objects`,
          code: 'PAYLOAD_TOO_LARGE',
        },
        413,
      ),
  });
  const imageBodies = bodyLimit({
    maxSize: UPLOAD_MAX_BYTES,
    onError: (c) =>
      c.json(
        {
          error:
            `The image is larger than ${UPLOAD_MAX_BYTES / 2 ** 20} MiB; send a smaller copy ` +
            '(a JPEG export of a few MB ranks the same)',
          code: 'PAYLOAD_TOO_LARGE',
        },
        413,
      ),
  });
  const jsonBodies = bodyAsJson();
  // An image upload is the one body that is neither small nor JSON.
  app.use('*', (c, next) => (isImageUpload(c) ? imageBodies(c, next) : smallBodies(c, next)));
  app.use('*', (c, next) => (isImageUpload(c) ? next() : jsonBodies(c, next)));

  app.openapi(healthRoute, (c) => {
    const { challenge } = c.req.valid('query');
    const { libraryState, inboxes } = control.status();
    const watching = inboxes.filter((inbox) => inbox.watching).length;
    // Asked with a challenge, the daemon also proves it is the one of its state folder.
    const { instance } = options;
    const proof =
      challenge && instance
        ? { pid: instance.pid, proof: instanceProof(instance.secret, challenge) }
        : {};
    return c.json(
      {
        ok: true as const,
        library: libraryState.present ? ('present' as const) : ('unavailable' as const),
        inboxes: { watching, missing: inboxes.length - watching },
        ...proof,
      },
      200,
    );
  });
  app.openapi(statusRoute, (c) => c.json(control.status(), 200));
  app.openapi(pauseRoute, (c) => {
    control.pause();
    logger.info({ by: c.get('principal').name }, 'Paused over the API');
    return c.json(control.status(), 200);
  });
  app.openapi(resumeRoute, (c) => {
    control.resume();
    logger.info({ by: c.get('principal').name }, 'Resumed over the API');
    return c.json(control.status(), 200);
  });
  app.openapi(undoRoute, async (c) => {
    const body = c.req.valid('json');
    const selector: UndoSelector =
      body.last !== undefined
        ? { last: body.last }
        : body.batch !== undefined
          ? { batch: body.batch }
          : { all: true };
    const result = await control.undo(selector, { force: body.force, dryRun: body.dryRun });
    logger.info(
      {
        by: c.get('principal').name,
        selector,
        dryRun: body.dryRun === true,
        undone: result.undone.length,
        refused: result.refused.length,
      },
      'Undo over the API',
    );
    return c.json(result, 200);
  });
  app.openapi(journalRoute, (c) => c.json(control.journal(c.req.valid('query').limit), 200));
  app.openapi(eventsRoute, (c) => streamEvents(c, { control, logger, closing: options.closing }));
  app.openapi(metricsRoute, async (c) =>
    c.text(await metrics.render(control.status()), 200, { 'Content-Type': metrics.contentType }),
  );

  mountSearchRoutes(app, search);

  app.openAPIRegistry.registerComponent('securitySchemes', SECURITY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (the generated <state>/api-key or one whose SHA-256 is in api.keys) or an ' +
      'HS256 JWT with `exp` and a `scope` claim of `read` or `admin`.',
  });
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'photosortd control API',
      version: control.status().version,
      description: 'Steer a running photosortd daemon: status, pause, resume, undo, journal.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl(config.api.listen, c.req.url), description: 'api.listen' }],
  }));

  app.notFound((c) =>
    c.json(
      {
        error: `No route ${c.req.method} ${c.req.path}; GET /openapi.json lists the routes`,
        code: 'NOT_FOUND',
      },
      404,
    ),
  );
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const message = /malformed json/i.test(error.message)
        ? 'Request body is not valid JSON'
        : error.message;
      return c.json({ error: message, code: 'BAD_REQUEST' }, error.status);
    }
    if (error instanceof PhotosortdError) {
      logger.warn({ code: error.code, path: c.req.path }, error.message);
      return c.json({ error: error.message, code: error.code }, 409);
    }
    logger.error({ err: error, path: c.req.path }, 'API request failed');
    return c.json(
      {
        error: `The daemon failed to handle ${c.req.method} ${c.req.path}: ${errorMessage(error)}; see its log`,
        code: 'INTERNAL',
      },
      500,
    );
  });

  return app;
}

/**
 * The base URL clients use, from `api.listen`; a listen on port 0 (an OS-chosen port) is only
 * known from the request that reached it.
 */
function serverUrl(listen: string, requestUrl: string): string {
  const address = parseListen(listen);
  return address.port === 0 ? new URL(requestUrl).origin : clientUrl(address);
}

/** One line naming each bad field: `last: must be at least 1; unknown field "foo"`. */
function describeIssues(
  issues: readonly {
    path: readonly PropertyKey[];
    message: string;
    code?: string;
    keys?: string[];
  }[],
): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
        return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}`;
      }
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'request';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

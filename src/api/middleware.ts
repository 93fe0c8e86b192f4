import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/logger.js';
import { scopeAllows, type Authenticator, type Principal } from './auth.js';
import type { Scope } from './jwt.js';
import { PUBLIC_PATHS } from './public-paths.js';
import type { RateDecision, RateLimiter } from './rate-limit.js';

/** The hono environment of the API app: the authenticated caller, once known. */
export interface ApiEnv {
  Variables: { principal: Principal };
}

/** The peer's address, or `unknown` when the app runs without a socket (`app.request`). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function tooMany(c: Context, decision: Extract<RateDecision, { allowed: false }>): Response {
  return c.json(
    {
      error: `Too many requests; try again in ${decision.retryAfterSeconds} s`,
      code: 'RATE_LIMITED',
    },
    429,
    { 'Retry-After': String(decision.retryAfterSeconds) },
  );
}

/**
 * Checks the bearer token of every request but {@link PUBLIC_PATHS} and applies the rate
 * limit: per token for good tokens, per address for failed attempts. A good token is always
 * checked, even while its address is throttled for failures: on a shared address (every local
 * process is 127.0.0.1) a client sending garbage must not lock the CLI out, and the keys are
 * 256-bit random, so the limit is about load and log volume, not about guessing.
 */
export function authenticate(options: {
  authenticator: Authenticator;
  limiter: RateLimiter;
  logger: Logger;
}): MiddlewareHandler<ApiEnv> {
  const { authenticator, limiter, logger } = options;
  return async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path)) return next();
    const result = await authenticator.check(c.req.header('authorization'));
    if (!result.ok) {
      const address = remoteAddress(c);
      const decision = limiter.take(`address:${address}`);
      const where = { address, method: c.req.method, path: c.req.path, reason: result.reason };
      if (!decision.allowed) {
        logger.debug(where, 'API authentication failed (rate limited)');
        return tooMany(c, decision);
      }
      logger.warn(where, 'API authentication failed');
      return c.json(
        {
          error:
            `Unauthorized: ${result.reason}. Send "Authorization: Bearer <token>" with the key ` +
            'from <state>/api-key, a key listed in api.keys, or a JWT from `photosortd token create`',
          code: 'UNAUTHORIZED',
        },
        401,
        { 'WWW-Authenticate': 'Bearer realm="photosortd"' },
      );
    }
    const decision = limiter.take(`token:${result.principal.id}`);
    if (!decision.allowed) {
      logger.warn(
        { name: result.principal.name, address: remoteAddress(c), path: c.req.path },
        'API rate limit reached',
      );
      return tooMany(c, decision);
    }
    c.set('principal', result.principal);
    return next();
  };
}

/** Refuses (403) a caller whose token lacks `scope`; runs after {@link authenticate}. */
export function requireScope(scope: Scope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!scopeAllows(principal.scope, scope)) {
      return c.json(
        {
          error:
            `Forbidden: ${c.req.method} ${c.req.path} needs scope "${scope}" and the token ` +
            `"${principal.name}" has "${principal.scope}"`,
          code: 'FORBIDDEN',
        },
        403,
      );
    }
    return next();
  };
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Reads every request body as JSON, whatever content type it was sent with. The API's bodies
 * are small JSON objects, parsed and validated by the route's schema anyway, and the common
 * `curl -d '{"last":5}'` sends them as `application/x-www-form-urlencoded`: refusing that
 * with 415 helps nobody. Runs before the routes' validators.
 */
export function bodyAsJson(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
    if (c.req.raw.body !== null && !JSON_MEDIA_TYPE.test(type)) {
      const headers = new Headers(c.req.raw.headers);
      headers.set('content-type', 'application/json');
      c.req.raw = new Request(c.req.raw, { headers });
    }
    return next();
  };
}

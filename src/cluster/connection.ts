import type { RedisOptions } from 'bullmq';
import { redactedRedisUrl } from '../config/load.js';
import { ConfigError, errorMessage } from '../lib/errors.js';

/** Defaults of the cluster, each with its reason. */
export const CLUSTER_DEFAULTS = Object.freeze({
  /** BullMQ's key prefix: photosortd's queues and caches never mix with another app's. */
  prefix: 'photosortd',
  /** The queue of image embeddings. */
  queue: 'embed',
  /**
   * How long a start-up check waits for Redis: a reachable server answers in milliseconds;
   * a wrong host or port should not hold a start for long.
   */
  connectTimeoutMs: 5_000,
  /** A finished job is kept this long (s) for `status` and then expires: it holds no secret. */
  keepCompletedSeconds: 3_600,
  /** A failed job is kept a day (s), for someone to look at why. */
  keepFailedSeconds: 86_400,
  /**
   * A worker holds a job's lock this long (ms) and renews it at half; a killed worker's job
   * is seen as stalled after at most this plus {@link stalledIntervalMs} and given again.
   */
  lockDurationMs: 10_000,
  /** How often a worker looks for jobs whose worker died (ms). */
  stalledIntervalMs: 5_000,
  /** A job may stall (its worker killed) this often before it fails for good. */
  maxStalledCount: 2,
  /** Images one process may have on the queue at once: above the largest `concurrency`. */
  maxInFlight: 1_024,
  /** With `fallback: wait`, the pause before an unanswered image is put on the queue again (ms). */
  waitRetryMs: 1_000,
  /** How often a daemon looks at the queue for `status` (ms): cheap, and fresh enough. */
  statusRefreshMs: 5_000,
  /** Shared cache entries expire after 30 days (ms): re-made on demand, never stale forever. */
  cacheTtlMs: 30 * 24 * 3_600_000,
});

/**
 * ioredis options for `url` (checked by the config loader). `role` names the connection in
 * Redis' client list, so `CLIENT LIST` shows which process holds it.
 */
export function connectionOptions(url: string, options: { failFast: boolean }): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : 0,
    tls: parsed.protocol === 'rediss:' ? { servername: parsed.hostname } : undefined,
    connectTimeout: CLUSTER_DEFAULTS.connectTimeoutMs,
    // The daemon's calls fail at once while Redis is away, so its model work falls back to
    // this machine instead of waiting in a client-side queue; a worker just waits.
    ...(options.failFast
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 }
      : { maxRetriesPerRequest: null }),
  };
}

/** Redis' answer to a bad password, a missing one or an unknown user. */
const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid username-password|AUTH/i;

/**
 * The start-up error for a Redis that does not answer `url`: names `cluster.redis`, what went
 * wrong and what to do, without the password.
 */
export function unreachableError(url: string, error: unknown, file: string | null): ConfigError {
  const where = redactedRedisUrl(url);
  const why = errorMessage(error);
  const todo = AUTH_ERROR.test(why)
    ? 'Redis refused the user or password: correct them in the URL (or the env: variable it names)'
    : 'start Redis there or correct the host, port and database';
  return new ConfigError(file, [
    `cluster.redis: cannot use ${where}: ${why}; ${todo}, or remove cluster to run on this machine alone`,
  ]);
}

/**
 * `work`, or a rejection once {@link CLUSTER_DEFAULTS.connectTimeoutMs} passed: ioredis keeps
 * retrying a server that does not answer, so a start-up check must stop waiting on its own.
 */
export async function withinConnectTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CLUSTER_DEFAULTS.connectTimeoutMs} ms`)),
      CLUSTER_DEFAULTS.connectTimeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

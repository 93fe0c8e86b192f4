import { Queue } from 'bullmq';
import { redactedRedisUrl } from '../config/load.js';
import { errorMessage } from '../lib/errors.js';
import { CLUSTER_DEFAULTS, connectionOptions } from './connection.js';

/** What `doctor` and `status` show of the cluster. */
export interface ClusterStatus {
  /** `cluster.redis` without its password. */
  redis: string;
  reachable: boolean;
  /** Why Redis could not be used, when it could not. */
  error?: string;
  /** Names (`host:pid`) of the workers connected to the queue now. */
  workers: string[];
  /** Jobs waiting for a worker, and being worked on. */
  waiting: number;
  active: number;
}

/**
 * Asks Redis how the queue stands: which workers are connected, how many jobs wait. Never
 * throws: an unreachable Redis (or a refused password) is a status with the reason.
 */
export async function clusterStatus(url: string): Promise<ClusterStatus> {
  const redis = redactedRedisUrl(url);
  const queue = new Queue(CLUSTER_DEFAULTS.queue, {
    prefix: CLUSTER_DEFAULTS.prefix,
    connection: { ...connectionOptions(url, { failFast: true }), retryStrategy: () => null },
  });
  let firstError: unknown;
  queue.on('error', (error) => {
    firstError ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = Promise.all([
      queue.getJobCounts('wait', 'prioritized', 'delayed', 'active'),
      queue.getWorkers(),
    ]);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${CLUSTER_DEFAULTS.connectTimeoutMs} ms`)),
        CLUSTER_DEFAULTS.connectTimeoutMs,
      );
    });
    const [counts, workers] = await Promise.race([answer, timeout]);
    return {
      redis,
      reachable: true,
      workers: workers.flatMap((worker) => (worker.name ? [worker.name] : [])).sort(),
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0,
    };
  } catch (error) {
    return {
      redis,
      reachable: false,
      error: errorMessage(firstError ?? error),
      workers: [],
      waiting: 0,
      active: 0,
    };
  } finally {
    clearTimeout(timer);
    await queue.close().catch(() => undefined);
  }
}

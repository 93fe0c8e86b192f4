import { Queue } from 'bullmq';
import { redactedRedisUrl } from '../config/load.js';
import { errorMessage } from '../lib/errors.js';
import { CLUSTER_DEFAULTS, connectionOptions, withinConnectTimeout } from './connection.js';

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
  const queue = statusQueue(url);
  try {
    return await readQueueStatus(queue, url);
  } finally {
    await queue.close().catch(() => undefined);
  }
}

/** A queue handle for status reads, which fail at once while Redis is away. */
export function statusQueue(url: string): Queue {
  const queue = new Queue(CLUSTER_DEFAULTS.queue, {
    prefix: CLUSTER_DEFAULTS.prefix,
    connection: connectionOptions(url, { failFast: true }),
  });
  queue.on('error', (error) => {
    lastErrors.set(queue, error);
  });
  return queue;
}

/** The last connection error of each status queue: it says more than a timeout. */
const lastErrors = new WeakMap<Queue, unknown>();

/**
 * The names workers gave themselves, once each: BullMQ lists each worker connection with its
 * client name `<queue client>:w:<name>` in `rawname` (a worker holds more than one).
 */
function workerNames(clients: Record<string, string>[]): string[] {
  const names = clients.flatMap((client) => {
    const at = client.rawname?.indexOf(':w:') ?? -1;
    return at >= 0 ? [client.rawname!.slice(at + 3)] : [];
  });
  return [...new Set(names)].sort();
}

/** {@link clusterStatus} through an open queue handle (see {@link statusQueue}). */
export async function readQueueStatus(queue: Queue, url: string): Promise<ClusterStatus> {
  const redis = redactedRedisUrl(url);
  try {
    const [counts, workers] = await withinConnectTimeout(
      Promise.all([
        queue.getJobCounts('wait', 'prioritized', 'delayed', 'active'),
        queue.getWorkers(),
      ]),
    );
    lastErrors.delete(queue);
    return {
      redis,
      reachable: true,
      workers: workerNames(workers),
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0,
    };
  } catch (error) {
    return {
      redis,
      reachable: false,
      error: errorMessage(lastErrors.get(queue) ?? error),
      workers: [],
      waiting: 0,
      active: 0,
    };
  }
}

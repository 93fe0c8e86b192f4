/**
 * More than one machine: model work on a BullMQ queue for `photosortd worker`s, and caches
 * shared through Redis (keyv). Loaded only when the configuration has `cluster`.
 */
import type { PlaceCache } from '../geocode/cache.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { modelFingerprint } from '../tagging/model-files.js';
import type { EmbeddingBackendFactory } from '../tagging/tagger.js';
import { CLUSTER_DEFAULTS, unreachableError } from './connection.js';
import { connectRemoteEmbedder, THIS_MACHINE, type WorkTally } from './remote-embedder.js';
import { openSharedEmbeddings, openSharedPlaces } from './shared-cache.js';
import { clusterStatus, readQueueStatus, statusQueue, type ClusterStatus } from './status.js';

export { clusterStatus } from './status.js';
export { startClusterWorker } from './worker.js';

/** The cluster as this process uses it. */
export interface Cluster {
  /** For the tagger: its model work goes to the workers, its embeddings are shared. */
  readonly backend: EmbeddingBackendFactory;
  /** For the geocoder: answers shared under `namespace` (the geocoder closes it). */
  places(namespace: string): PlaceCache;
  /** Images embedded by each worker (and by this machine) since start. */
  readonly done: WorkTally;
  /** {@link done} as one line: `host:1 40 · host:2 38 · this machine 2`. */
  describeWork(): string;
  /** How the queue stood at the last look (refreshed every few seconds), with {@link done}. */
  status(): ClusterStatus & { done: Record<string, number> };
  close(): Promise<void>;
}

/** Options of {@link openCluster}. */
export interface OpenClusterOptions {
  /** `cluster.redis`, resolved. */
  url: string;
  /** `cluster.timeoutMs`. */
  timeoutMs: number;
  /** `cluster.fallback`. */
  fallback: 'local' | 'wait';
  configFile: string | null;
  logger: Logger;
}

/**
 * Checks that Redis answers (a `ConfigError` naming `cluster.redis` when not, so a bad URL
 * or password stops the start with exit status 2) and returns the cluster's parts.
 */
export async function openCluster(options: OpenClusterOptions): Promise<Cluster> {
  const status = await clusterStatus(options.url);
  if (!status.reachable) {
    throw unreachableError(options.url, new Error(status.error), options.configFile);
  }
  options.logger.info(
    { redis: status.redis, workers: status.workers.length },
    'cluster: model work goes to workers through Redis',
  );
  const closers: (() => Promise<void>)[] = [];
  // `status` answers at once (the API's /status is synchronous) from a look kept fresh here.
  let last = status;
  const looking = statusQueue(options.url);
  const refresh = setInterval(() => {
    void readQueueStatus(looking, options.url).then((now) => (last = now));
  }, CLUSTER_DEFAULTS.statusRefreshMs).unref();
  closers.push(async () => {
    clearInterval(refresh);
    await looking.close();
  });
  const done: WorkTally = new Map();
  let cacheErrorShown = false;
  const onCacheError = (error: unknown) => {
    if (cacheErrorShown) return;
    cacheErrorShown = true;
    options.logger.warn(`cluster: the shared cache is not answering: ${errorMessage(error)}`);
  };
  return {
    done,
    describeWork: () => describeWork(done),
    status: () => ({ ...last, done: Object.fromEntries(done) }),
    async backend(local, files) {
      const fingerprint = await modelFingerprint(files);
      const embedder = await connectRemoteEmbedder({
        url: options.url,
        fingerprint,
        local,
        timeoutMs: options.timeoutMs,
        fallback: options.fallback,
        configFile: options.configFile,
        logger: options.logger,
        done,
      });
      const shared = openSharedEmbeddings(options.url, fingerprint, onCacheError);
      closers.push(() => shared.close());
      return { embedder, shared };
    },
    places(namespace) {
      return openSharedPlaces(options.url, namespace, onCacheError);
    },
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

function describeWork(done: WorkTally): string {
  const entries = [...done.entries()].sort(([a], [b]) =>
    a === THIS_MACHINE ? 1 : b === THIS_MACHINE ? -1 : a.localeCompare(b),
  );
  return entries.map(([who, n]) => `${who} ${n}`).join(' · ');
}

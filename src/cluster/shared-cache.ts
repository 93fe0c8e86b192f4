import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import type { PlaceCache } from '../geocode/cache.js';
import type { GpsPosition, Place } from '../lib/media.js';
import type { SharedEmbeddings } from '../tagging/tagger.js';
import { CLUSTER_DEFAULTS } from './connection.js';
import { decodeVector, encodeVector } from './jobs.js';

/**
 * A keyv store on Redis that never waits for Redis: while it is away, reads miss. Its
 * connection is opened at once, so the first reads do not find it still connecting.
 */
function redisKeyv<T>(
  url: string,
  namespace: string,
  onError: (error: unknown) => void,
): { keyv: Keyv<T>; connected: Promise<void> } {
  const store = new KeyvRedis<T>(
    {
      url,
      // Commands fail at once while disconnected instead of queueing: a cache that waits
      // would hold filing up for as long as Redis is away.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CLUSTER_DEFAULTS.connectTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(250 * 2 ** retries, 10_000),
      },
    },
    {
      throwOnConnectError: false,
      throwOnErrors: false,
      connectionTimeout: CLUSTER_DEFAULTS.connectTimeoutMs,
    },
  );
  const keyv = new Keyv<T>({
    store,
    namespace: `${CLUSTER_DEFAULTS.prefix}:${namespace}`,
    // The store prefixes keys with the namespace itself.
    useKeyPrefix: false,
    ttl: CLUSTER_DEFAULTS.cacheTtlMs,
  });
  keyv.on('error', onError);
  store.on('error', onError);
  const connected = store.getClient().then(() => undefined, onError);
  return { keyv, connected };
}

/** {@link SharedEmbeddings} that can be closed. */
export interface SharedEmbeddingCache extends SharedEmbeddings {
  close(): Promise<void>;
}

/**
 * Image embeddings on Redis by model fingerprint and content hash, so a second daemon, a
 * re-index or `photosortd index` on another machine finds what one already computed. A
 * failure (Redis away) is a miss, never an error.
 */
export function openSharedEmbeddings(
  url: string,
  fingerprint: string,
  onError: (error: unknown) => void,
): SharedEmbeddingCache {
  const { keyv, connected } = redisKeyv<string>(url, 'embeddings', onError);
  const key = (hash: string) => `${fingerprint}:${hash}`;
  return {
    async get(hash) {
      await connected;
      try {
        const stored = await keyv.get(key(hash));
        return typeof stored === 'string' ? decodeVector(stored) : undefined;
      } catch (error) {
        onError(error);
        return undefined;
      }
    },
    async set(hash, embedding) {
      await connected;
      await keyv.set(key(hash), encodeVector(embedding)).catch(onError);
    },
    close: () => keyv.disconnect().catch(onError),
  };
}

/**
 * Geocoding answers on Redis under `namespace` (provider and data version): the geocoder's
 * second tier, behind its own file, so a second daemon does not look them up again.
 */
export function openSharedPlaces(
  url: string,
  namespace: string,
  onError: (error: unknown) => void,
): PlaceCache {
  const { keyv, connected } = redisKeyv<{ place: Place | null }>(
    url,
    `places:${namespace}`,
    onError,
  );
  const key = (gps: GpsPosition) => `${gps.lat},${gps.lon}`;
  return {
    async get(gps) {
      await connected;
      try {
        return (await keyv.get(key(gps)))?.place;
      } catch (error) {
        onError(error);
        return undefined;
      }
    },
    async set(gps, place) {
      await connected;
      await keyv.set(key(gps), { place }).catch(onError);
    },
    close: () => keyv.disconnect().catch(onError),
  };
}

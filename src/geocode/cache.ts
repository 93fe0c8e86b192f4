import { mkdirSync } from 'node:fs';
import Keyv from 'keyv';
import type { GpsPosition, Place } from '../lib/media.js';
import { SqliteKeyvStore } from '../lib/sqlite-keyv-store.js';
import { createPrivateFile, STATE_DIR_MODE, statePaths } from '../lib/state-paths.js';

/**
 * Decimals kept of each coordinate: 3 is a cell of ~110 m, far finer than a town and coarse
 * enough that a burst of photos from one walk shares one entry.
 */
const CACHE_DECIMALS = 3;

/** A position rounded to the cache's cell; lookups use it so an entry is exact for its key. */
export function roundGps(gps: GpsPosition): GpsPosition {
  const factor = 10 ** CACHE_DECIMALS;
  // `+ 0` turns -0 into 0 so both sides of the equator/meridian share one key.
  return {
    lat: Math.round(gps.lat * factor) / factor + 0,
    lon: Math.round(gps.lon * factor) / factor + 0,
  };
}

/** Places found before, keyed by rounded position; `null` (nothing near) is remembered too. */
export interface PlaceCache {
  get(gps: GpsPosition): Promise<Place | null | undefined>;
  set(gps: GpsPosition, place: Place | null): Promise<void>;
  close(): Promise<void>;
}

function key(gps: GpsPosition): string {
  return `${gps.lat.toFixed(CACHE_DECIMALS)},${gps.lon.toFixed(CACHE_DECIMALS)}`;
}

/**
 * Opens `<stateDir>/geocode-cache.sqlite` (keyv on better-sqlite3). `namespace` separates
 * providers and data versions, whose answers differ; store failures go to `onError`.
 */
export function openPlaceCache(
  stateDir: string,
  namespace: string,
  onError: (error: unknown) => void,
): PlaceCache {
  mkdirSync(stateDir, { recursive: true, mode: STATE_DIR_MODE });
  const file = statePaths(stateDir).geocodeCache;
  createPrivateFile(file);
  const store = new SqliteKeyvStore(file);
  const keyv = new Keyv<{ place: Place | null }>({ store, namespace });
  keyv.on('error', onError);
  return {
    async get(gps) {
      const entry = await keyv.get(key(gps));
      return entry === undefined ? undefined : entry.place;
    },
    async set(gps, place) {
      await keyv.set(key(gps), { place });
    },
    async close() {
      await keyv.disconnect();
    },
  };
}

import type { ExifTool } from 'exiftool-vendored';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { GpsPosition, Place } from '../lib/media.js';
import { openPlaceCache, roundGps, type PlaceCache } from './cache.js';
import { chooseSettlement, type Candidate } from './choose.js';
import { countryName } from './countries.js';
import type { PlaceEngine } from './engine.js';
import { usableGps } from './gps.js';

/** Where places come from: GeoNames rows shipped in npm packages, or exiftool's database. */
export type GeocodeProvider = 'geonames' | 'exiftool';

/**
 * What searches GeoNames' places: photosortd's own k-d tree or local-reverse-geocoder over
 * the cities1000 rows, or a k-d tree over exiftool's Geolocation.dat read as the place table.
 */
type GeonamesEngine = 'kdbush' | 'local-reverse-geocoder' | 'geolocation-dat';

/**
 * The provider used when the config names none. Chosen by measurement on the corpus (see
 * BENCHMARKS.md and docs/geocoding.md): GeoNames through the k-d tree names the expected
 * town as often as exiftool, starts in well under a second and answers in microseconds
 * without a child process.
 */
export const DEFAULT_GEOCODE_PROVIDER: GeocodeProvider = 'geonames';

/** The GeoNames engine used unless asked otherwise; the other two are measured beside it. */
const DEFAULT_GEONAMES_ENGINE: GeonamesEngine = 'kdbush';

/** Offline reverse geocoding: GPS position → place name. */
export interface Geocoder {
  /** The place for a position, or `null` for no usable GPS, nothing near, or no data. */
  lookup(gps: GpsPosition): Promise<Place | null>;
  /** Resolves once the data is loaded; rejects with `GEOCODE_DATA` when it cannot be. */
  ready(): Promise<void>;
  /** `geonames`, `geonames/<engine>` for another engine, or `exiftool`. */
  readonly provider: string;
  close(): Promise<void>;
}

/** Options of {@link createGeocoder}. */
export interface GeocoderOptions {
  provider: GeocodeProvider;
  /** The daemon's state directory: prepared data and the cache live here. */
  stateDir: string;
  logger?: Logger;
  /** For the `exiftool` provider: an ExifTool to share (its owner ends it). */
  exiftool?: ExifTool;
  /** For the `geonames` provider; {@link DEFAULT_GEONAMES_ENGINE} unless given. */
  engine?: GeonamesEngine;
  /** Remember answers in `<stateDir>/geocode-cache.sqlite`; default true. */
  cache?: boolean;
  /**
   * A second tier of answers shared beyond this machine (a cluster's Redis), opened under
   * the same namespace as the file: asked when the file misses, told every new answer.
   */
  shared?: (namespace: string) => PlaceCache;
}

/** Bump when the choice of place changes, so cached answers from before are not reused. */
const ANSWER_VERSION = 2;

/**
 * Loads the data of the provider (and GeoNames engine) the options name. The engines are
 * imported here, not with this module: a run that never needs a place loads none of them
 * (nor kdbush, nor exiftool-vendored for the `exiftool` provider).
 */
async function loadEngine(
  options: GeocoderOptions,
  engineName: GeonamesEngine,
): Promise<PlaceEngine> {
  if (options.provider === 'exiftool') {
    const { loadExiftoolGeolocation } = await import('./exiftool-engine.js');
    return loadExiftoolGeolocation(options.stateDir, options.exiftool);
  }
  if (engineName === 'geolocation-dat') {
    const [{ readGeolocationDat, shippedGeolocationDat }, { indexPlaces }] = await Promise.all([
      import('./geolocation-dat.js'),
      import('./place-index.js'),
    ]);
    return indexPlaces(await readGeolocationDat(shippedGeolocationDat()));
  }
  const { geonamesFiles } = await import('./data.js');
  const files = await geonamesFiles(options.stateDir);
  if (engineName === 'kdbush')
    return (await import('./geonames-index.js')).loadGeonamesIndex(files);
  return (await import('./lrg-engine.js')).loadLocalReverseGeocoder(files);
}

function toPlace(candidates: readonly Candidate[]): Place | null {
  const chosen = chooseSettlement(candidates);
  if (!chosen) return null;
  return {
    city: chosen.name,
    region: chosen.region,
    country: countryName(chosen.countryCode),
    countryCode: chosen.countryCode,
  };
}

/**
 * Returns straight away; the provider's data loads when first needed: at `ready()` (the
 * daemon calls it at start, so the first photo does not wait) or at the first `lookup` the
 * cache cannot answer (a scan, whose empty or GPS-less run then never loads it).
 */
export function createGeocoder(options: GeocoderOptions): Geocoder {
  const engineName = options.engine ?? DEFAULT_GEONAMES_ENGINE;
  const provider =
    options.provider === 'exiftool'
      ? 'exiftool'
      : engineName === 'kdbush'
        ? 'geonames'
        : `geonames/${engineName}`;
  const logger = options.logger;
  let cacheFailed = false;
  const namespace = `geocode-${provider}-v${ANSWER_VERSION}`;
  const shared = options.shared?.(namespace) ?? null;
  const cache: PlaceCache | null =
    options.cache === false
      ? null
      : openPlaceCache(options.stateDir, namespace, (error) => {
          if (!cacheFailed) {
            cacheFailed = true;
            logger?.warn(
              { err: error },
              `Geocoding cache in ${options.stateDir} failed; places are looked up without it`,
            );
          }
        });

  let loading: Promise<PlaceEngine> | undefined;
  /**
   * Starts the load the first time anything needs the data; later calls share it. A failure
   * is said once, whoever asked first; lookups then answer null, and ready() rejects.
   */
  function load(): Promise<PlaceEngine> {
    loading ??= loadEngine(options, engineName).catch((error: unknown) => {
      const failure =
        error instanceof PhotosortdError
          ? error
          : new PhotosortdError(
              'GEOCODE_DATA',
              `Geocoding data for ${provider} could not be loaded: ${errorMessage(error)}. Reinstall the dependencies with \`npm ci\`.`,
              { cause: error },
            );
      logger?.error({ err: failure }, 'places are off: the geocoding data could not be loaded');
      throw failure;
    });
    return loading;
  }

  async function cached(gps: GpsPosition): Promise<Place | null | undefined> {
    let mine: Place | null | undefined;
    if (cache && !cacheFailed) mine = await cache.get(gps).catch(() => undefined);
    if (mine !== undefined || !shared) return mine;
    const theirs = await shared.get(gps).catch(() => undefined);
    if (theirs !== undefined && cache && !cacheFailed) {
      await cache.set(gps, theirs).catch(() => undefined);
    }
    return theirs;
  }

  return {
    provider,
    ready: () => load().then(() => undefined),
    async lookup(raw) {
      const usable = usableGps(raw);
      if (!usable) return null;
      const gps = roundGps(usable);
      const hit = await cached(gps);
      if (hit !== undefined) return hit;
      let engine: PlaceEngine;
      try {
        engine = await load();
      } catch {
        return null;
      }
      let place: Place | null;
      try {
        place = toPlace(await engine.candidates(gps));
      } catch (error) {
        logger?.warn({ err: error, gps }, `Geocoding ${gps.lat},${gps.lon} failed`);
        return null;
      }
      if (cache && !cacheFailed) await cache.set(gps, place).catch(() => undefined);
      await shared?.set(gps, place).catch(() => undefined);
      return place;
    },
    async close() {
      // A load never started has nothing to close; one under way is waited for.
      const engine = await loading?.catch(() => null);
      await engine?.close();
      await cache?.close().catch(() => undefined);
      await shared?.close().catch(() => undefined);
    },
  };
}

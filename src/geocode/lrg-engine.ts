import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { PhotosortdError } from '../lib/errors.js';
import type { GpsPosition } from '../lib/media.js';
import type { Candidate } from './choose.js';
import { forEachCityRow, type GeonamesFiles } from './data.js';
import type { PlaceEngine } from './engine.js';

const require = createRequire(import.meta.url);

interface LrgResult {
  name: string;
  featureCode: string | null;
  countryCode: string | null;
  population: string | null;
  admin1Code: { name: string | null } | string | null;
  distance: number;
}

interface LocalReverseGeocoder {
  init(
    options: {
      dumpDirectory: string;
      load: { admin1: boolean; admin2: boolean; admin3And4: boolean; alternateNames: boolean };
    },
    callback: () => void,
  ): void;
  lookUp(
    point: { latitude: number; longitude: number },
    maxResults: number,
    callback: (error: unknown, results: LrgResult[][]) => void,
  ): void;
}

/** Nearest rows asked of local-reverse-geocoder; enough to hold a city among its districts. */
const NEAREST = 40;

// The library keeps one tree per process (module state), so it is loaded once and shared.
let loaded: Promise<LocalReverseGeocoder> | null = null;

async function loadOnce(files: GeonamesFiles): Promise<LocalReverseGeocoder> {
  // The library throws from inside a callback (an uncaught exception) on a malformed row and
  // downloads any file it cannot find, so both files are checked here first.
  let text: string;
  try {
    text = await readFile(files.cities, 'utf8');
    await readFile(files.admin1);
  } catch (error) {
    throw new PhotosortdError(
      'GEOCODE_DATA',
      `GeoNames data under ${files.dumpDir} cannot be read. Reinstall the dependencies with \`npm ci\`.`,
      { cause: error },
    );
  }
  await forEachCityRow(files.cities, text, () => undefined);
  const geocoder = require('local-reverse-geocoder') as LocalReverseGeocoder;
  await new Promise<void>((resolve) => {
    geocoder.init(
      {
        dumpDirectory: files.dumpDir,
        load: { admin1: true, admin2: false, admin3And4: false, alternateNames: false },
      },
      resolve,
    );
  });
  return geocoder;
}

/**
 * local-reverse-geocoder over the same prepared GeoNames dump, loaded strictly offline (only
 * the cities and admin1 files, which are known to be present).
 */
export async function loadLocalReverseGeocoder(files: GeonamesFiles): Promise<PlaceEngine> {
  if (!loaded) {
    loaded = loadOnce(files);
    loaded.catch(() => {
      loaded = null;
    });
  }
  const geocoder = await loaded;
  return {
    candidates(gps: GpsPosition): Promise<Candidate[]> {
      return new Promise((resolve, reject) => {
        geocoder.lookUp({ latitude: gps.lat, longitude: gps.lon }, NEAREST, (error, results) => {
          if (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          resolve(
            (results[0] ?? []).map((r) => ({
              name: r.name,
              featureCode: r.featureCode ?? '',
              population: Number(r.population) || 0,
              distanceKm: r.distance,
              countryCode: r.countryCode ?? '',
              region: typeof r.admin1Code === 'object' ? (r.admin1Code?.name ?? null) : null,
            })),
          );
        });
      });
    },
    async close() {},
  };
}

import { mkdir, writeFile } from 'node:fs/promises';
import { ExifTool } from 'exiftool-vendored';
import { PhotosortdError } from '../lib/errors.js';
import type { GpsPosition } from '../lib/media.js';
import type { Candidate } from './choose.js';
import type { PlaceEngine } from './engine.js';
import { STATE_DIR_MODE, statePaths } from '../lib/state-paths.js';

/** Nearby cities asked of exiftool per lookup, so a city can win over its districts. */
const NEAREST = 40;

const FIELDS = ['City', 'FeatureCode', 'Population', 'Distance', 'CountryCode', 'Region'] as const;

function parseCandidates(tags: Record<string, unknown>): Candidate[] {
  // With -a -G4 every nearby city comes as its own copy: `:GeolocationCity`,
  // `Copy1:GeolocationCity`, ...
  const byCopy = new Map<string, Record<string, unknown>>();
  for (const [key, value] of Object.entries(tags)) {
    const match = /^(.*):Geolocation(\w+)$/.exec(key);
    if (!match) continue;
    const [, copy = '', field = ''] = match;
    const entry = byCopy.get(copy) ?? {};
    entry[field] = value;
    byCopy.set(copy, entry);
  }
  const candidates: Candidate[] = [];
  for (const entry of byCopy.values()) {
    if (typeof entry.City !== 'string' || typeof entry.CountryCode !== 'string') continue;
    candidates.push({
      name: entry.City,
      featureCode: typeof entry.FeatureCode === 'string' ? entry.FeatureCode : '',
      population: Number(entry.Population) || 0,
      distanceKm: Number(entry.Distance),
      countryCode: entry.CountryCode,
      region: typeof entry.Region === 'string' && entry.Region !== '' ? entry.Region : null,
    });
  }
  return candidates.filter((c) => Number.isFinite(c.distanceKm));
}

/**
 * exiftool's own offline Geolocation database (cities over 2000 people, shipped inside
 * exiftool). exiftool geolocates a file, so each lookup reads a tiny probe file that has no
 * GPS and passes the position as the Geolocation default (`-api geolocation=LAT,LON,num=N`).
 * Uses the given ExifTool, else starts its own (with `geolocation: true`) and ends it on close.
 */
export async function loadExiftoolGeolocation(
  stateDir: string,
  shared?: ExifTool,
): Promise<PlaceEngine> {
  const exiftool = shared ?? new ExifTool({ geolocation: true, maxProcs: 1 });
  const probe = statePaths(stateDir).geocodeProbe;
  await mkdir(stateDir, { recursive: true, mode: STATE_DIR_MODE });
  await writeFile(probe, 'photosortd geocoding probe: a file without GPS\n');

  async function candidates(gps: GpsPosition): Promise<Candidate[]> {
    const tags = await exiftool.readRaw(probe, {
      readArgs: [
        '-a',
        '-G4',
        '-n',
        '-api',
        `geolocation=${gps.lat.toFixed(6)},${gps.lon.toFixed(6)},num=${NEAREST}`,
        ...FIELDS.map((field) => `-Geolocation${field}`),
      ],
    });
    return parseCandidates(tags as unknown as Record<string, unknown>);
  }

  // London must come back as GB; anything else means exiftool or its database is unusable.
  const check = await candidates({ lat: 51.5072, lon: -0.1276 }).catch((error: unknown) => {
    throw new PhotosortdError(
      'GEOCODE_DATA',
      `exiftool's Geolocation database could not be queried (${String(error)}). Reinstall the dependencies with \`npm ci\`.`,
      { cause: error },
    );
  });
  if (!check.some((c) => c.countryCode === 'GB')) {
    if (!shared) await exiftool.end();
    throw new PhotosortdError(
      'GEOCODE_DATA',
      `exiftool ${await exiftool.version().catch(() => '?')} returned no Geolocation data; its database (Geolocation.dat) is missing or damaged. Reinstall the dependencies with \`npm ci\`.`,
    );
  }
  return {
    candidates,
    async close() {
      if (!shared) await exiftool.end();
    },
  };
}

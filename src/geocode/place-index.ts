import KDBush from 'kdbush';
import type { GpsPosition } from '../lib/media.js';
import { MAX_DISTANCE_KM, type Candidate } from './choose.js';
import type { PlaceEngine } from './engine.js';
import { distanceKm } from './gps.js';

const KM_PER_DEGREE = 111.2;

/** Populated places in flat, parallel arrays: entry `i` of each describes place `i`. */
export interface PlaceTable {
  names: string[];
  /** GeoNames feature codes (`PPL`, `PPLX`, ...). */
  featureCodes: string[];
  /** ISO 3166-1 alpha-2. */
  countries: string[];
  regions: (string | null)[];
  lat: Float64Array;
  lon: Float64Array;
  population: Uint32Array;
}

/** The row ids of places within `km` of a position (a box around it, wrapped at ±180°). */
export type NearbySearch = (gps: GpsPosition, km: number) => number[];

/** A k-d tree (kdbush) over a table's positions. */
export function indexPositions(lat: Float64Array, lon: Float64Array): NearbySearch {
  const index = new KDBush(lat.length, 64, Float64Array);
  for (let i = 0; i < lat.length; i += 1) index.add(lon[i] as number, lat[i] as number);
  index.finish();
  return (gps, km) => {
    const dLat = km / KM_PER_DEGREE;
    const cos = Math.max(Math.cos((gps.lat * Math.PI) / 180), 0.01);
    const dLon = Math.min(180, dLat / cos);
    const minLat = gps.lat - dLat;
    const maxLat = gps.lat + dLat;
    const ids = index.range(gps.lon - dLon, minLat, gps.lon + dLon, maxLat);
    // Near the antimeridian the box wraps round to the other side of ±180.
    if (gps.lon - dLon < -180) {
      ids.push(...index.range(gps.lon - dLon + 360, minLat, 180, maxLat));
    }
    if (gps.lon + dLon > 180) {
      ids.push(...index.range(-180, minLat, gps.lon + dLon - 360, maxLat));
    }
    return ids;
  };
}

/** A place engine answering from a table through a k-d tree over its positions. */
export function indexPlaces(table: PlaceTable): PlaceEngine {
  const { lat, lon } = table;
  const near = indexPositions(lat, lon);
  return {
    candidates(gps: GpsPosition): Candidate[] {
      return near(gps, MAX_DISTANCE_KM).map((i) => ({
        name: table.names[i] as string,
        featureCode: table.featureCodes[i] as string,
        population: table.population[i] as number,
        distanceKm: distanceKm(gps.lat, gps.lon, lat[i] as number, lon[i] as number),
        countryCode: table.countries[i] as string,
        region: table.regions[i] ?? null,
      }));
    },
    async close() {},
  };
}

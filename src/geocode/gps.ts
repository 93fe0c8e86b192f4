import type { GpsPosition } from '../lib/media.js';

/**
 * Within this many degrees of 0,0 a position is the "null island" placeholder that cameras
 * write when they had no fix, not a photo taken in the Gulf of Guinea.
 */
const NULL_ISLAND_DEGREES = 1e-4;

/**
 * The position when it can be a real place, else `null`: not a number, a latitude beyond
 * ±90 or a longitude beyond ±180, and 0,0 all count as no GPS. A longitude whose sign was
 * lost cannot be told from a real one, so it is looked up as recorded.
 */
export function usableGps(gps: GpsPosition | null | undefined): GpsPosition | null {
  if (!gps) return null;
  const { lat, lon } = gps;
  if (typeof lat !== 'number' || typeof lon !== 'number') return null;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  if (Math.abs(lat) < NULL_ISLAND_DEGREES && Math.abs(lon) < NULL_ISLAND_DEGREES) return null;
  return { lat, lon };
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

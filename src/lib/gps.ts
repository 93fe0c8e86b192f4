import type { GpsPosition } from './media.js';

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return null;
}

/**
 * A plausible GPS position from raw latitude/longitude values, or `null` when either is
 * missing, not a finite number, out of range, or exactly 0,0 — the "null island" that
 * cameras and apps write when they had no fix.
 */
export function toGpsPosition(lat: unknown, lon: unknown): GpsPosition | null {
  const la = toNumber(lat);
  const lo = toNumber(lon);
  if (la === null || lo === null || !Number.isFinite(la) || !Number.isFinite(lo)) return null;
  if (Math.abs(la) > 90 || Math.abs(lo) > 180) return null;
  if (la === 0 && lo === 0) return null;
  return { lat: la, lon: lo };
}

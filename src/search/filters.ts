import { PhotosortdError } from '../lib/errors.js';
import type { IndexedPlace, SearchFilters } from './types.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const DAY_MS = 86_400_000;

/**
 * A capture's local wall clock as milliseconds (read as if it were UTC), the scale date
 * filters compare on: "June 1st" means June 1st where the photo was taken. `NaN` when unknown.
 */
export function wallClockMillis(takenAt: string | null): number {
  if (!takenAt) return Number.NaN;
  return Date.parse(`${takenAt.slice(0, 19)}Z`);
}

/**
 * A `--from`/`--to` bound as wall-clock milliseconds. A date alone stands for its first
 * moment as a start and its last as an end, so `--to 2024-06-30` includes the 30th.
 */
function parseDateBound(text: string, end: boolean, name: string): number {
  const match = DATE.exec(text.trim());
  const value = match
    ? Date.UTC(
        Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4] ?? 0),
        Number(match[5] ?? 0),
        Number(match[6] ?? 0),
      )
    : Number.NaN;
  if (!match || Number.isNaN(value)) {
    throw new PhotosortdError(
      'SEARCH_BAD_FILTER',
      `${name} "${text}" is not a date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM`,
    );
  }
  if (!end) return value;
  return match[4] === undefined
    ? value + DAY_MS - 1
    : value + (match[6] === undefined ? 59_999 : 999);
}

/** Whether a place matches `wanted`: its city, region, country or country code, any case. */
export function placeMatches(place: IndexedPlace, wanted: string): boolean {
  const want = wanted.trim().toLowerCase();
  return [place.city, place.region, place.country, place.countryCode].some(
    (name) => name !== null && name.toLowerCase() === want,
  );
}

/** Whether a camera's `make model` contains `wanted`, any case. */
export function cameraMatches(camera: string, wanted: string): boolean {
  return camera.toLowerCase().includes(wanted.trim().toLowerCase());
}

/** Whether a file's folder is `folder` or below it (both absolute). */
export function folderMatches(fileFolder: string, folder: string): boolean {
  return (
    fileFolder === folder || fileFolder.startsWith(folder.endsWith('/') ? folder : `${folder}/`)
  );
}

/** Whether a tag list holds every wanted tag, any case. */
export function tagsMatch(labels: readonly string[], wanted: readonly string[]): boolean {
  const have = new Set(labels.map((label) => label.toLowerCase()));
  return wanted.every((tag) => have.has(tag.trim().toLowerCase()));
}

/** Date bounds of a search as wall-clock milliseconds (`±Infinity` when open). */
export function dateRange(filters: SearchFilters): { from: number; to: number } {
  return {
    from: filters.from ? parseDateBound(filters.from, false, '--from') : -Infinity,
    to: filters.to ? parseDateBound(filters.to, true, '--to') : Infinity,
  };
}

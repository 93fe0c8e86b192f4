import { isRealWallClock, wallClockAsUtcMillis, type WallClock } from './capture-date.js';

const DAY = 86_400_000;

// Each pattern is tried on the name without its extension; digits may not run on either
// side, so a long counter like IMG_123456789 is never read as a date.
const PATTERNS: RegExp[] = [
  // IMG_20240612_183000, PXL_20240612_183000123, VID_20240612_183000, 20240612_183000,
  // 20240612183000, signal-20240612-183000
  /(?<!\d)(\d{4})(\d{2})(\d{2})[_\- T]?(\d{2})(\d{2})(\d{2})(\d{3})?(?!\d)/,
  // 2024-06-12 18.30.00, Screenshot_2024-06-12-18-30-00, signal-2024-06-12-183000,
  // Screenshot 2024-06-12 at 18.30.00, PHOTO-2024-06-12-18-30-00, 2024-06-12T18:30:00
  /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[ _\-T]|\sat\s)(\d{2})[.\-:_h]?(\d{2})[.\-:_m]?(\d{2})(?:[.,](\d{3}))?(?!\d)/,
  // date only: IMG-20240612-WA0001, 2024-06-12, 2024_06_12
  /(?<!\d)(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)/,
];

/**
 * The capture time a phone or app wrote into a file name (`IMG_20240612_183000`,
 * `PXL_20240612_183000123`, `IMG-20240612-WA0001`, `2024-06-12 18.30.00`,
 * `Screenshot_2024-06-12-18-30-00`, `signal-2024-06-12-183000`, …), as a wall clock with no
 * zone. A name with only a date gives midnight. `null` when there is no date, or it is not a
 * real one (month 13, Feb 30, before 1900, more than a day after `now`).
 */
export function dateFromFileName(name: string, now: Date = new Date()): WallClock | null {
  const base = name.replace(/^.*[/\\]/, '').replace(/\.[^.]*$/, '');
  for (const pattern of PATTERNS) {
    const m = pattern.exec(base);
    if (!m) continue;
    const [, y, mo, d, h, mi, s, ms] = m;
    const wall: WallClock = {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h ?? 0),
      minute: Number(mi ?? 0),
      second: Number(s ?? 0),
      millisecond: Number(ms ?? 0),
    };
    // The first pattern that matches decides: a bad time is not rescued as a date-only name.
    if (wall.year < 1900 || !isRealWallClock(wall)) return null;
    if (wallClockAsUtcMillis(wall) > now.getTime() + DAY) return null;
    return wall;
  }
  return null;
}

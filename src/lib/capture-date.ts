import type { CaptureDate } from './media.js';

/** The wall-clock part of a capture date: what the camera's clock showed, without a zone. */
export type WallClock = Omit<CaptureDate, 'source' | 'offsetMinutes' | 'zone'>;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` of the capture, in its own local time. */
export function datePart(d: WallClock): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `HH:MM:SS` (with `.mmm` when the milliseconds are not zero) of the capture's local time. */
function timePart(d: WallClock): string {
  const ms = d.millisecond !== 0 ? `.${pad(d.millisecond, 3)}` : '';
  return `${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}${ms}`;
}

/** `+01:00` style offset; `+00:00` for zero, because `Z` would claim the clock ran on UTC. */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * ISO 8601 for a capture date, e.g. `2024-06-12T18:30:00+01:00`: local wall clock, the offset
 * only when the zone is known, milliseconds only when not zero.
 */
export function formatCaptureDate(d: CaptureDate): string {
  const offset = d.offsetMinutes === null ? '' : formatOffset(d.offsetMinutes);
  return `${datePart(d)}T${timePart(d)}${offset}`;
}

/** The UTC instant of a capture, or `null` when its zone is unknown. */
export function captureInstant(d: CaptureDate): Date | null {
  if (d.offsetMinutes === null) return null;
  return new Date(wallClockAsUtcMillis(d) - d.offsetMinutes * 60_000);
}

/** Milliseconds of the wall clock read as if it were UTC: handy for comparing wall clocks. */
export function wallClockAsUtcMillis(w: WallClock): number {
  const t = new Date(0);
  t.setUTCFullYear(w.year, w.month - 1, w.day);
  t.setUTCHours(w.hour, w.minute, w.second, w.millisecond);
  return t.getTime();
}

/** Whether the fields name a day and time that exist on the calendar (no Feb 30, no 24:00). */
export function isRealWallClock(w: WallClock): boolean {
  const inRange =
    Number.isInteger(w.year) &&
    w.month >= 1 &&
    w.month <= 12 &&
    w.day >= 1 &&
    w.hour >= 0 &&
    w.hour <= 23 &&
    w.minute >= 0 &&
    w.minute <= 59 &&
    w.second >= 0 &&
    w.second <= 59 &&
    w.millisecond >= 0 &&
    w.millisecond <= 999;
  if (!inRange) return false;
  const t = new Date(wallClockAsUtcMillis(w));
  return t.getUTCMonth() === w.month - 1 && t.getUTCDate() === w.day;
}

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isKnownZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall clock in `zone` at a UTC instant, with that zone's offset at the time. */
export function wallClockInZone(
  utcMillis: number,
  zone: string,
): WallClock & { offsetMinutes: number } {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(utcMillis))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  // File times carry sub-millisecond fractions (mtimeMs); a capture time stops at the ms.
  const millisecond = ((Math.floor(utcMillis) % 1000) + 1000) % 1000;
  const wall: WallClock = {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond,
  };
  const offsetMinutes = Math.round((wallClockAsUtcMillis(wall) - utcMillis) / 60_000);
  return { ...wall, offsetMinutes };
}

/**
 * The offset of `zone` at a local wall-clock time. In a DST gap or overlap the offset in force
 * just before the change is used, which is what a camera whose clock was not yet changed shows.
 */
export function offsetOfWallClock(w: WallClock, zone: string): number {
  const asUtc = wallClockAsUtcMillis(w);
  // Offsets a day either side bracket any change near this time (zones change at most once
  // a day); the ones that map back to this wall clock are the candidates.
  const before = wallClockInZone(asUtc - DAY_MS, zone).offsetMinutes;
  const after = wallClockInZone(asUtc + DAY_MS, zone).offsetMinutes;
  const fits = (o: number): boolean =>
    wallClockInZone(asUtc - o * 60_000, zone).offsetMinutes === o;
  const fitting = [before, after].filter(fits);
  // Clocks going forward raise the offset, going back lower it: before the change is the
  // larger offset in an overlap (both fit) and the smaller one in a gap (neither fits).
  if (fitting.length > 0) return Math.max(...fitting);
  return Math.min(before, after);
}

// exiftool appends ` DST` to an AVCHD (H.264) date whose camera had its daylight-saving flag
// set; the offset before it already includes the hour, so the suffix is read and dropped.
const EXIF_DATE =
  /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*(Z|[+-]\d{2}:?\d{2})(?:\s+DST)?)?$/i;

/**
 * Parses an EXIF/XMP/QuickTime/H.264 date-time string (`2024:06:12 18:30:00.123+01:00`, ISO
 * with `T`, `Z` or an offset, seconds optional, AVCHD's `+02:00 DST`). Returns the fields as
 * written — not checked against the calendar — and the inline offset, or `null` when the
 * text is no date-time.
 */
export function parseExifDateTime(
  text: string,
): { wall: WallClock; offsetMinutes: number | null } | null {
  const m = EXIF_DATE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const wall: WallClock = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s ?? 0),
    millisecond: frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0,
  };
  return { wall, offsetMinutes: tz === undefined ? null : parseOffset(tz) };
}

/** Minutes east of UTC from `Z`, `+01:00`, `-0530`; `null` when it is not an offset. */
export function parseOffset(text: string): number | null {
  const t = text.trim();
  if (/^z$/i.test(t)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (minutes > 14 * 60) return null;
  return m[1] === '-' ? -minutes : minutes;
}

import path from 'node:path';
import type { DateSource } from '../config/schema.js';
import {
  formatCaptureDate,
  isKnownZone,
  isRealWallClock,
  offsetOfWallClock,
  parseExifDateTime,
  parseOffset,
  wallClockAsUtcMillis,
  wallClockInZone,
  type WallClock,
} from '../lib/capture-date.js';
import { splitTagKey, tagText, type ExifTool, type RawTags } from '../lib/exiftool.js';
import { dateFromFileName } from '../lib/filename-date.js';
import type { CaptureDate, DateRejection, GpsPosition } from '../lib/media.js';

/** The offset tags EXIF 2.31 gives DateTimeOriginal: its own, then the image's. */
const ORIGINAL_OFFSETS = ['ExifIFD:OffsetTimeOriginal', 'ExifIFD:OffsetTime'];

/** CreateDate is EXIF's DateTimeDigitized, whose offset tag is its own. */
const DIGITIZED_OFFSETS = ['ExifIFD:OffsetTimeDigitized', ...ORIGINAL_OFFSETS];

/**
 * Groups of the containers that are neither EXIF proper nor XMP: maker notes, RAW and video
 * formats. Composite tags are exiftool's derivations of the others and are never read.
 */
const CONTAINERS = /^(?!ExifIFD$|XMP|Composite$)/;

/** One row of the date policy: which tags of which groups it takes and how to read them. */
interface DateTier {
  /** What the row holds, for a person reading the table. */
  name: string;
  /** Tag name → the `-G1` groups it is taken from. */
  from: Readonly<Record<string, RegExp>>;
  /** Groups whose values are UTC by their specification (QuickTime, GPS), not local time. */
  utcGroups?: RegExp;
  /** Tags that hold the offset of a local value written without one, tried in order. */
  offsets: readonly string[];
  /** The tag that holds the fraction of a second a value written without one lacks. */
  subSec?: string;
  /** Per group, the tag holding the time of a date-only value (IPTC keeps them apart). */
  timeTags?: Readonly<Record<string, string>>;
}

/**
 * Where the capture date of a file is looked for, best first, as exiftool-vendored's
 * `CapturedAtTagNames` does. The first value that parses and is plausible wins; within a row,
 * values are tried in the order exiftool wrote them. A value with an offset of its own keeps
 * it; a local value without one takes the row's offset tags, then the offset of another date
 * showing the same second, then the zone at the GPS position.
 */
const DATE_TIERS: readonly DateTier[] = Object.freeze<DateTier[]>([
  {
    name: 'EXIF DateTimeOriginal: the shutter moment as the camera wrote it',
    from: { DateTimeOriginal: /^ExifIFD$/ },
    offsets: ORIGINAL_OFFSETS,
    subSec: 'ExifIFD:SubSecTimeOriginal',
  },
  {
    name: 'DateTimeOriginal of maker notes, RAW and video containers',
    from: { DateTimeOriginal: CONTAINERS },
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'EXIF CreateDate (DateTimeDigitized): equal to the shutter moment but for scans',
    from: { CreateDate: /^ExifIFD$/ },
    offsets: DIGITIZED_OFFSETS,
    subSec: 'ExifIFD:SubSecTimeDigitized',
  },
  {
    name: 'QuickTime CreateDate: when a video was recorded, in UTC',
    from: { CreateDate: /^QuickTime$/ },
    utcGroups: /^QuickTime$/,
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'CreateDate of other containers',
    from: { CreateDate: /^(?!ExifIFD$|QuickTime$|XMP|Composite$)/ },
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: "MediaCreateDate: a video track's creation (UTC in QuickTime and its tracks)",
    from: { MediaCreateDate: /^(?!Composite$)/ },
    utcGroups: /^(QuickTime|Track\d+)$/,
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'XMP-exif DateTimeOriginal: written by editors and phones beside or instead of EXIF',
    from: { DateTimeOriginal: /^XMP-exif$/ },
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'XMP-xmp CreateDate',
    from: { CreateDate: /^XMP-xmp$/ },
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'Photoshop and IPTC DateCreated (IPTC keeps the time in TimeCreated)',
    from: { DateCreated: /^(XMP-photoshop|IPTC)$/ },
    offsets: ORIGINAL_OFFSETS,
    timeTags: { IPTC: 'IPTC:TimeCreated' },
  },
  {
    name: 'other XMP dates, and CreationDate (QuickTime keys, PDF, others)',
    from: {
      DateTimeOriginal: /^XMP(?!-exif$)/,
      CreateDate: /^XMP(?!-xmp$)/,
      CreationDate: /^(?!Composite$)/,
    },
    offsets: ORIGINAL_OFFSETS,
  },
  {
    name: 'PNG CreationTime: the tEXt chunk PNG defines for the time of the original image',
    from: { CreationTime: /^PNG$/ },
    offsets: [],
  },
  {
    name: 'GPSDateTime: the fix time, in UTC; the last resort',
    from: { GPSDateTime: /^/ },
    utcGroups: /^/,
    offsets: [],
  },
]);

/** The tag whose value tells a clock set wrong: a capture cannot be after the file's last change. */
const MODIFY_DATE = 'IFD0:ModifyDate';

/**
 * Every tag the date policy reads (values, offsets, fractions, IPTC times), without group,
 * for exiftool's arguments. The value tags keep the table's order, which is the order
 * exiftool writes them in and so the order values are tried within a row.
 */
export const DATE_TAGS: readonly string[] = Object.freeze([
  ...new Set(
    [
      ...DATE_TIERS.flatMap((tier) => [
        ...Object.keys(tier.from),
        ...tier.offsets,
        ...(tier.subSec ? [tier.subSec] : []),
        ...Object.values(tier.timeTags ?? {}),
      ]),
      MODIFY_DATE,
    ].map((key) => splitTagKey(key)[1]),
  ),
]);

/** What resolving a date needs besides the file: its tags, where it was taken, and the clock. */
export interface DateContext {
  raw: RawTags;
  /** The IANA zone at the file's GPS position, when it has one. */
  gpsZone: string | null;
  /** The zone UTC-only dates are shown in when the GPS gives none (the machine's). */
  timeZone: string;
  nowMs: number;
  /** Why candidates were passed over is added here, for the person reading the log. */
  warnings: string[];
  /** Each candidate passed over, with why: `scan --json` shows them as `dateRejected`. */
  rejected: DateRejection[];
}

/** What the date policy knows of the file on disk. */
export interface FileTimes {
  source: string;
  mtimeMs: number;
  /** When the file arrived where it is (the later of its ctime and birthtime), when known. */
  arrivedMs?: number;
}

/**
 * How close to the file's arrival its mtime may be and still be only the time of the copy:
 * `cp` without `-p` writes mtime, ctime and birthtime within the same moment, a large file
 * over a slow link within minutes.
 */
const COPY_SPAN_MS = 5 * 60_000;

/**
 * The capture date of a file from the first of `dates` that gives a plausible one: `exif` by
 * {@link DATE_TIERS}, `filename` from patterns like `IMG_20240612_183000`, `mtime` from the
 * file's modification time. `null` when none does (the file goes to `unsorted`).
 */
export function resolveCaptureDate(
  file: FileTimes,
  dates: readonly DateSource[],
  ctx: DateContext,
): CaptureDate | null {
  for (const source of dates) {
    const date =
      source === 'exif'
        ? embeddedDate(ctx)
        : source === 'filename'
          ? fileNameDate(file.source, ctx)
          : mtimeDate(file, ctx);
    if (date) return date;
  }
  return null;
}

/**
 * Whether a date only stands in for one the file does not record (its name's, its mtime):
 * a date the file records (tags, Takeout JSON) is never replaced by another member's or file's.
 */
export function isStandInDate(date: CaptureDate): boolean {
  return date.source === 'filename' || date.source === 'mtime';
}

/** The IANA zone at a GPS position (exiftool's geo-tz lookup), or `null` when it has none. */
export function zoneAt(exiftool: ExifTool, gps: GpsPosition | null): string | null {
  if (!gps) return null;
  try {
    const zone = exiftool.options.geoTz(gps.lat, gps.lon);
    return zone && isKnownZone(zone) ? zone : null;
  } catch {
    return null;
  }
}

const DAY = 86_400_000;

/** A date tag found in the file, with the row of {@link DATE_TIERS} that took it. */
interface Candidate {
  key: string;
  value: string;
  utc: boolean;
  tier: DateTier;
}

/** The file's date values in the order {@link DATE_TIERS} tries them. */
function dateCandidates(raw: RawTags): Candidate[] {
  const found: Candidate[] = [];
  for (const tier of DATE_TIERS) {
    for (const key of Object.keys(raw)) {
      const [group, tag] = splitTagKey(key);
      if (!Object.hasOwn(tier.from, tag) || !tier.from[tag]!.test(group)) continue;
      const value = tagText(raw[key]);
      if (value === null) continue;
      const timeKey = tier.timeTags?.[group];
      const time = timeKey ? tagText(raw[timeKey]) : null;
      const utc = tier.utcGroups?.test(group) ?? false;
      found.push({ key, value: time ? `${value} ${time}` : value, utc, tier });
    }
  }
  return found;
}

/** A date-only value (IPTC, Photoshop) is taken as midnight. */
function parseDateValue(value: string): ReturnType<typeof parseExifDateTime> {
  const full = parseExifDateTime(value);
  if (full) return full;
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})$/.exec(value);
  if (!m) return null;
  const wall = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: 0, minute: 0, second: 0 };
  return { wall: { ...wall, millisecond: 0 }, offsetMinutes: null };
}

/** Why a wall clock cannot be a capture time, or `null` when it can. */
export function implausible(wall: WallClock, instantMs: number, nowMs: number): string | null {
  if (wall.year === 0 || !isRealWallClock(wall)) return 'not a real date';
  if (wall.year < 1900) return 'before 1900';
  const { year, month, day, hour, minute, second } = wall;
  if ((year === 1970 && month === 1 && day === 1) || (year === 1969 && month === 12 && day === 31))
    return 'the Unix epoch, a clock that was never set';
  if (month === 1 && day === 1 && hour === 0 && minute === 0 && second === 0)
    return "midnight on January 1st, a camera's default clock";
  if (instantMs > nowMs + DAY) return 'in the future';
  return null;
}

/** Records a candidate passed over, for the log and for `scan --json`. */
function reject(ctx: DateContext, source: string, value: string, reason: string): void {
  ctx.rejected.push({ source, value, reason });
  ctx.warnings.push(`${source} ${value} rejected: ${reason}`);
}

/** The wall clock of the file's own record of its last change (`IFD0:ModifyDate`), if sane. */
function modifiedWallMs(ctx: DateContext): number | null {
  const modified = parseExifDateTime(tagText(ctx.raw[MODIFY_DATE]) ?? '');
  return modified && !implausible(modified.wall, 0, ctx.nowMs)
    ? wallClockAsUtcMillis(modified.wall)
    : null;
}

function embeddedDate(ctx: DateContext): CaptureDate | null {
  const { raw } = ctx;
  const modifiedMs = modifiedWallMs(ctx);
  for (const c of dateCandidates(raw)) {
    const parsed = parseDateValue(c.value);
    if (!parsed) {
      reject(ctx, c.key, c.value, 'not a date');
      continue;
    }
    const date = resolveZone(c, parsed, ctx);
    const instant = wallClockAsUtcMillis(date) - (date.offsetMinutes ?? 0) * 60_000;
    const reason =
      implausible(parsed.wall, instant, ctx.nowMs) ??
      (modifiedMs !== null && !c.utc && wallClockAsUtcMillis(parsed.wall) > modifiedMs + DAY
        ? `after the file was modified (${MODIFY_DATE} ${tagText(raw[MODIFY_DATE])}), a clock set wrong`
        : null);
    if (reason) {
      reject(ctx, c.key, c.value, reason);
      continue;
    }
    return date;
  }
  return null;
}

/** Places a parsed tag value in time: inline offset, offset tag, GPS zone, or unknown. */
function resolveZone(
  c: Candidate,
  parsed: NonNullable<ReturnType<typeof parseExifDateTime>>,
  ctx: DateContext,
): CaptureDate {
  const { raw, gpsZone, timeZone } = ctx;
  let wall = parsed.wall;
  if (c.tier.subSec && wall.millisecond === 0 && !/[.,]\d/.test(c.value)) {
    const sub = tagText(raw[c.tier.subSec]);
    if (sub && /^\d+$/.test(sub)) {
      wall = { ...wall, millisecond: Math.floor(Number(`0.${sub}`) * 1000) };
    }
  }
  if (c.utc) {
    // UTC by spec (QuickTime, GPS): shown in the local time of where it was taken when the
    // GPS says where, else of this machine, so a video's day matches the photos beside it.
    const zone = gpsZone ?? timeZone;
    const instant = wallClockAsUtcMillis(wall) - (parsed.offsetMinutes ?? 0) * 60_000;
    const local = wallClockInZone(instant, zone);
    return { ...local, zone, source: c.key };
  }
  let offset = parsed.offsetMinutes;
  for (const key of c.tier.offsets) {
    if (offset !== null) break;
    const t = tagText(raw[key]);
    if (t) offset = parseOffset(t);
  }
  if (offset === null) offset = siblingOffset(wall, ctx);
  if (offset === null && gpsZone) {
    return {
      ...wall,
      offsetMinutes: offsetOfWallClock(wall, gpsZone),
      zone: gpsZone,
      source: c.key,
    };
  }
  const zone =
    offset !== null && gpsZone && offsetOfWallClock(wall, gpsZone) === offset ? gpsZone : null;
  return { ...wall, offsetMinutes: offset, zone, source: c.key };
}

/**
 * The inline offset of another date tag showing the same wall clock to the second, e.g.
 * XMP-exif:DateTimeOriginal `…09:52:01-04:00` beside an offset-less EXIF DateTimeOriginal.
 */
function siblingOffset(wall: WallClock, ctx: DateContext): number | null {
  const second = Math.floor(wallClockAsUtcMillis(wall) / 1000);
  for (const c of dateCandidates(ctx.raw)) {
    if (c.utc) continue;
    const parsed = parseDateValue(c.value);
    if (parsed?.offsetMinutes == null) continue;
    if (Math.floor(wallClockAsUtcMillis(parsed.wall) / 1000) === second)
      return parsed.offsetMinutes;
  }
  return null;
}

function fileNameDate(source: string, ctx: DateContext): CaptureDate | null {
  const wall = dateFromFileName(path.basename(source), new Date(ctx.nowMs));
  if (!wall) return null;
  const offsetMinutes = ctx.gpsZone ? offsetOfWallClock(wall, ctx.gpsZone) : null;
  return { ...wall, offsetMinutes, zone: ctx.gpsZone, source: 'filename' };
}

function mtimeDate(file: FileTimes, ctx: DateContext): CaptureDate | null {
  const zone = ctx.gpsZone ?? ctx.timeZone;
  const local = wallClockInZone(file.mtimeMs, zone);
  const date: CaptureDate = { ...local, zone, source: 'mtime' };
  const reason = implausible(local, file.mtimeMs, ctx.nowMs) ?? copiedAt(file, local, ctx);
  if (reason) {
    reject(ctx, 'mtime', formatCaptureDate(date), reason);
    return null;
  }
  return date;
}

/**
 * Why an mtime is only the time the file was copied, or `null` when it may be a capture
 * time: it falls within {@link COPY_SPAN_MS} of the file's arrival (`cp` without `-p`), or
 * more than a day after the last change the file itself records (a copy, or a `touch`).
 */
function copiedAt(file: FileTimes, local: WallClock, ctx: DateContext): string | null {
  if (file.arrivedMs !== undefined && Math.abs(file.arrivedMs - file.mtimeMs) <= COPY_SPAN_MS) {
    const arrived = new Date(file.arrivedMs).toISOString();
    return `the time the file was copied here (it arrived ${arrived}), not when it was taken`;
  }
  const modifiedMs = modifiedWallMs(ctx);
  if (modifiedMs !== null && wallClockAsUtcMillis(local) > modifiedMs + DAY) {
    const modified = tagText(ctx.raw[MODIFY_DATE]);
    return `after the file's own last change (${MODIFY_DATE} ${modified}): the time of a copy`;
  }
  return null;
}

import path from 'node:path';
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
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { createBatchReader, type ExifTool } from '../lib/exiftool.js';
import { dateFromFileName } from '../lib/filename-date.js';
import { toGpsPosition } from '../lib/gps.js';
import type { CaptureDate, FileJob, GpsPosition, MediaKind, PhotoMeta, Stage } from './job.js';

/** Where a capture date may come from; `exif` means every date embedded in the file. */
export type DateSource = 'exif' | 'filename' | 'mtime';

/** Options for {@link createExifStage}. */
export interface ExifStageOptions {
  exiftool: ExifTool;
  /** Sources tried in this order; a source not listed is never used. */
  dates: DateSource[];
  /** The clock dates are checked against (a capture more than a day ahead is rejected). */
  now?: () => Date;
  /** IANA zone for UTC-only dates (video, mtime) when the GPS position gives none. */
  timeZone?: string;
}

type Raw = Record<string, unknown>;

/**
 * Only the tags photosortd uses, each in every group (`-a -G1`), so a date's source can be
 * named as `Group:Tag`. `#` asks for numbers where the printed form would need parsing.
 */
const READ_ARGS = [
  '-fast',
  '-a',
  '-G1',
  '-api',
  'largefilesupport=1',
  '-GPSLatitude#',
  '-GPSLongitude#',
  '-GPSLatitudeRef#',
  '-GPSLongitudeRef#',
  '-Orientation#',
  '-ImageSize#',
  '-FileType',
  '-MIMEType',
  '-DateTimeOriginal',
  '-CreateDate',
  '-MediaCreateDate',
  '-ModifyDate',
  '-OffsetTimeOriginal',
  '-OffsetTimeDigitized',
  '-OffsetTime',
  '-SubSecTimeOriginal',
  '-SubSecTimeDigitized',
  '-DateCreated',
  '-TimeCreated',
  '-CreationDate',
  '-GPSDateTime',
  '-Make',
  '-Model',
  '-ContentIdentifier',
  '-MediaGroupUUID',
  '-Error',
  '-Warning',
];

const DAY = 86_400_000;

/** A date tag found in the file, in the order it is to be tried. */
interface Candidate {
  key: string;
  value: string;
  /** QuickTime and GPS time stamps are UTC by their specifications. */
  utc: boolean;
  /** The tags holding this date's offset and fraction of a second, when they are separate. */
  offsetKeys: string[];
  subSecKey?: string;
}

const splitKey = (key: string): [string, string] => {
  const i = key.indexOf(':');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
};

const isXmp = (group: string): boolean => group.startsWith('XMP');
const isQuickTimeUtcGroup = (group: string): boolean =>
  group === 'QuickTime' || /^Track\d+$/.test(group);

function text(value: unknown): string | null {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Embedded dates, best first: DateTimeOriginal (EXIF, then maker notes, RAW and video
 * containers), CreateDate (EXIF, QuickTime, others), MediaCreateDate, then XMP, Photoshop,
 * IPTC, QuickTime CreationDate, and the GPS time stamp as the last resort.
 */
function dateCandidates(raw: Raw): Candidate[] {
  const tiers: Candidate[][] = Array.from({ length: 11 }, () => []);
  const exifOffsets = (own: string): string[] =>
    [own, 'OffsetTimeOriginal', 'OffsetTime'].map((t) => `ExifIFD:${t}`);
  for (const key of Object.keys(raw)) {
    const [group, tag] = splitKey(key);
    if (group === 'Composite' && tag !== 'GPSDateTime') continue;
    const value = text(raw[key]);
    if (value === null) continue;
    const local = { key, value, utc: false, offsetKeys: exifOffsets('OffsetTimeOriginal') };
    if (tag === 'DateTimeOriginal') {
      if (group === 'ExifIFD')
        tiers[0]!.push({ ...local, subSecKey: 'ExifIFD:SubSecTimeOriginal' });
      else if (group === 'XMP-exif') tiers[6]!.push(local);
      else if (isXmp(group)) tiers[9]!.push(local);
      else tiers[1]!.push(local);
    } else if (tag === 'CreateDate') {
      const digitized = { ...local, offsetKeys: exifOffsets('OffsetTimeDigitized') };
      if (group === 'ExifIFD')
        tiers[2]!.push({ ...digitized, subSecKey: 'ExifIFD:SubSecTimeDigitized' });
      else if (group === 'QuickTime') tiers[3]!.push({ ...local, utc: true });
      else if (group === 'XMP-xmp') tiers[7]!.push(local);
      else if (isXmp(group)) tiers[9]!.push(local);
      else tiers[4]!.push(local);
    } else if (tag === 'MediaCreateDate') {
      tiers[5]!.push({ ...local, utc: isQuickTimeUtcGroup(group) });
    } else if (tag === 'DateCreated' && group === 'XMP-photoshop') {
      tiers[8]!.push(local);
    } else if (tag === 'DateCreated' && group === 'IPTC') {
      const time = text(raw['IPTC:TimeCreated']);
      tiers[8]!.push({ ...local, value: time ? `${value} ${time}` : value });
    } else if (tag === 'CreationDate') {
      tiers[9]!.push(local);
    } else if (tag === 'GPSDateTime') {
      tiers[10]!.push({ ...local, utc: true, offsetKeys: [] });
    }
  }
  return tiers.flat();
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

/** Stage 2: reads the file's metadata with exiftool into `job.meta` and `job.kind`. */
export function createExifStage(options: ExifStageOptions): Stage {
  const { exiftool, dates } = options;
  const now = options.now ?? (() => new Date());
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isKnownZone(timeZone)) {
    throw new PhotosortdError(
      'BAD_TIME_ZONE',
      `Unknown time zone "${timeZone}": use an IANA name such as Europe/Lisbon.`,
    );
  }

  const reader = createBatchReader(exiftool, READ_ARGS);

  const zoneAt = (gps: GpsPosition | null): string | null => {
    if (!gps) return null;
    try {
      const zone = exiftool.options.geoTz(gps.lat, gps.lon);
      return zone && isKnownZone(zone) ? zone : null;
    } catch {
      return null;
    }
  };

  return async (job: FileJob): Promise<FileJob> => {
    if (job.error) return job;
    let raw: Raw;
    try {
      raw = await reader.read(job.source);
    } catch (error) {
      return unreadable(job, errorMessage(error));
    }
    const fileType = text(raw['File:FileType']);
    if (fileType === null) {
      const errors = Array.isArray(raw.errors) ? raw.errors.map(String) : [];
      return unreadable(job, text(raw['ExifTool:Error']) ?? errors[0] ?? 'unknown file type');
    }
    const mimeType = text(raw['File:MIMEType']);
    const warnings: string[] = [];
    const exifWarning = text(raw['ExifTool:Warning']);
    if (exifWarning) warnings.push(`exiftool: ${exifWarning}`);
    const exifError = text(raw['ExifTool:Error']);
    if (exifError) warnings.push(`exiftool: ${exifError}`);

    const gps = readGps(raw);
    const gpsZone = zoneAt(gps);
    const nowMs = now().getTime();
    const context: DateContext = { raw, gpsZone, timeZone, nowMs, warnings };

    let takenAt: CaptureDate | null = null;
    for (const source of dates) {
      if (source === 'exif') takenAt = embeddedDate(context);
      else if (source === 'filename') takenAt = fileNameDate(job.source, context);
      else takenAt = mtimeDate(job.mtimeMs, context);
      if (takenAt) break;
    }

    const size = text(raw['Composite:ImageSize'])?.split(/[ x]/).map(Number) ?? [];
    const meta: PhotoMeta = {
      fileType,
      mimeType,
      takenAt,
      camera: { make: firstText(raw, 'Make'), model: firstText(raw, 'Model') },
      gps,
      orientation: readOrientation(raw),
      width: positive(size[0]),
      height: positive(size[1]),
      contentId: firstText(raw, 'ContentIdentifier') ?? firstText(raw, 'MediaGroupUUID'),
      warnings,
    };
    return { ...job, kind: kindOf(mimeType), meta };
  };
}

interface DateContext {
  raw: Raw;
  gpsZone: string | null;
  timeZone: string;
  nowMs: number;
  warnings: string[];
}

function embeddedDate(ctx: DateContext): CaptureDate | null {
  const { raw, warnings } = ctx;
  const modified = parseExifDateTime(text(raw['IFD0:ModifyDate']) ?? '');
  const modifiedMs =
    modified && !implausible(modified.wall, 0, ctx.nowMs)
      ? wallClockAsUtcMillis(modified.wall)
      : null;
  for (const c of dateCandidates(raw)) {
    const parsed = parseDateValue(c.value);
    if (!parsed) {
      warnings.push(`${c.key} "${c.value}" is not a date; ignored`);
      continue;
    }
    const date = resolveZone(c, parsed, ctx);
    const instant = wallClockAsUtcMillis(date) - (date.offsetMinutes ?? 0) * 60_000;
    const reason =
      implausible(parsed.wall, instant, ctx.nowMs) ??
      (modifiedMs !== null && !c.utc && wallClockAsUtcMillis(parsed.wall) > modifiedMs + DAY
        ? `after the file was modified (IFD0:ModifyDate ${text(raw['IFD0:ModifyDate'])}), a clock set wrong`
        : null);
    if (reason) {
      warnings.push(`${c.key} ${c.value} rejected: ${reason}`);
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
  if (c.subSecKey && wall.millisecond === 0 && !/[.,]\d/.test(c.value)) {
    const sub = text(raw[c.subSecKey]);
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
  for (const key of c.offsetKeys) {
    if (offset !== null) break;
    const t = text(raw[key]);
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

function mtimeDate(mtimeMs: number, ctx: DateContext): CaptureDate | null {
  const zone = ctx.gpsZone ?? ctx.timeZone;
  const local = wallClockInZone(mtimeMs, zone);
  const reason = implausible(local, mtimeMs, ctx.nowMs);
  if (reason) {
    ctx.warnings.push(
      `file modification time ${formatCaptureDate({ ...local, zone, source: 'mtime' })} rejected: ${reason}`,
    );
    return null;
  }
  return { ...local, zone, source: 'mtime' };
}

/** Composite (signed, from GPS + Ref) first, then XMP, then any group with both values. */
function readGps(raw: Raw): GpsPosition | null {
  const groups = ['Composite', 'XMP-exif'];
  for (const key of Object.keys(raw)) {
    const [group, tag] = splitKey(key);
    // The GPS IFD stores unsigned values with a separate N/S, E/W reference.
    if (tag === 'GPSLatitude' && group !== 'GPS' && !groups.includes(group)) groups.push(group);
  }
  for (const group of groups) {
    const lat = raw[`${group}:GPSLatitude`];
    const lon = raw[`${group}:GPSLongitude`];
    if (lat === undefined || lon === undefined) continue;
    // Maker-note groups (FLIR, for one) also keep the sign in a separate reference tag.
    return toGpsPosition(
      signed(lat, raw[`${group}:GPSLatitudeRef`], 'S'),
      signed(lon, raw[`${group}:GPSLongitudeRef`], 'W'),
    );
  }
  return null;
}

/** A coordinate made negative when its reference says south or west and it is not yet. */
function signed(value: unknown, ref: unknown, negative: 'S' | 'W'): unknown {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || typeof ref !== 'string') return value;
  return ref.trim().toUpperCase().startsWith(negative) && n > 0 ? -n : n;
}

function readOrientation(raw: Raw): number | null {
  const main = raw['IFD0:Orientation'];
  if (typeof main === 'number') return main;
  for (const [key, value] of Object.entries(raw)) {
    const [group, tag] = splitKey(key);
    // IFD1 describes the thumbnail, not the image.
    if (tag === 'Orientation' && group !== 'IFD1' && typeof value === 'number') return value;
  }
  return null;
}

/** The main IFD's value first (the camera's own), then the first other group that has one. */
function firstText(raw: Raw, tag: string): string | null {
  const main = typeof raw[`IFD0:${tag}`] === 'string' ? text(raw[`IFD0:${tag}`]) : null;
  if (main) return main;
  for (const [key, value] of Object.entries(raw)) {
    if (splitKey(key)[1] === tag && typeof value === 'string' && text(value)) return text(value);
  }
  return null;
}

const positive = (n: number | undefined): number | null =>
  n !== undefined && Number.isInteger(n) && n > 0 ? n : null;

function kindOf(mimeType: string | null): MediaKind {
  if (mimeType?.startsWith('image/')) return 'photo';
  if (mimeType?.startsWith('video/')) return 'video';
  return 'other';
}

function unreadable(job: FileJob, reason: string): FileJob {
  const why = reason.replace(/^error:\s*/i, '').replace(/ - \/.*$/s, '');
  const meta: PhotoMeta = {
    fileType: null,
    mimeType: null,
    takenAt: null,
    camera: { make: null, model: null },
    gps: null,
    orientation: null,
    width: null,
    height: null,
    contentId: null,
    warnings: [],
  };
  return {
    ...job,
    kind: 'other',
    meta,
    error: {
      code: 'UNREADABLE',
      stage: 'exif',
      message: `${job.source}: exiftool could not read it (${why})`,
    },
  };
}

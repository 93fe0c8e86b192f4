import type { DateSource, MetadataReader } from '../config/schema.js';
import { isKnownZone } from '../lib/capture-date.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import {
  createBatchReader,
  splitTagKey,
  tagText,
  type ExifTool,
  type RawTags,
} from '../lib/exiftool.js';
import { toGpsPosition } from '../lib/gps.js';
import type { SeenBytes } from '../lib/hash.js';
import {
  unknownPhotoMeta,
  type DateRejection,
  type GpsPosition,
  type MediaKind,
  type PhotoMeta,
} from '../lib/media.js';
import { DATE_TAGS, resolveCaptureDate, zoneAt } from './date-resolution.js';
import type { FileJob, Stage } from './job.js';

/** Options for {@link createExifStage}. */
export interface ExifStageOptions {
  exiftool: ExifTool;
  /** Sources tried in this order; a source not listed is never used. */
  dates: DateSource[];
  /** The clock dates are checked against (a capture more than a day ahead is rejected). */
  now?: () => Date;
  /** IANA zone for UTC-only dates (video, mtime) when the GPS position gives none. */
  timeZone?: string;
  /**
   * `auto` (the default): the formats the in-process reader knows (lib/tag-reader) are read
   * by it, every other file and every file it declines by exiftool; `exiftool`: exiftool
   * reads every file.
   */
  reader?: MetadataReader;
}

/**
 * Only the tags photosortd uses, each in every group (`-a -G1`), so a date's source can be
 * named as `Group:Tag`. `#` asks for numbers where the printed form would need parsing. The
 * date tags are those the date policy (`DATE_TIERS` in date-resolution.ts) names.
 */
export const READ_ARGS: readonly string[] = Object.freeze([
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
  ...DATE_TAGS.map((tag) => `-${tag}`),
  '-Make',
  '-Model',
  '-ContentIdentifier',
  '-MediaGroupUUID',
  '-Error',
  '-Warning',
]);

/**
 * Reads the file's metadata into `job.meta` and `job.kind`: in-process where it can, from
 * the bytes identify saw (`job.seen`, dropped here), else with exiftool.
 */
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

  const reader = createBatchReader(exiftool, [...READ_ARGS]);
  const readTags =
    options.reader === 'exiftool'
      ? (file: string) => reader.read(file)
      : async (file: string, seen?: SeenBytes) =>
          (await readNatively(file, seen)) ?? reader.read(file);

  return async (input: FileJob): Promise<FileJob> => {
    if (input.error) return input;
    const { seen, ...job } = input;
    let raw: RawTags;
    try {
      raw = await readTags(job.source, seen);
    } catch (error) {
      return unreadable(job, errorMessage(error));
    }
    const fileType = tagText(raw['File:FileType']);
    if (fileType === null) {
      const errors = Array.isArray(raw.errors) ? raw.errors.map(String) : [];
      return unreadable(job, tagText(raw['ExifTool:Error']) ?? errors[0] ?? 'unknown file type');
    }
    const mimeType = tagText(raw['File:MIMEType']);
    const warnings: string[] = [];
    const exifWarning = tagText(raw['ExifTool:Warning']);
    if (exifWarning) warnings.push(`exiftool: ${exifWarning}`);
    const exifError = tagText(raw['ExifTool:Error']);
    if (exifError) warnings.push(`exiftool: ${exifError}`);

    const gps = readGps(raw);
    const gpsZone = zoneAt(exiftool, gps);
    const nowMs = now().getTime();
    const rejected: DateRejection[] = [];
    const context = { raw, gpsZone, timeZone, nowMs, warnings, rejected };
    const takenAt = resolveCaptureDate(job, dates, context);

    const size = tagText(raw['Composite:ImageSize'])?.split(/[ x]/).map(Number) ?? [];
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
      dateRejected: rejected,
    };
    return { ...job, kind: kindOf(mimeType), meta };
  };
}

/**
 * The file's tags as exiftool would give them, read in-process, or `null` to ask exiftool:
 * also when the file cannot be read here, so that exiftool reports why in its words.
 */
async function readNatively(file: string, seen?: SeenBytes): Promise<RawTags | null> {
  try {
    const { readTagsNatively } = await tagReader();
    return await readTagsNatively(file, READ_ARGS, seen);
  } catch {
    return null;
  }
}

let loadingTagReader: Promise<typeof import('../lib/tag-reader/index.js')> | undefined;

/** The reader's modules, loaded with the first file: a scan with none need not load them. */
function tagReader(): Promise<typeof import('../lib/tag-reader/index.js')> {
  loadingTagReader ??= import('../lib/tag-reader/index.js');
  return loadingTagReader;
}

/** Composite (signed, from GPS + Ref) first, then XMP, then any group with both values. */
function readGps(raw: RawTags): GpsPosition | null {
  const groups = ['Composite', 'XMP-exif'];
  for (const key of Object.keys(raw)) {
    const [group, tag] = splitTagKey(key);
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

function readOrientation(raw: RawTags): number | null {
  const main = raw['IFD0:Orientation'];
  if (typeof main === 'number') return main;
  for (const [key, value] of Object.entries(raw)) {
    const [group, tag] = splitTagKey(key);
    // IFD1 describes the thumbnail, not the image.
    if (tag === 'Orientation' && group !== 'IFD1' && typeof value === 'number') return value;
  }
  return null;
}

/** The main IFD's value first (the camera's own), then the first other group that has one. */
function firstText(raw: RawTags, tag: string): string | null {
  const main = typeof raw[`IFD0:${tag}`] === 'string' ? tagText(raw[`IFD0:${tag}`]) : null;
  if (main) return main;
  for (const [key, value] of Object.entries(raw)) {
    if (splitTagKey(key)[1] === tag && typeof value === 'string' && tagText(value))
      return tagText(value);
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
  return {
    ...job,
    kind: 'other',
    meta: unknownPhotoMeta(),
    error: {
      code: 'UNREADABLE',
      stage: 'exif',
      message: `${job.source}: exiftool could not read it (${why})`,
    },
  };
}

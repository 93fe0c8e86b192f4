import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { wallClockInZone } from '../lib/capture-date.js';
import { errorMessage } from '../lib/errors.js';
import type { ExifTool } from '../lib/exiftool.js';
import { toGpsPosition } from '../lib/gps.js';
import { implausible, isStandInDate, zoneAt } from './date-resolution.js';
import type { FileJob, Stage } from './job.js';
import type { CaptureDate, GpsPosition } from '../lib/media.js';

/** The date source Takeout's JSON gives, as `scan --json` and the journal show it. */
const TAKEOUT_DATE_SOURCE = 'takeout:photoTakenTime';

/** Takeout's JSON files are a few kilobytes; anything this big is not one. */
const MAX_JSON_BYTES = 1024 * 1024;

/** Options of {@link createTakeoutStage}. */
export interface TakeoutStageOptions {
  exiftool: ExifTool;
  /** IANA zone for the UTC time stamp when the JSON gives no position; the machine's by default. */
  timeZone?: string;
  /** The clock a date in the future is judged by; for tests. */
  now?: () => Date;
}

/** Largest time stamp a JavaScript date holds (±8.64e15 ms): beyond it there is no date. */
const MAX_SECONDS = 8.64e12;

interface TakeoutJson {
  photoTakenTime?: { timestamp?: unknown };
  geoData?: { latitude?: unknown; longitude?: unknown };
}

/**
 * Runs after exif: a photo from Google Takeout whose bytes carry no date (Google strips
 * them from some exports) takes it from its `.json` companion's `photoTakenTime`, a UTC
 * time stamp shown in the local time of the JSON's `geoData` position (else of this
 * machine, as for videos). The JSON's position fills in a missing GPS position, also for a
 * photo whose bytes carry a date (Google strips the position from some exports).
 */
export function createTakeoutStage(options: TakeoutStageOptions): Stage {
  const machineZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

  return async (job) => {
    const meta = job.meta;
    if (job.error || !meta) return job;
    const dated = meta.takenAt !== null && !isStandInDate(meta.takenAt);
    if (dated && meta.gps) return job;
    const json = job.companions?.find(
      (member) => extname(member.source).toLowerCase() === '.json' && !member.error,
    );
    if (!json || json.size > MAX_JSON_BYTES) return job;
    let data: TakeoutJson;
    try {
      data = JSON.parse(await readFile(json.source, 'utf8')) as TakeoutJson;
    } catch (error) {
      return warn(job, `${basename(json.source)} is not readable JSON (${errorMessage(error)})`);
    }
    // `null`, a list or a number parse as JSON too; Takeout's is always an object.
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return warn(job, `${basename(json.source)} holds no Takeout metadata object`);
    }
    const gps = takeoutPosition(data);
    // A photo dated by its own bytes keeps its date, and takes only the missing position.
    if (dated) return gps ? { ...job, meta: { ...meta, gps } } : job;
    const raw = data.photoTakenTime?.timestamp;
    if (raw === undefined) return job;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_SECONDS) {
      return warn(job, `${basename(json.source)}: photoTakenTime ${String(raw)} is not a time`);
    }
    const zone = zoneAt(options.exiftool, gps) ?? machineZone;
    const wall = wallClockInZone(seconds * 1000, zone);
    const why = implausible(wall, seconds * 1000, (options.now?.() ?? new Date()).getTime());
    if (why) {
      return warn(job, `${basename(json.source)}: photoTakenTime ${String(raw)} is ${why}`);
    }
    const takenAt: CaptureDate = { ...wall, zone, source: TAKEOUT_DATE_SOURCE };
    return { ...job, meta: { ...meta, takenAt, gps: meta.gps ?? gps } };
  };
}

/** The job with a warning added: the photo goes on with the date it had (or none). */
function warn(job: FileJob, warning: string): FileJob {
  const meta = job.meta!;
  return { ...job, meta: { ...meta, warnings: [...meta.warnings, warning] } };
}

/** Takeout writes 0,0 when it knows no position. */
function takeoutPosition(data: TakeoutJson): GpsPosition | null {
  const lat = Number(data.geoData?.latitude);
  const lon = Number(data.geoData?.longitude);
  if (lat === 0 && lon === 0) return null;
  return toGpsPosition(lat, lon);
}

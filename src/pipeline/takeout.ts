import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { wallClockInZone } from '../lib/capture-date.js';
import { errorMessage } from '../lib/errors.js';
import type { ExifTool } from '../lib/exiftool.js';
import { toGpsPosition } from '../lib/gps.js';
import { zoneAt } from './date-resolution.js';
import type { Stage } from './job.js';
import type { CaptureDate, GpsPosition } from '../lib/media.js';

/** The date source Takeout's JSON gives, as `scan --json` and the journal show it. */
const TAKEOUT_DATE_SOURCE = 'takeout:photoTakenTime';

/** Takeout's JSON files are a few kilobytes; anything this big is not one. */
const MAX_JSON_BYTES = 1024 * 1024;

/** Dates that only stand in for a real one: an embedded date is never replaced. */
const STAND_INS = new Set(['filename', 'mtime']);

/** Options of {@link createTakeoutStage}. */
export interface TakeoutStageOptions {
  exiftool: ExifTool;
  /** IANA zone for the UTC time stamp when the JSON gives no position; the machine's by default. */
  timeZone?: string;
}

interface TakeoutJson {
  photoTakenTime?: { timestamp?: unknown };
  geoData?: { latitude?: unknown; longitude?: unknown };
}

/**
 * Runs after exif: a photo from Google Takeout whose bytes carry no date (Google strips
 * them from some exports) takes it from its `.json` companion's `photoTakenTime`, a UTC
 * time stamp shown in the local time of the JSON's `geoData` position (else of this
 * machine, as for videos). The position also fills in a missing GPS position.
 */
export function createTakeoutStage(options: TakeoutStageOptions): Stage {
  const machineZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

  return async (job) => {
    const meta = job.meta;
    if (job.error || !meta) return job;
    if (meta.takenAt && !STAND_INS.has(meta.takenAt.source)) return job;
    const json = job.companions?.find(
      (member) => extname(member.source).toLowerCase() === '.json' && !member.error,
    );
    if (!json || json.size > MAX_JSON_BYTES) return job;
    let data: TakeoutJson;
    try {
      data = JSON.parse(await readFile(json.source, 'utf8')) as TakeoutJson;
    } catch (error) {
      const warning = `${basename(json.source)} is not readable JSON (${errorMessage(error)})`;
      return { ...job, meta: { ...meta, warnings: [...meta.warnings, warning] } };
    }
    const seconds = Number(data.photoTakenTime?.timestamp);
    if (!Number.isFinite(seconds) || seconds <= 0) return job;
    const gps = takeoutPosition(data);
    const zone = zoneAt(options.exiftool, gps) ?? machineZone;
    const takenAt: CaptureDate = {
      ...wallClockInZone(seconds * 1000, zone),
      zone,
      source: TAKEOUT_DATE_SOURCE,
    };
    return { ...job, meta: { ...meta, takenAt, gps: meta.gps ?? gps } };
  };
}

/** Takeout writes 0,0 when it knows no position. */
function takeoutPosition(data: TakeoutJson): GpsPosition | null {
  const lat = Number(data.geoData?.latitude);
  const lon = Number(data.geoData?.longitude);
  if (lat === 0 && lon === 0) return null;
  return toGpsPosition(lat, lon);
}

import { dirname } from 'node:path';
import { unknownPhotoMeta, type CaptureDate, type PhotoMeta } from '../../src/lib/media.js';
import type { FileJob } from '../../src/pipeline/job.js';

/**
 * Builders for the records tests hand to stages, so a test writes only the fields it is
 * about. Defaults are plain and stated here; a test that depends on one says it again.
 */

/** 2024-06-12 18:30:00.000 from `ExifIFD:DateTimeOriginal`, zone unknown, unless overridden. */
export function captureDate(overrides: Partial<CaptureDate> = {}): CaptureDate {
  return {
    year: 2024,
    month: 6,
    day: 12,
    hour: 18,
    minute: 30,
    second: 0,
    millisecond: 0,
    offsetMinutes: null,
    zone: null,
    source: 'ExifIFD:DateTimeOriginal',
    ...overrides,
  };
}

/** Metadata with nothing known (as exif gives an unreadable file), unless overridden. */
export function photoMeta(overrides: Partial<PhotoMeta> = {}): PhotoMeta {
  return { ...unknownPhotoMeta(), ...overrides };
}

/**
 * The job the watcher or scan makes for `source` before any stage ran: found under its own
 * folder, one byte, mtime 0, unless overridden.
 */
export function fileJob(source: string, overrides: Partial<FileJob> = {}): FileJob {
  return { source, root: dirname(source), size: 1, mtimeMs: 0, ...overrides };
}

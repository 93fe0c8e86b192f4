import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datePart, formatCaptureDate, formatOffset } from '../src/lib/capture-date.js';
import { createExifTool, type ExifTool } from '../src/lib/exiftool.js';
import type { DateSource } from '../src/config/schema.js';
import { createExifStage } from '../src/pipeline/exif.js';
import type { FileJob } from '../src/pipeline/job.js';

// The shared corpus holds files (ia_, im_) that may not be copied into the project, so this
// suite reads them in place and skips when the folder is not there.
import { CORPUS } from './support/corpus.js';
const DEV = path.join(CORPUS, 'dev');
const hasCorpus = existsSync(DEV);

interface Truth {
  file: string;
  fileType: string;
  /** `YYYY-MM-DDTHH:MM:SS` as the camera's clock showed it, or null. */
  wallClock: string | null;
  dateSource: string | null;
  offset: string | null;
}

function readTruth(): Truth[] {
  const lines = readFileSync(path.join(CORPUS, 'truth.tsv'), 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => {
    const [file, fileType, dto, source, offset] = line.split('\t');
    const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(dto ?? '');
    return {
      file: file!,
      fileType: fileType!,
      wallClock: m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}` : null,
      dateSource: source || null,
      offset: offset || null,
    };
  });
}

/**
 * Where photosortd deliberately reads a file differently from exiftool's own priority
 * (truth.tsv). `wallClock: null` means no embedded date is accepted.
 */
const DEVIATIONS: Record<string, { wallClock: string | null; source: string | null; why: string }> =
  {
    'dn_with-gps.mov': {
      wallClock: '2019-07-24T11:25:57',
      source: 'QuickTime:CreateDate',
      why: 'QuickTime CreateDate is UTC; shown in the local time at its GPS position (Asia/Jerusalem, +03:00)',
    },
    'ia_sanyo-vpcg250.jpg': {
      wallClock: null,
      source: null,
      why: "1998:01:01 00:00:00 is the camera's default clock, not a capture time",
    },
    'ia_WWL_(Polaroid)_ION230.jpg': {
      wallClock: null,
      source: null,
      why: 'DateTimeOriginal 2026 is 18 years after IFD0:ModifyDate 2008: the clock was set wrong',
    },
    'im_gps-datetime.jpg': {
      wallClock: '2023-11-15T04:30:00',
      source: 'XMP-exif:GPSDateTime',
      why: 'the GPS time stamp is the last embedded resort: 12:30Z at San Francisco is 04:30-08:00',
    },
    'ia_HMD_Nokia_8.3_5G_hdr.heif': {
      wallClock: '2022-01-12T08:30:14',
      source: 'Composite:GPSDateTime',
      why: 'the GPS time stamp is the last embedded resort: 07:30:14Z near Madrid is 08:30:14+01:00',
    },
  };

const VIDEO_TYPES = new Set(['MOV', 'MP4', 'M2TS', '3GP']);

describe.skipIf(!hasCorpus)('exif stage over the shared corpus', () => {
  let exiftool: ExifTool;
  const truth = hasCorpus ? readTruth() : [];

  beforeAll(() => {
    exiftool = createExifTool();
  });
  afterAll(async () => {
    await exiftool.end();
  });

  const run = async (dates: DateSource[]): Promise<Map<string, FileJob>> => {
    const stage = createExifStage({ exiftool, dates, timeZone: 'UTC' });
    const jobs = await Promise.all(
      truth.map((t) => {
        const source = path.join(DEV, t.file);
        const stats = statSync(source);
        // As identify reads them: the ctime is when the file arrived (the corpus was copied).
        const times = { mtimeMs: stats.mtimeMs, arrivedMs: stats.ctimeMs };
        return stage({ source, root: DEV, size: stats.size, ...times });
      }),
    );
    return new Map(jobs.map((j) => [path.basename(j.source), j]));
  };

  it('has a truth row for every file in the corpus', () => {
    expect(truth.map((t) => t.file).sort()).toEqual(readdirSync(DEV).sort());
  });

  it('reads kind, capture time and its source as truth.tsv says (exif only)', async () => {
    const jobs = await run(['exif']);
    for (const t of truth) {
      const job = jobs.get(t.file)!;
      const expected = DEVIATIONS[t.file] ?? { wallClock: t.wallClock, source: t.dateSource };
      const d = job.meta?.takenAt ?? null;
      const got = d ? `${datePart(d)}T${formatCaptureDate(d).slice(11, 19)}` : null;
      expect({ file: t.file, error: job.error ?? null }).toEqual({ file: t.file, error: null });
      expect({ file: t.file, kind: job.kind }).toEqual({
        file: t.file,
        kind: VIDEO_TYPES.has(t.fileType) ? 'video' : 'photo',
      });
      expect({ file: t.file, fileType: job.meta?.fileType }).toEqual({
        file: t.file,
        fileType: t.fileType,
      });
      expect({ file: t.file, takenAt: got, source: d?.source ?? null }).toEqual({
        file: t.file,
        takenAt: expected.wallClock,
        source: expected.source,
      });
      if (t.offset && d && !DEVIATIONS[t.file]) {
        expect({ file: t.file, offset: formatOffset(d.offsetMinutes ?? NaN) }).toEqual({
          file: t.file,
          offset: t.offset,
        });
      }
    }
  });

  it('takes the mtime of an undated file only when it is not the moment of its copy', async () => {
    const jobs = await run(['exif', 'filename', 'mtime']);
    const undated = truth.filter((t) =>
      t.file in DEVIATIONS ? DEVIATIONS[t.file]!.wallClock === null : t.wallClock === null,
    );
    expect(undated.length).toBeGreaterThan(5);
    for (const t of undated) {
      const stats = statSync(path.join(DEV, t.file));
      const meta = jobs.get(t.file)!.meta!;
      // A corpus copied with `cp` has mtimes of the copy, which its ctimes also record; one
      // unpacked with its times kept (tar, `cp -p`) has older mtimes, which are dates.
      const copied = Math.abs(stats.ctimeMs - stats.mtimeMs) <= 5 * 60_000;
      const mtime = meta.dateRejected.find((r) => r.source === 'mtime');
      expect({ file: t.file, source: meta.takenAt?.source ?? null, why: mtime?.reason }).toEqual({
        file: t.file,
        source: copied ? null : 'mtime',
        why: copied ? expect.stringMatching(/^the time the file was copied here/) : undefined,
      });
    }
  });

  it('names a warning for each rejected bogus clock', async () => {
    const jobs = await run(['exif']);
    expect(jobs.get('ia_sanyo-vpcg250.jpg')!.meta!.warnings).toContain(
      "ExifIFD:DateTimeOriginal 1998:01:01 00:00:00 rejected: midnight on January 1st, a camera's default clock",
    );
    expect(jobs.get('ia_WWL_(Polaroid)_ION230.jpg')!.meta!.warnings.join('\n')).toMatch(
      /ExifIFD:DateTimeOriginal 2026:11:24 14:41:16 rejected: after the file was modified/,
    );
  });

  it('reads camera, orientation, size and a plausible GPS position', async () => {
    const jobs = await run(['exif']);
    const meta = (f: string) => jobs.get(f)!.meta!;
    expect(meta('ia_iphone_13_pro_max.HEIC')).toMatchObject({
      camera: { make: 'Apple', model: 'iPhone 13 Pro Max' },
      orientation: 6,
      width: 4032,
      height: 3024,
      gps: null,
    });
    expect(meta('ia_DSCN0025.jpg').gps).toEqual({ lat: 43.468365, lon: 11.8816349999722 });
    expect(meta('dn_Samsung GT-I9000 (Galaxy S).jpg').gps).toBeNull();
    // FLIR keeps GPS in its maker notes with a W reference: west, near Los Angeles, which
    // agrees with the photo's -07:00 offset (truth.tsv prints the unsigned value).
    expect(meta('dn_FLIR iPhone device.jpg').gps).toEqual({
      lat: 34.0754261592891,
      lon: -118.254268165533,
    });
    expect(meta('dn_FLIR iPhone device.jpg').camera).toEqual({
      make: 'FLIR Systems AB',
      model: null,
    });
  });
});

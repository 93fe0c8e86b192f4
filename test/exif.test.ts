import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WriteTags } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCaptureDate } from '../src/lib/capture-date.js';
import { createExifTool, type ExifTool } from '../src/lib/exiftool.js';
import { createExifStage, type ExifStageOptions } from '../src/pipeline/exif.js';
import type { FileJob } from '../src/pipeline/job.js';
import { writeAvchdWithDst } from './support/media.js';
import { fileJob } from './support/records.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

let exiftool: ExifTool;
let tmp: string;

beforeAll(async () => {
  exiftool = createExifTool();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'photosortd-exif-'));
});
afterAll(async () => {
  await exiftool.end();
  await rm(tmp, { recursive: true, force: true });
});

const job = (source: string, mtimeMs = Date.parse('2025-03-04T05:06:07Z')): FileJob =>
  fileJob(source, { mtimeMs });

async function read(
  file: string,
  options: Partial<Omit<ExifStageOptions, 'exiftool'>> = {},
): Promise<FileJob> {
  const stage = createExifStage({ exiftool, dates: ['exif'], timeZone: 'UTC', ...options });
  const source = path.isAbsolute(file) ? file : path.join(FIXTURES, file);
  return stage(job(source));
}

const takenAt = (j: FileJob): string | null =>
  j.meta?.takenAt ? formatCaptureDate(j.meta.takenAt) : null;

/** A copy of a fixture in the temp folder, with tags rewritten by exiftool. */
async function copyWith(fixture: string, name: string, tags: WriteTags): Promise<string> {
  const target = path.join(tmp, name);
  await copyFile(path.join(FIXTURES, fixture), target);
  if (Object.keys(tags).length > 0) {
    await exiftool.write(target, tags, { writeArgs: ['-overwrite_original'] });
  }
  return target;
}

describe('exif stage on committed fixtures', () => {
  it('reads a phone photo: offset tag, sub-seconds, GPS zone, camera, size', async () => {
    const j = await read('et_Google.jpg');
    expect(j.error).toBeUndefined();
    expect(j.kind).toBe('photo');
    expect(takenAt(j)).toBe('2023-10-06T22:53:51.724+02:00');
    expect(j.meta).toMatchObject({
      fileType: 'JPEG',
      mimeType: 'image/jpeg',
      camera: { make: 'Google', model: 'Pixel 8 Pro' },
      orientation: 1,
      width: 8,
      height: 8,
      warnings: [],
    });
    expect(j.meta?.takenAt).toMatchObject({
      source: 'ExifIFD:DateTimeOriginal',
      offsetMinutes: 120,
      zone: 'Europe/Madrid',
    });
    expect(j.meta?.gps?.lat).toBeCloseTo(40.40007, 4);
    expect(j.meta?.gps?.lon).toBeCloseTo(-3.71465, 4);
  });

  it('keeps an AVCHD clip on New Year’s Eve in its own zone, whatever the machine zone', async () => {
    // 23:16:24+01:00 is already 2009 in Auckland: the clip's inline offset must win.
    const j = await read('et_M2TS.mts', { timeZone: 'Pacific/Auckland' });
    expect(j.kind).toBe('video');
    expect(takenAt(j)).toBe('2008-12-31T23:16:24+01:00');
    expect(j.meta?.takenAt?.source).toBe('H264:DateTimeOriginal');
    expect(j.meta?.takenAt?.year).toBe(2008);
  });

  it('shows a QuickTime video’s UTC CreateDate in the local time of its GPS position', async () => {
    const j = await read('dn_with-gps.mov', { timeZone: 'America/New_York' });
    expect(j.kind).toBe('video');
    expect(takenAt(j)).toBe('2019-07-24T11:25:57+03:00');
    expect(j.meta?.takenAt).toMatchObject({
      source: 'QuickTime:CreateDate',
      zone: 'Asia/Jerusalem',
    });
    expect(j.meta?.camera).toEqual({ make: 'Apple', model: 'iPhone 6' });
  });

  it('shows a UTC video date in the machine zone when the video has no position', async () => {
    const file = await copyWith('dn_with-gps.mov', 'no-gps.mov', {
      GPSCoordinates: null,
    } as unknown as WriteTags);
    const j = await read(file, { timeZone: 'America/New_York' });
    expect(j.meta?.gps).toBeNull();
    expect(takenAt(j)).toBe('2019-07-24T04:25:57-04:00');
    expect(j.meta?.takenAt).toMatchObject({
      source: 'QuickTime:CreateDate',
      zone: 'America/New_York',
    });
  });

  it('prefers a video’s own DateTimeOriginal with offset over its UTC CreateDate', async () => {
    const j = await read('ft_fixture2.3gp');
    expect(takenAt(j)).toBe('2018-02-07T10:15:08-05:00');
    expect(j.meta?.takenAt?.source).toBe('UserData:DateTimeOriginal');
  });

  it('reads RAW files and their offset tags', async () => {
    expect(takenAt(await read('et_CanonRaw.cr3'))).toBe('2018-02-21T12:08:56.210+00:00');
    const crw = await read('et_CanonRaw.crw');
    expect(takenAt(crw)).toBe('2003-11-10T17:39:26');
    expect(crw.meta?.takenAt?.source).toBe('CanonRaw:DateTimeOriginal');
  });

  it('takes XMP CreateDate with its inline offset when EXIF has no date', async () => {
    const j = await read('ft_fixture-itxt.png');
    expect(takenAt(j)).toBe('2020-01-27T14:08:33+01:00');
    expect(j.meta?.takenAt?.source).toBe('XMP-xmp:CreateDate');
  });

  it('drops a 0,0 GPS position and keeps the zone unknown', async () => {
    const j = await read('dn_Samsung GT-I9000 (Galaxy S).jpg');
    expect(j.meta?.gps).toBeNull();
    expect(j.meta?.orientation).toBe(6);
    expect(takenAt(j)).toBe('2011-04-02T18:30:10');
    expect(j.meta?.takenAt).toMatchObject({ offsetMinutes: null, zone: null });
  });

  it('judges a mislabelled file by its content, not its extension', async () => {
    const photo = await copyWith('et_Google.jpg', 'really-a-photo.mov', {});
    const video = await copyWith('dn_with-gps.mov', 'really-a-video.jpg', {});
    const [p, v] = await Promise.all([read(photo), read(video)]);
    expect([p.kind, p.meta?.fileType]).toEqual(['photo', 'JPEG']);
    expect([v.kind, v.meta?.fileType]).toEqual(['video', 'MOV']);
  });

  it('marks a file exiftool cannot read UNREADABLE, without throwing', async () => {
    const file = path.join(tmp, 'noise.jpg');
    await writeFile(file, randomBytes(4096));
    const j = await read(file, { dates: ['exif', 'filename', 'mtime'] });
    expect(j.kind).toBe('other');
    expect(j.error).toMatchObject({ code: 'UNREADABLE', stage: 'exif' });
    expect(j.error?.message).toBe(`${file}: exiftool could not read it (File format error)`);
    expect(j.meta).toMatchObject({
      fileType: null,
      takenAt: null,
      gps: null,
      camera: { make: null },
    });
  });

  it('marks a file that vanished before the read UNREADABLE', async () => {
    const j = await read(path.join(tmp, 'gone.jpg'));
    expect(j.error?.code).toBe('UNREADABLE');
    expect(j.error?.message).toMatch(/gone\.jpg: exiftool could not read it \(File not found/);
  });

  it('gives a truncated JPEG a best-effort date from its mtime, with the read warning', async () => {
    const j = await read('dv_Sony DSC-HX5V (2)_truncated.jpg', { dates: ['exif', 'mtime'] });
    expect(j.error).toBeUndefined();
    expect(j.kind).toBe('photo');
    expect(takenAt(j)).toBe('2025-03-04T05:06:07+00:00');
    expect(j.meta?.takenAt?.source).toBe('mtime');
    expect(j.meta?.warnings).toContain('exiftool: JPEG format error');
    const exifOnly = await read('dv_Sony DSC-HX5V (2)_truncated.jpg');
    expect(exifOnly.meta?.takenAt).toBeNull();
  });

  it('reads a non-media file as kind "other" without an error', async () => {
    const file = path.join(tmp, 'notes.txt');
    await writeFile(file, 'shopping list\n');
    const j = await read(file);
    expect(j.error).toBeUndefined();
    expect([j.kind, j.meta?.fileType, j.meta?.mimeType]).toEqual(['other', 'TXT', 'text/plain']);
  });

  it('leaves a job that already failed untouched', async () => {
    const failed: FileJob = {
      ...job(path.join(FIXTURES, 'et_Google.jpg')),
      error: { code: 'EMPTY_FILE', stage: 'identify', message: 'x' },
    };
    const stage = createExifStage({ exiftool, dates: ['exif'] });
    expect(await stage(failed)).toBe(failed);
  });
});

describe('capture date choice', () => {
  it('rejects zeroed and default clocks, says why, and takes the next tag', async () => {
    const file = await copyWith('et_Canon1DmkIII.jpg', 'zeroed.jpg', {
      // `#` writes the value as given: exiftool would refuse an all-zero date otherwise.
      'DateTimeOriginal#': '0000:00:00 00:00:00',
      CreateDate: '2002:01:01 00:00:00',
      'XMP-xmp:CreateDate': '2007:02:22 17:02:42+01:00',
    } as unknown as WriteTags);
    const j = await read(file);
    expect(takenAt(j)).toBe('2007-02-22T17:02:42+01:00');
    expect(j.meta?.takenAt?.source).toBe('XMP-xmp:CreateDate');
    expect(j.meta?.warnings).toEqual([
      'ExifIFD:DateTimeOriginal 0000:00:00 00:00:00 rejected: not a real date',
      "ExifIFD:CreateDate 2002:01:01 00:00:00 rejected: midnight on January 1st, a camera's default clock",
    ]);
  });

  it('rejects the Unix epoch', async () => {
    const file = await copyWith('et_Canon1DmkIII.jpg', 'epoch.jpg', {
      DateTimeOriginal: '1970:01:01 00:00:05',
    } as unknown as WriteTags);
    const j = await read(file);
    expect(takenAt(j)).toBe('2007-02-22T17:02:42.810');
    expect(j.meta?.takenAt?.source).toBe('ExifIFD:CreateDate');
    expect(j.meta?.warnings[0]).toMatch(/1970:01:01 00:00:05 rejected: the Unix epoch/);
  });

  it('rejects dates more than a day after now(), including the GPS time', async () => {
    const now = () => new Date('2023-10-01T00:00:00Z');
    const j = await read('et_Google.jpg', { now });
    expect(j.meta?.takenAt).toBeNull();
    expect(j.meta?.warnings).toEqual([
      'ExifIFD:DateTimeOriginal 2023:10:06 22:53:51 rejected: in the future',
      'ExifIFD:CreateDate 2023:10:06 22:53:51 rejected: in the future',
      'Google:CreateDate 2023:10:06 20:53:51+00:00 rejected: in the future',
      'Composite:GPSDateTime 2023:10:06 20:52:10Z rejected: in the future',
    ]);
    const tomorrow = await read('et_Google.jpg', { now: () => new Date('2023-10-06T12:00:00Z') });
    expect(takenAt(tomorrow)).toBe('2023-10-06T22:53:51.724+02:00');
  });

  it('follows the order of `dates`: file name before EXIF when asked', async () => {
    const file = await copyWith('et_Google.jpg', 'IMG_20240612_183000.jpg', {});
    const j = await read(file, { dates: ['filename', 'exif'] });
    // Wall clock from the name; the zone from where the GPS says it was taken.
    expect(takenAt(j)).toBe('2024-06-12T18:30:00+02:00');
    expect(j.meta?.takenAt?.source).toBe('filename');
  });

  it('uses the mtime in the machine zone only when allowed', async () => {
    const file = path.join(tmp, 'undated.png');
    await copyFile(path.join(FIXTURES, 'ft_fixture-itxt.png'), file);
    await exiftool.write(file, { 'XMP-xmp:CreateDate': null } as unknown as WriteTags, {
      writeArgs: ['-overwrite_original'],
    });
    const when = new Date('2024-01-15T12:00:00Z');
    await utimes(file, when, when);
    const stage = (dates: ExifStageOptions['dates']) =>
      createExifStage({ exiftool, dates, timeZone: 'Asia/Tokyo' });
    const j = await stage(['exif', 'filename', 'mtime'])(job(file, when.getTime()));
    expect(takenAt(j)).toBe('2024-01-15T21:00:00+09:00');
    expect(j.meta?.takenAt).toMatchObject({ source: 'mtime', zone: 'Asia/Tokyo' });
    const exifOnly = await stage(['exif', 'filename'])(job(file, when.getTime()));
    expect(exifOnly.meta?.takenAt).toBeNull();
  });

  it('refuses an unknown machine time zone at creation', () => {
    expect(() => createExifStage({ exiftool, dates: ['exif'], timeZone: 'Mars/Olympus' })).toThrow(
      /Unknown time zone "Mars\/Olympus"/,
    );
  });
});

describe('date cases found on real camera files', () => {
  it('reads an AVCHD clip whose date exiftool prints with ` DST`', async () => {
    const file = await writeAvchdWithDst(path.join(tmp, '00042.MTS'));
    const raw = (await exiftool.readRaw(file, {
      readArgs: ['-G1', '-H264:DateTimeOriginal'],
    })) as unknown as Record<string, unknown>;
    expect(raw['H264:DateTimeOriginal']).toBe('2008:12:31 23:16:24+01:00 DST');
    const j = await read(file, { timeZone: 'Pacific/Auckland' });
    expect(takenAt(j)).toBe('2008-12-31T23:16:24+01:00');
    expect(j.meta?.takenAt?.source).toBe('H264:DateTimeOriginal');
    expect(j.meta?.dateRejected).toEqual([]);
  });

  it('takes a PNG CreationTime after EXIF and XMP', async () => {
    const only = await copyWith('ft_fixture-itxt.png', 'creation-time.png', {
      'XMP-xmp:CreateDate': null,
      'PNG:CreationTime': '2021:07:04 10:20:30+02:00',
    } as unknown as WriteTags);
    const j = await read(only);
    expect(takenAt(j)).toBe('2021-07-04T10:20:30+02:00');
    expect(j.meta?.takenAt?.source).toBe('PNG:CreationTime');
    const both = await copyWith('ft_fixture-itxt.png', 'xmp-and-creation-time.png', {
      'PNG:CreationTime': '2021:07:04 10:20:30+02:00',
    } as unknown as WriteTags);
    expect(takenAt(await read(both))).toBe('2020-01-27T14:08:33+01:00');
  });

  it('does not take an mtime written by the copy for a capture date, and says why', async () => {
    const file = await copyWith('ft_fixture-itxt.png', 'copied.png', {
      'XMP-xmp:CreateDate': null,
    } as unknown as WriteTags);
    const copied = Date.parse('2026-11-30T10:54:45.991Z');
    const stage = createExifStage({ exiftool, dates: ['exif', 'mtime'], timeZone: 'UTC' });
    // `cp` writes the mtime a moment before the ctime it leaves behind.
    const j = await stage({ ...job(file, copied), arrivedMs: copied + 7 });
    expect(j.meta?.takenAt).toBeNull();
    expect(j.meta?.dateRejected).toEqual([
      {
        source: 'mtime',
        value: '2026-11-30T10:54:45.991+00:00',
        reason:
          'the time the file was copied here (it arrived 2026-11-30T10:54:45.998Z), not when it was taken',
      },
    ]);
    // `cp -p` or `rsync -t` keep the old mtime; the ctime is the copy's: the mtime is a date.
    const kept = await stage({
      ...job(file, Date.parse('2015-05-06T07:08:09Z')),
      arrivedMs: copied,
    });
    expect(takenAt(kept)).toBe('2015-05-06T07:08:09+00:00');
    expect(kept.meta?.takenAt?.source).toBe('mtime');
  });

  it('does not take an mtime later than the last change the file records', async () => {
    const file = await copyWith('et_Canon1DmkIII.jpg', 'touched.jpg', {
      DateTimeOriginal: null,
      CreateDate: null,
      'XMP-xmp:CreateDate': null,
      ModifyDate: '2019:03:04 05:06:07',
    } as unknown as WriteTags);
    const j = await read(file, { dates: ['exif', 'mtime'] });
    expect(j.meta?.takenAt).toBeNull();
    expect(j.meta?.dateRejected).toContainEqual({
      source: 'mtime',
      value: '2025-03-04T05:06:07+00:00',
      reason:
        "after the file's own last change (IFD0:ModifyDate 2019:03:04 05:06:07): the time of a copy",
    });
  });

  it('lists each rejected date with its source, value and reason', async () => {
    const j = await read('et_Google.jpg', { now: () => new Date('2023-10-06T12:00:00Z') });
    expect(j.meta?.dateRejected).toEqual([]);
    const future = await read('et_Google.jpg', { now: () => new Date('2023-10-01T00:00:00Z') });
    expect(future.meta?.dateRejected).toContainEqual({
      source: 'ExifIFD:DateTimeOriginal',
      value: '2023:10:06 22:53:51',
      reason: 'in the future',
    });
  });
});

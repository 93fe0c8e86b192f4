import { copyFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { WriteTags } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import type { ControlEvent } from '../src/daemon/control.js';
import { createExifTool, type ExifTool } from '../src/lib/exiftool.js';
import type { DateRejection } from '../src/lib/media.js';
import { capturedLogger } from './support/captured.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles, sha256, waitFor } from './support/fs.js';
import { writeAvchdWithDst, writeJpeg } from './support/media.js';
import { project, scanProject, type Project, type ScanLine } from './support/project.js';

/*
 * The date cases of issue 14, found on real camera files, through `photosortd scan --json`
 * as a user runs it: where each file ends up and what the line says about its date.
 */

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The fields of a `scan --json` line about the date. */
type DatedLine = ScanLine & {
  takenAt: string | null;
  dateSource: string | null;
  dateRejected: DateRejection[];
};

let exiftool: ExifTool;

beforeAll(() => {
  exiftool = createExifTool();
});
afterAll(async () => {
  await exiftool.end();
});

/** Copies `from` to `to` and rewrites its tags with exiftool. */
async function copyWith(from: string, to: string, tags: Record<string, unknown>): Promise<void> {
  await copyFile(from, to);
  await exiftool.write(to, tags as WriteTags, { writeArgs: ['-overwrite_original'] });
}

/** Runs `scan --json` over the project's inbox; each line by the file's name. */
async function scan(p: Project): Promise<Map<string, DatedLine>> {
  const result = await scanProject(p);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.byName as Map<string, DatedLine>;
}

describe('dates of real files, through scan --json', () => {
  it('files an AVCHD clip whose date carries ` DST` on its day, with its source', async () => {
    const p = await project({}, 'photosortd-dates-');
    await writeAvchdWithDst(join(p.inbox, '00042.MTS'));
    const line = (await scan(p)).get('00042.MTS')!;
    expect(line).toMatchObject({
      action: 'move',
      target: join(p.library, '2008/2008-12-31/00042.MTS'),
      takenAt: '2008-12-31T23:16:24+01:00',
      dateSource: 'H264:DateTimeOriginal',
      dateRejected: [],
    });
    expect(await listFiles(p.library)).toEqual(['2008/2008-12-31/00042.MTS']);
  });

  it('files a PNG by its CreationTime when it carries no EXIF or XMP date', async () => {
    const p = await project({}, 'photosortd-dates-');
    await copyWith(join(FIXTURES, 'ft_fixture-itxt.png'), join(p.inbox, 'drawing.png'), {
      'XMP-xmp:CreateDate': null,
      'PNG:CreationTime': '2021:07:04 10:20:30+02:00',
    });
    const line = (await scan(p)).get('drawing.png')!;
    expect(line).toMatchObject({
      action: 'move',
      target: join(p.library, '2021/2021-07-04/drawing.png'),
      dateSource: 'PNG:CreationTime',
    });
  });

  it('does not file a copied undated photo under the day of the copy; a kept mtime still counts', async () => {
    const p = await project({}, 'photosortd-dates-');
    // Written now: mtime, ctime and birthtime are all this moment, as `cp` leaves them.
    await writeJpeg(join(p.inbox, 'copied.jpg'), { seed: 1401 });
    // As `cp -p` leaves it: the mtime of the original, the ctime of the copy.
    await writeJpeg(join(p.inbox, 'kept.jpg'), { seed: 1402 });
    const kept = new Date('2015-05-06T07:08:09Z');
    await utimes(join(p.inbox, 'kept.jpg'), kept, kept);

    const lines = await scan(p);
    const copied = lines.get('copied.jpg')!;
    expect(copied).toMatchObject({
      action: 'unsorted',
      target: join(p.library, 'Unsorted/copied.jpg'),
      takenAt: null,
      dateSource: null,
    });
    expect(copied.dateRejected).toEqual([
      {
        source: 'mtime',
        value: expect.any(String),
        reason: expect.stringMatching(/^the time the file was copied here \(it arrived .+\)/),
      },
    ]);
    expect(lines.get('kept.jpg')).toMatchObject({
      action: 'move',
      target: expect.stringMatching(/\/2015\/2015-05-0[67]\/kept\.jpg$/),
      dateSource: 'mtime',
      dateRejected: [],
    });
  });

  it('lists a rejected camera date with its reason, beside the date that was taken', async () => {
    const p = await project({}, 'photosortd-dates-');
    await copyWith(join(FIXTURES, 'et_Google.jpg'), join(p.inbox, 'PXL_1.jpg'), {
      DateTimeOriginal: '2099:01:01 12:00:00',
    });
    const line = (await scan(p)).get('PXL_1.jpg')!;
    expect(line).toMatchObject({
      action: 'move',
      target: join(p.library, '2023/2023-10-06/PXL_1.jpg'),
      dateSource: 'ExifIFD:CreateDate',
    });
    expect(line.dateRejected).toEqual([
      { source: 'ExifIFD:DateTimeOriginal', value: '2099:01:01 12:00:00', reason: 'in the future' },
    ]);
  });
});

describe('the daemon', () => {
  it('names the date source in its "filed" log line and in the file event', async () => {
    const p = await projectConfig({ settle: 300 }, 'photosortd-dates-');
    const log = capturedLogger('info');
    const daemon = await launchDaemon(p.loaded, log.logger);
    try {
      const events: ControlEvent[] = [];
      daemon.subscribe((event) => events.push(event));
      await writeAvchdWithDst(join(p.inbox, '00042.MTS'));
      const target = join(p.library, '2008/2008-12-31/00042.MTS');
      await waitFor(async () => (await listFiles(p.library)).length === 1, { what: 'the clip' });
      await daemon.idle();
      const filed = log
        .lines()
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'filed');
      expect(filed).toEqual([
        expect.objectContaining({ target, dateSource: 'H264:DateTimeOriginal' }),
      ]);
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'file', target, dateSource: 'H264:DateTimeOriginal' }),
      );
    } finally {
      await daemon.stop(10_000);
    }
  });
});

// The HEIC is a real iPhone file of the shared corpus, which may not be committed (see
// test/fixtures/README.md); the suite says so and skips where the corpus is absent.
describe.skipIf(!HAS_CORPUS)('a still and a video with one name (needs ../shared/corpus)', () => {
  it('files a HEIC whose dates were removed with its MOV, on the MOV’s day', async () => {
    const p = await project({}, 'photosortd-dates-');
    const heic = join(p.inbox, 'IMG_0001.HEIC');
    const mov = join(p.inbox, 'IMG_0001.MOV');
    await copyWith(join(CORPUS_DEV, 'ft_fixture-heic.heic'), heic, {
      AllDates: null,
      GPSDateStamp: null,
      GPSTimeStamp: null,
    });
    await copyFile(join(FIXTURES, 'dn_with-gps.mov'), mov);
    const hashes = [await sha256(heic), await sha256(mov)];

    const lines = await scan(p);
    // QuickTime:CreateDate 2019-07-24 08:25:57 UTC, shown at its GPS position (UTC+3).
    const day = join(p.library, '2019/2019-07-24');
    expect(lines.get('IMG_0001.HEIC')).toMatchObject({
      action: 'move',
      target: join(day, 'IMG_0001.HEIC'),
      takenAt: '2019-07-24T11:25:57+03:00',
      dateSource: 'QuickTime:CreateDate of IMG_0001.MOV',
    });
    // The still's own candidates were passed over: its mtime is the copy's.
    expect(lines.get('IMG_0001.HEIC')!.dateRejected.map((r) => r.source)).toEqual(['mtime']);
    expect(await listFiles(p.library)).toEqual([
      '2019/2019-07-24/IMG_0001.HEIC',
      '2019/2019-07-24/IMG_0001.MOV',
    ]);
    expect([
      await sha256(join(day, 'IMG_0001.HEIC')),
      await sha256(join(day, 'IMG_0001.MOV')),
    ]).toEqual(hashes);
  });
});

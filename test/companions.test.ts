import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { Journal } from '../src/journal/journal.js';
import { undo } from '../src/journal/undo.js';
import { silentLogger } from '../src/lib/logger.js';
import { memberTarget } from '../src/pipeline/groups/targets.js';
import { exiftoolCli, livePhotoHalves, scanJson, undoLast } from './support/companions.js';
import { listFiles, snapshot, waitFor } from './support/fs.js';
import { projectConfig } from './support/daemon-project.js';
import { writeJpeg } from './support/media.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
// Videos without a position are dated in the machine's zone; pin it so the test means the same anywhere.
process.env.TZ = 'UTC';
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

async function setup(
  extra: Record<string, unknown> = {},
): Promise<{ dir: string; inbox: string; config: Config }> {
  const { dir, inbox, loaded } = await projectConfig(
    { settle: 300, dates: { from: ['exif'] }, ...extra },
    'photosortd-companions-',
  );
  return { dir, inbox, config: loaded };
}

/** A Live Photo as an iPhone exports it: `NAME.HEIC` and `NAME.MOV` (see livePhotoHalves). */
const livePhoto = (folder: string, name: string) =>
  livePhotoHalves(folder, `${name}.HEIC`, `${name}.MOV`);

describe('groups in a scan', () => {
  it('files a Live Photo whose MOV date is UTC in the folder of its HEIC', async () => {
    const { dir, inbox, config } = await setup();
    // A video on its own is shown in this machine's zone (UTC here): it would land on the 23rd.
    await livePhoto(join(dir, 'alone'), 'IMG_0007');
    await mkdir(join(dir, 'video-only'));
    await copyFile(join(dir, 'alone', 'IMG_0007.MOV'), join(dir, 'video-only', 'IMG_0007.MOV'));
    const alone = await scanJson(config, [join(dir, 'video-only')], true);
    expect(alone.lines[0]?.target).toBe(join(config.library, '2019', '2019-07-23', 'IMG_0007.MOV'));

    await livePhoto(inbox, 'IMG_0008');
    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0008.HEIC',
      '2019/2019-07-24/IMG_0008.MOV',
    ]);
    expect(lines.find((line) => line.source.endsWith('.MOV'))).toMatchObject({
      action: 'move',
      takenAt: '2019-07-24T01:30:00+03:00',
    });
  });

  it("files a Live Photo's MOV arriving after its HEIC was filed beside it, and undo takes both", async () => {
    const { dir, inbox, config } = await setup();
    await livePhoto(join(dir, 'pair'), 'IMG_0009');
    await copyFile(join(dir, 'pair', 'IMG_0009.HEIC'), join(inbox, 'IMG_0009.HEIC'));
    expect((await scanJson(config, [inbox])).code).toBe(0);
    // The video on its own would land on the 23rd (UTC); it follows the still to the 24th.
    await copyFile(join(dir, 'pair', 'IMG_0009.MOV'), join(inbox, 'IMG_0009.MOV'));
    const late = await scanJson(config, [inbox]);
    expect(late.lines[0]).toMatchObject({
      action: 'move',
      target: join(config.library, '2019', '2019-07-24', 'IMG_0009.MOV'),
    });
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0009.HEIC',
      '2019/2019-07-24/IMG_0009.MOV',
    ]);
    expect((await undoLast(config)).undone).toHaveLength(2);
    expect(await listFiles(inbox)).toEqual(['IMG_0009.HEIC', 'IMG_0009.MOV']);
  });

  it('does not send a same-named video taken at another time to a filed still', async () => {
    const { dir, inbox, config } = await setup();
    await livePhoto(join(dir, 'pair'), 'IMG_0010');
    await copyFile(join(dir, 'pair', 'IMG_0010.HEIC'), join(inbox, 'IMG_0010.HEIC'));
    expect((await scanJson(config, [inbox])).code).toBe(0);
    await copyFile(join(dir, 'pair', 'IMG_0010.MOV'), join(inbox, 'IMG_0010.MOV'));
    exiftoolCli([
      '-q',
      '-overwrite_original',
      '-QuickTime:CreateDate=2020:01:01 12:00:00',
      join(inbox, 'IMG_0010.MOV'),
    ]);
    const late = await scanJson(config, [inbox]);
    expect(late.lines[0]?.target).toBe(join(config.library, '2020', '2020-01-01', 'IMG_0010.MOV'));
  });

  it('files a same-named video taken at another moment on its own, not on the photo’s day', async () => {
    const { inbox, config } = await setup();
    await livePhoto(inbox, 'IMG_0012');
    exiftoolCli([
      '-q',
      '-overwrite_original',
      '-QuickTime:CreateDate=2020:01:01 12:00:00',
      join(inbox, 'IMG_0012.MOV'),
    ]);
    const { lines } = await scanJson(config, [inbox]);
    expect(lines.find((line) => line.source.endsWith('.MOV'))).toMatchObject({
      action: 'move',
      takenAt: '2020-01-01T12:00:00+00:00',
    });
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0012.HEIC',
      '2020/2020-01-01/IMG_0012.MOV',
    ]);
    // Two files, two groups: undo of the last takes back only one.
    expect((await undoLast(config)).undone).toHaveLength(1);
  });

  it('files a RAW with its JPEG, and undo of the group restores every member', async () => {
    const { inbox, config } = await setup();
    await copyFile(join(FIXTURES, 'et_CanonRaw.cr3'), join(inbox, 'IMG_9.CR3'));
    await copyFile(join(FIXTURES, 'et_Canon1DmkIII.jpg'), join(inbox, 'IMG_9.JPG'));
    exiftoolCli(['-q', '-o', join(inbox, 'IMG_9.xmp'), join(inbox, 'IMG_9.CR3')]);
    await writeJpeg(join(inbox, 'other.jpg'), { date: '2020:01:01 10:00:00', seed: 4 });
    const before = await snapshot(inbox);

    await scanJson(config, [inbox]);
    // The RAW was taken in 2018; the JPEG beside it decides (2007).
    expect(await listFiles(config.library)).toEqual([
      '2007/2007-02-22/IMG_9.CR3',
      '2007/2007-02-22/IMG_9.JPG',
      '2007/2007-02-22/IMG_9.xmp',
      '2020/2020-01-01/other.jpg',
    ]);

    const journal = Journal.open(config.state);
    try {
      const rows = journal.recent(10);
      const groups = new Set(rows.map((row) => row.group));
      expect(rows).toHaveLength(4);
      expect(groups.size).toBe(2);
      // Undo of one member takes its whole group back; `--last 2` counts groups, not rows.
      const result = await undo(journal, { last: 2 }, { library: config.library });
      expect(result.undone).toHaveLength(4);
    } finally {
      journal.close();
    }
    expect(await snapshot(inbox)).toEqual(before);
    expect(await listFiles(config.library)).toEqual([]);
  });

  it('dates a Takeout photo that has no embedded date from its JSON, in the zone of its place', async () => {
    const { inbox, config } = await setup();
    await writeJpeg(join(inbox, 'PXL_lisbon.jpg'), { seed: 5 });
    // 2023-08-12 21:30:00 UTC is 22:30 in Lisbon (WEST, +01:00).
    const json = {
      title: 'PXL_lisbon.jpg',
      photoTakenTime: { timestamp: '1691875800', formatted: 'Aug 12, 2023, 9:30:00 PM UTC' },
      geoData: { latitude: 38.7223, longitude: -9.1393, altitude: 0 },
    };
    await writeFile(join(inbox, 'PXL_lisbon.jpg.supplemental-metadata.json'), JSON.stringify(json));
    const { lines } = await scanJson(config, [inbox]);
    expect(lines.find((line) => line.source.endsWith('.jpg'))).toMatchObject({
      action: 'move',
      dateSource: 'takeout:photoTakenTime',
      takenAt: '2023-08-12T22:30:00+01:00',
    });
    expect(await listFiles(config.library)).toEqual([
      '2023/2023-08-12/PXL_lisbon.jpg',
      '2023/2023-08-12/PXL_lisbon.jpg.supplemental-metadata.json',
    ]);
  });
});

describe('a Takeout JSON that is no help', () => {
  it.each([
    ['null', 'null'],
    ['a list', '[1,2]'],
    ['an absurd time stamp', '{"photoTakenTime":{"timestamp":"99999999999999999"}}'],
    ['a time stamp beyond any date', '{"photoTakenTime":{"timestamp":1e300}}'],
    ['a time stamp in the future', `{"photoTakenTime":{"timestamp":"${4102444800}"}}`],
    ['a null photoTakenTime and geoData', '{"photoTakenTime":null,"geoData":null}'],
  ])('holding %s does not block its photo: it is filed with its JSON', async (_what, text) => {
    const { inbox, config } = await setup();
    await writeJpeg(join(inbox, 'PXL_x.jpg'), { seed: 9 });
    await writeFile(join(inbox, 'PXL_x.jpg.json'), text);
    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    expect(lines.find((line) => line.source.endsWith('.jpg'))).toMatchObject({
      action: 'unsorted',
      error: null,
    });
    expect(await listFiles(config.library)).toEqual([
      'Unsorted/PXL_x.jpg',
      'Unsorted/PXL_x.jpg.json',
    ]);
    expect(await listFiles(inbox)).toEqual([]);
  });
});

describe('groups in the daemon', () => {
  it('files a HEIC and the MOV arriving a second later together, and a later sidecar beside them', async () => {
    const { dir, inbox, config } = await setup();
    const daemon = await launchDaemon(config, silentLogger());
    running.push(daemon);
    await livePhoto(join(dir, 'phone'), 'IMG_0100');
    await copyFile(join(dir, 'phone', 'IMG_0100.HEIC'), join(inbox, 'IMG_0100.HEIC'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await copyFile(join(dir, 'phone', 'IMG_0100.MOV'), join(inbox, 'IMG_0100.MOV'));
    await waitFor(async () => (await listFiles(config.library)).length === 2, {
      what: 'the Live Photo to be filed',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0100.HEIC',
      '2019/2019-07-24/IMG_0100.MOV',
    ]);

    exiftoolCli(['-q', '-o', join(inbox, 'IMG_0100.xmp'), join(dir, 'phone', 'IMG_0100.HEIC')]);
    await waitFor(async () => (await listFiles(inbox)).length === 0, {
      what: 'the late sidecar to leave the inbox',
    });
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0100.HEIC',
      '2019/2019-07-24/IMG_0100.MOV',
      '2019/2019-07-24/IMG_0100.xmp',
    ]);
  });
});

describe('member names', () => {
  it('sanitises what a member keeps of its inbox name (control and bidi characters)', () => {
    const primary = { source: '/in/victim.jpg', root: '/in', size: 1, mtimeMs: 0 };
    const member = { source: '/in/victim.jpg\n\u202egpj.xmp', root: '/in', size: 1, mtimeMs: 0 };
    const target = memberTarget(primary, member, '/lib/2024/victim.jpg');
    expect(target.startsWith('/lib/2024/victim.jpg')).toBe(true);
    expect(target).not.toMatch(/[\n\u202e]/);
  });
});

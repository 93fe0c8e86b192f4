import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import type { FileJob } from '../src/pipeline/job.js';
import { groupJobs } from '../src/pipeline/groups/grouping.js';
import { pairLivePhotos } from '../src/pipeline/live-photo.js';
import { Journal } from '../src/journal/journal.js';
import { undo } from '../src/journal/undo.js';
import { silentLogger } from '../src/lib/logger.js';
import {
  exiftoolCli,
  livePhotoHalves,
  scanJson,
  setContentIdentifier,
  undoLast,
} from './support/companions.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles, snapshot, waitFor } from './support/fs.js';

/*
 * Live Photos whose still and video have different names, paired only by Apple's
 * ContentIdentifier. The still is a real iPhone XR JPEG (Apple maker notes), the video a
 * real iPhone MOV; exiftool writes the identifier where an iPhone does.
 */

const FIXTURES = join(import.meta.dirname, 'fixtures');
// Videos without a position are dated in the machine's zone; pin it so the test means the same anywhere.
process.env.TZ = 'UTC';
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

async function setup(): Promise<{ dir: string; inbox: string; config: Config }> {
  const { dir, inbox, loaded } = await projectConfig(
    { settle: 300, dates: { from: ['exif'] } },
    'photosortd-live-',
  );
  return { dir, inbox, config: loaded };
}

/**
 * A Live Photo's halves (see livePhotoHalves) named as a sync tool may leave them, the still
 * an iPhone XR JPEG, both carrying the identifier `id`.
 */
const liveHalves = (
  folder: string,
  still: string,
  video: string,
  id = 'B2E5C1F0-7A43-4F0E-9C21-6D1E2A3B4C5D',
) => livePhotoHalves(folder, still, video, { still: 'dn_Issue 508.jpg', contentId: id });

async function folders(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('pairing a folder’s halves before filing (scan)', () => {
  const job = (name: string): FileJob => ({
    source: `/in/${name}`,
    root: '/in',
    size: 1,
    mtimeMs: 0,
  });
  const recording = (ids: Record<string, string>) => {
    const asked: string[][] = [];
    const read = async (paths: string[]) => {
      asked.push(paths.map((path) => path.slice(4)));
      return new Map(paths.flatMap((path) => (ids[path] ? [[path, ids[path]] as const] : [])));
    };
    return { asked, read };
  };

  it('joins a lone video to the still with its identifier, one video per still', async () => {
    const groups = groupJobs(['IMG_1.HEIC', 'clip.MOV', 'IMG_2.HEIC', 'other.MOV'].map(job));
    const ids = recording({ '/in/IMG_1.HEIC': 'A', '/in/clip.MOV': 'A', '/in/other.MOV': 'B' });
    const paired = await pairLivePhotos(groups, ids.read);
    expect(paired.map((g) => [g.source, (g.companions ?? []).map((m) => m.source)])).toEqual([
      ['/in/IMG_1.HEIC', ['/in/clip.MOV']],
      ['/in/IMG_2.HEIC', []],
      ['/in/other.MOV', []],
    ]);
  });

  it('reads only the videos of a camera folder whose clips carry no identifier', async () => {
    const names = ['IMG_1.JPG', 'IMG_2.JPG', 'IMG_3.JPG', 'MVI_4.MP4'];
    const ids = recording({});
    const groups = groupJobs(names.map(job));
    expect(await pairLivePhotos(groups, ids.read)).toEqual(groups);
    expect(ids.asked).toEqual([['MVI_4.MP4']]);
    // Same-named pairs and folders without a lone video are not read at all.
    const none = recording({});
    await pairLivePhotos(groupJobs(['IMG_1.HEIC', 'IMG_1.MOV', 'IMG_2.JPG'].map(job)), none.read);
    expect(none.asked).toEqual([]);
  });
});

describe('Live Photos paired by ContentIdentifier', () => {
  it('reads the identifier from both halves', async () => {
    const { dir } = await setup();
    const { still, video } = await liveHalves(join(dir, 'src'), 'IMG_2001.JPG', 'clip.MOV', 'ID-1');
    for (const file of [still, video]) {
      expect(exiftoolCli(['-s3', '-ContentIdentifier', file]).trim()).toBe('ID-1');
    }
  });

  it('files two differently named halves in one scan beside each other, on the still’s day', async () => {
    const { dir, inbox, config } = await setup();
    const pair = await liveHalves(join(dir, 'pair'), 'IMG_2002.JPG', 'IMG_2002 (1).MOV');
    // On its own the video is shown in this machine's zone (UTC here): the 23rd.
    await mkdir(join(dir, 'alone'));
    await copyFile(pair.video, join(dir, 'alone', 'IMG_2002 (1).MOV'));
    const alone = await scanJson(config, [join(dir, 'alone')], true);
    expect(alone.lines.find((line) => line.source.endsWith('.MOV'))?.target).toBe(
      join(config.library, '2019', '2019-07-23', 'IMG_2002 (1).MOV'),
    );

    await liveHalves(inbox, 'IMG_2002.JPG', 'IMG_2002 (1).MOV');
    const before = await snapshot(inbox);
    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    // Scan sees both at once and pairs them before filing: the video moves once.
    expect(lines.map((line) => [line.source, line.action])).toEqual([
      [join(inbox, 'IMG_2002.JPG'), 'move'],
      [join(inbox, 'IMG_2002 (1).MOV'), 'move'],
    ]);
    // The video takes the still's name, as photo apps pair them, whichever was filed first.
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_2002.JPG',
      '2019/2019-07-24/IMG_2002.MOV',
    ]);
    expect(await folders(config.library)).toEqual(['2019', '2019/2019-07-24']);

    const journal = Journal.open(config.state);
    try {
      const result = await undo(journal, { all: true }, { library: config.library });
      expect(result.refused).toEqual([]);
    } finally {
      journal.close();
    }
    expect(await snapshot(inbox)).toEqual(before);
    expect(await listFiles(config.library)).toEqual([]);
  });

  it.skipIf(!HAS_CORPUS)('pairs a real iPhone HEIC with a renamed real iPhone MOV', async () => {
    const { inbox, config } = await setup();
    // iPhone 8, 2018-02-05 15:11:44 in Guangzhou (no offset tag: the zone comes from GPS).
    const heic = join(inbox, 'IMG_1034.HEIC');
    const mov = join(inbox, 'IMG_1034 (1).MOV');
    await copyFile(join(CORPUS_DEV, 'dn_IMG_1034.heic'), heic);
    await copyFile(join(FIXTURES, 'dn_with-gps.mov'), mov);
    // The video as the same iPhone wrote it: 1.5 s earlier in UTC, at the same place.
    exiftoolCli([
      '-q',
      '-overwrite_original',
      '-QuickTime:CreateDate=2018:02:05 07:11:42',
      '-Keys:GPSCoordinates=23.1779 113.3943',
      mov,
    ]);
    await setContentIdentifier(heic, '6F1B8C2E-0D5A-4C1B-8E7F-2A9D3B4C5E6F');
    await setContentIdentifier(mov, '6F1B8C2E-0D5A-4C1B-8E7F-2A9D3B4C5E6F');
    const before = await snapshot(inbox);
    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    expect(await listFiles(config.library)).toEqual([
      '2018/2018-02-05/IMG_1034.HEIC',
      '2018/2018-02-05/IMG_1034.MOV',
    ]);
    // One group to undo.
    await undoLast(config);
    expect(await snapshot(inbox)).toEqual(before);
  });

  it('lets the identifier decide for same-named halves: different ones part, equal ones stay', async () => {
    const { dir, inbox, config } = await setup();
    await liveHalves(join(dir, 'a'), 'IMG_4001.JPG', 'IMG_4001.MOV', 'ID-STILL');
    await setContentIdentifier(join(dir, 'a', 'IMG_4001.MOV'), 'ID-OTHER');
    await liveHalves(join(dir, 'b'), 'IMG_4002.JPG', 'IMG_4002.MOV', 'ID-SAME');
    // Same identifier, but the video's clock says another day: the identifier wins.
    exiftoolCli([
      '-q',
      '-overwrite_original',
      '-QuickTime:CreateDate=2019:07:20 10:00:00',
      join(dir, 'b', 'IMG_4002.MOV'),
    ]);
    for (const name of ['IMG_4001.JPG', 'IMG_4001.MOV'])
      await copyFile(join(dir, 'a', name), join(inbox, name));
    for (const name of ['IMG_4002.JPG', 'IMG_4002.MOV'])
      await copyFile(join(dir, 'b', name), join(inbox, name));
    await scanJson(config, [inbox]);
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-23/IMG_4001.MOV',
      '2019/2019-07-24/IMG_4001.JPG',
      '2019/2019-07-24/IMG_4002.JPG',
      '2019/2019-07-24/IMG_4002.MOV',
    ]);
  });

  it('sends a video arriving after its still beside it, under the still’s name, in its group', async () => {
    const { dir, inbox, config } = await setup();
    const pair = await liveHalves(join(dir, 'phone'), 'IMG_2003.JPG', 'FullSizeRender.mov');
    await copyFile(pair.still, join(inbox, 'IMG_2003.JPG'));
    expect((await scanJson(config, [inbox])).code).toBe(0);

    await copyFile(pair.video, join(inbox, 'FullSizeRender.mov'));
    const late = await scanJson(config, [inbox]);
    expect(late.lines).toEqual([
      expect.objectContaining({
        action: 'move',
        target: join(config.library, '2019', '2019-07-24', 'IMG_2003.mov'),
      }),
    ]);
    // One group: undo of the last group puts both back.
    expect((await undoLast(config)).undone.length).toBe(2);
    expect(await listFiles(inbox)).toEqual(['FullSizeRender.mov', 'IMG_2003.JPG']);
    expect(await listFiles(config.library)).toEqual([]);
  });

  it('brings a video filed before its still over to the still, and undo puts both back as one', async () => {
    const { dir, inbox, config } = await setup();
    const pair = await liveHalves(join(dir, 'phone'), 'IMG_2004.JPG', 'IMG_2004_live.mov');
    await copyFile(pair.video, join(inbox, 'IMG_2004_live.mov'));
    await scanJson(config, [inbox]);
    expect(await listFiles(config.library)).toEqual(['2019/2019-07-23/IMG_2004_live.mov']);

    await copyFile(pair.still, join(inbox, 'IMG_2004.JPG'));
    const { lines } = await scanJson(config, [inbox]);
    const videoLine = lines.find((line) => line.source.endsWith('.mov'));
    expect(videoLine).toMatchObject({
      source: join(config.library, '2019', '2019-07-23', 'IMG_2004_live.mov'),
      target: join(config.library, '2019', '2019-07-24', 'IMG_2004.mov'),
      action: 'move',
      takenAt: '2019-07-24T01:30:00+03:00',
    });
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_2004.JPG',
      '2019/2019-07-24/IMG_2004.mov',
    ]);
    // The folder the video left is not left behind empty.
    expect(await folders(config.library)).toEqual(['2019', '2019/2019-07-24']);

    // One group now: undo of the last group walks the video back through both moves.
    expect((await undoLast(config)).undone.length).toBe(3);
    expect(await snapshot(inbox)).toEqual(await snapshot(join(dir, 'phone')));
    expect(await folders(config.library)).toEqual([]);
  });

  it('leaves the video with the first still when an edited still with the same identifier comes later', async () => {
    const { dir, inbox, config } = await setup();
    await liveHalves(inbox, 'IMG_2005.JPG', 'clip-2005.MOV');
    await scanJson(config, [inbox]);
    await liveHalves(join(dir, 'edit'), 'IMG_E2005.JPG', 'unused.MOV');
    exiftoolCli([
      '-q',
      '-m',
      '-overwrite_original',
      '-DateTimeOriginal=2019:08:01 09:00:00',
      join(dir, 'edit', 'IMG_E2005.JPG'),
    ]);
    await copyFile(join(dir, 'edit', 'IMG_E2005.JPG'), join(inbox, 'IMG_E2005.JPG'));
    await scanJson(config, [inbox]);
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_2005.JPG',
      '2019/2019-07-24/IMG_2005.MOV',
      '2019/2019-08-01/IMG_E2005.JPG',
    ]);
  });

  it('does not send a video to a still that undo took back', async () => {
    const { dir, inbox, config } = await setup();
    const pair = await liveHalves(join(dir, 'phone'), 'IMG_2006.JPG', 'clip-2006.MOV');
    await copyFile(pair.still, join(inbox, 'IMG_2006.JPG'));
    await scanJson(config, [inbox]);
    expect((await undoLast(config)).undone.length).toBe(1);

    await mkdir(join(dir, 'later'));
    await copyFile(pair.video, join(dir, 'later', 'clip-2006.MOV'));
    await scanJson(config, [join(dir, 'later')]);
    expect(await listFiles(config.library)).toEqual(['2019/2019-07-23/clip-2006.MOV']);
  });

  it('files halves dropped into a running daemon a moment apart, in either order, together', async () => {
    const { dir, inbox, config } = await setup();
    const daemon = await launchDaemon(config, silentLogger());
    running.push(daemon);
    const first = await liveHalves(join(dir, 'a'), 'IMG_3001.JPG', 'IMG_3001 (1).MOV', 'ID-A');
    const second = await liveHalves(join(dir, 'b'), 'IMG_3002.JPG', 'Live_3002.MOV', 'ID-B');
    await copyFile(first.still, join(inbox, 'IMG_3001.JPG'));
    await copyFile(second.video, join(inbox, 'Live_3002.MOV'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await copyFile(first.video, join(inbox, 'IMG_3001 (1).MOV'));
    await copyFile(second.still, join(inbox, 'IMG_3002.JPG'));
    await waitFor(async () => (await listFiles(inbox)).length === 0, {
      what: 'both Live Photos to leave the inbox',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_3001.JPG',
      '2019/2019-07-24/IMG_3001.MOV',
      '2019/2019-07-24/IMG_3002.JPG',
      '2019/2019-07-24/IMG_3002.MOV',
    ]);
    expect(await folders(config.library)).toEqual(['2019', '2019/2019-07-24']);
  });
});

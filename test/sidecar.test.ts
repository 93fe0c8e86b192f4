import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { Journal } from '../src/journal/journal.js';
import { undo } from '../src/journal/undo.js';
import {
  companionStem,
  isTruncatedTakeoutOf,
  memberName,
  primaryRank,
} from '../src/lib/sidecars.js';
import { createGatherer } from '../src/daemon/gatherer.js';
import { groupJobs } from '../src/pipeline/groups/grouping.js';
import { takenTogether } from '../src/pipeline/live-photo.js';
import { exiftoolCli, scanJson } from './support/companions.js';
import { listFiles, sha256 } from './support/fs.js';
import { projectConfig } from './support/daemon-project.js';
import { writeJpeg } from './support/media.js';
import { captureDate, fileJob } from './support/records.js';

async function setup(): Promise<{ dir: string; inbox: string; config: Config }> {
  const { dir, inbox, loaded } = await projectConfig(
    { dates: { from: ['exif'] } },
    'photosortd-sidecar-',
  );
  return { dir, inbox, config: loaded };
}

describe('sidecar names', () => {
  it('gives a file and each style of its sidecars one stem', () => {
    for (const name of [
      'IMG_1.JPG',
      'IMG_1.CR2',
      'IMG_1.xmp',
      'img_1.jpg.xmp',
      'IMG_1.AAE',
      'IMG_1.THM',
      'IMG_1.jpg.json',
      'IMG_1.jpg.supplemental-metadata.json',
      'IMG_1.jpg.supplemental-meta.json',
    ]) {
      expect(companionStem(name), name).toBe('img_1');
    }
    // Takeout's JSON of the second `IMG_1.jpg` of an album, `IMG_1(1).jpg`.
    expect(companionStem('IMG_1.jpg(1).json')).toBe(companionStem('IMG_1(1).jpg'));
    // A dot inside a name is not an extension to strip.
    expect(companionStem('holiday.2024.xmp')).toBe(companionStem('holiday.2024.jpg'));
  });

  it('recognises a Takeout JSON whose name was cut at 51 characters', () => {
    const media = 'PXL_20230812_101010123.PORTRAIT.ORIGINAL-EDITED.jpg';
    const json = `${media.slice(0, 46)}.json`;
    expect(isTruncatedTakeoutOf(json, media)).toBe(true);
    expect(isTruncatedTakeoutOf(json, 'PXL_20230812_999.jpg')).toBe(false);
    expect(isTruncatedTakeoutOf('IMG_1.json', 'IMG_10.jpg')).toBe(false);
  });

  it('renames a sidecar with its file, in either naming style', () => {
    expect(memberName('IMG_1.jpg', 'IMG_1 (1).jpg', 'IMG_1.jpg.xmp')).toBe('IMG_1 (1).jpg.xmp');
    expect(memberName('IMG_1.jpg', 'IMG_1 (1).jpg', 'IMG_1.xmp')).toBe('IMG_1 (1).xmp');
    expect(memberName('IMG_1.JPG', '2024-06-12 IMG_1.JPG', 'img_1.CR2')).toBe(
      '2024-06-12 IMG_1.CR2',
    );
    expect(memberName('IMG_1(1).jpg', 'IMG_1(1).jpg', 'IMG_1.jpg(1).json')).toBe(
      'IMG_1(1).jpg.json',
    );
  });

  it('tells a Live Photo’s halves by their moments, whichever zones are known', () => {
    const at = (hour: number, minute: number, second: number, offsetMinutes: number | null) =>
      captureDate({ year: 2019, month: 7, day: 24, hour, minute, second, offsetMinutes });
    // 01:30:00 at +03:00 is 22:30 UTC the day before.
    const video = { ...at(22, 29, 58, 0), day: 23 };
    expect(takenTogether(at(1, 30, 0, 180), video)).toBe(true);
    expect(takenTogether(at(1, 30, 30, 180), video)).toBe(false);
    // A still without a zone could be in +03:00: together, unless no zone on Earth fits.
    expect(takenTogether(at(1, 30, 0, null), video)).toBe(true);
    expect(takenTogether({ ...at(1, 30, 0, null), day: 25 }, video)).toBe(false);
    // Neither zone known: the clocks are compared as they are.
    expect(takenTogether(at(1, 30, 0, null), at(1, 30, 5, null))).toBe(true);
    expect(takenTogether(at(1, 30, 0, null), at(2, 30, 0, null))).toBe(false);
  });

  it('names a Live Photo video paired by ContentIdentifier after its still, with its own extension', () => {
    expect(memberName('IMG_1.HEIC', 'IMG_1 (1).HEIC', 'IMG_1 (1).MOV')).toBe('IMG_1 (1).MOV');
    expect(memberName('IMG_1.HEIC', '2024-06-12 IMG_1.HEIC', 'FullSizeRender.mov')).toBe(
      '2024-06-12 IMG_1.mov',
    );
  });

  it('makes the still photo the primary: JPEG/HEIC over RAW over video over sidecars', () => {
    const job = (name: string) => fileJob(`/in/${name}`);
    const groups = groupJobs(
      ['IMG_1.MOV', 'IMG_1.xmp', 'IMG_1.CR2', 'IMG_1.HEIC', 'IMG_2.MOV', 'IMG_3.xmp'].map(job),
    );
    expect(groups.map((g) => [g.source, ...(g.companions ?? []).map((m) => m.source)])).toEqual([
      ['/in/IMG_1.HEIC', '/in/IMG_1.CR2', '/in/IMG_1.MOV', '/in/IMG_1.xmp'],
      ['/in/IMG_2.MOV'],
      ['/in/IMG_3.xmp'],
    ]);
    expect(primaryRank('a.heic')).toBeLessThan(primaryRank('a.dng'));
    // Two RAWs of one name are two photos; the sidecar joins the first.
    const raws = groupJobs(['X.CRW', 'X.CR3', 'X.xmp'].map(job));
    expect(raws.map((g) => [g.source, ...(g.companions ?? []).map((m) => m.source)])).toEqual([
      ['/in/X.CR3', '/in/X.xmp'],
      ['/in/X.CRW'],
    ]);
  });
});

describe('the gatherer', () => {
  it('holds a group until its members stop arriving, and a lone sidecar longer', async () => {
    const submitted: { paths: string[]; at: number }[] = [];
    const started = Date.now();
    const gatherer = createGatherer({
      windowMs: 150,
      orphanWaitMs: 400,
      fileFiled: (path) => path.endsWith('filed.xmp'),
      submit: async (paths) => {
        submitted.push({ paths: [...paths].sort(), at: Date.now() - started });
      },
    });
    gatherer.add('/in/IMG_1.HEIC', '/in');
    gatherer.add('/in/lonely.xmp', '/in');
    gatherer.add('/in/filed.xmp', '/in');
    await new Promise((resolve) => setTimeout(resolve, 100));
    gatherer.add('/in/IMG_1.MOV', '/in');
    expect(gatherer.size).toBe(4);
    await gatherer.idle();

    const byFirst = new Map(submitted.map((s) => [s.paths[0], s]));
    expect(byFirst.get('/in/IMG_1.HEIC')?.paths).toEqual(['/in/IMG_1.HEIC', '/in/IMG_1.MOV']);
    // Handed on a window after the MOV, not after the HEIC.
    expect(byFirst.get('/in/IMG_1.HEIC')?.at).toBeGreaterThanOrEqual(240);
    // A sidecar whose file was filed goes after one window, ahead of the group that waited longer.
    expect(submitted[0]?.paths).toEqual(['/in/filed.xmp']);
    expect(byFirst.get('/in/lonely.xmp')?.at).toBeGreaterThanOrEqual(540);
    expect(submitted).toHaveLength(3);
  });
});

describe('sidecars in a scan', () => {
  it('move with their file in both naming styles, renamed with its collision suffix', async () => {
    const { inbox, config } = await setup();
    const folder = join(config.library, '2024', '2024-06-12');
    // Different photos already hold the names, so the new ones get ` (1)`.
    await writeJpeg(join(folder, 'IMG_1.jpg'), { date: '2024:06:12 08:00:00', seed: 90 });
    await writeJpeg(join(folder, 'IMG_2.jpg'), { date: '2024:06:12 08:00:00', seed: 91 });
    await writeJpeg(join(inbox, 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 1 });
    await writeJpeg(join(inbox, 'IMG_2.jpg'), { date: '2024:06:12 18:31:00', seed: 2 });
    exiftoolCli(['-q', '-o', join(inbox, 'IMG_1.jpg.xmp'), join(inbox, 'IMG_1.jpg')]);
    exiftoolCli(['-q', '-o', join(inbox, 'IMG_2.xmp'), join(inbox, 'IMG_2.jpg')]);
    await writeFile(join(inbox, 'IMG_2.AAE'), '<?xml version="1.0"?><plist></plist>\n');
    const xmp1 = await sha256(join(inbox, 'IMG_1.jpg.xmp'));
    const xmp2 = await sha256(join(inbox, 'IMG_2.xmp'));

    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    expect(await listFiles(inbox)).toEqual([]);
    expect(await listFiles(config.library)).toEqual([
      '2024/2024-06-12/IMG_1 (1).jpg',
      '2024/2024-06-12/IMG_1 (1).jpg.xmp',
      '2024/2024-06-12/IMG_1.jpg',
      '2024/2024-06-12/IMG_2 (1).AAE',
      '2024/2024-06-12/IMG_2 (1).jpg',
      '2024/2024-06-12/IMG_2 (1).xmp',
      '2024/2024-06-12/IMG_2.jpg',
    ]);
    expect(await sha256(join(folder, 'IMG_1 (1).jpg.xmp'))).toBe(xmp1);
    expect(await sha256(join(folder, 'IMG_2 (1).xmp'))).toBe(xmp2);
    // Every member is reported, with where it went and the date of its photo.
    const xmpLine = lines.find((line) => line.source === join(inbox, 'IMG_2.xmp'));
    expect(xmpLine).toMatchObject({
      action: 'move',
      target: join(folder, 'IMG_2 (1).xmp'),
      takenAt: '2024-06-12T18:31:00',
    });
  });

  it('sends a sidecar dropped after its file to where the file went; undo takes both back', async () => {
    const { inbox, config } = await setup();
    const photo = await writeJpeg(join(inbox, 'trip', 'IMG_3.jpg'), {
      date: '2023:03:04 05:06:07',
      seed: 3,
    });
    await scanJson(config, [inbox]);
    expect(await listFiles(config.library)).toEqual(['2023/2023-03-04/IMG_3.jpg']);

    // The sidecar comes later (a sync tool, an editor), beside where the photo was.
    const filed = join(config.library, '2023', '2023-03-04', 'IMG_3.jpg');
    exiftoolCli(['-q', '-o', join(inbox, 'trip', 'IMG_3.jpg.xmp'), filed]);
    const { lines } = await scanJson(config, [inbox]);
    expect(lines).toEqual([
      expect.objectContaining({
        action: 'move',
        target: join(config.library, '2023', '2023-03-04', 'IMG_3.jpg.xmp'),
      }),
    ]);

    const journal = Journal.open(config.state);
    try {
      const [sidecarRow, photoRow] = journal.recent(2);
      expect(sidecarRow?.group).toBeTruthy();
      expect(sidecarRow?.group).toBe(photoRow?.group);
      // One group is one step back, even though its rows are in two batches.
      const result = await undo(journal, { last: 1 }, { library: config.library });
      expect(result.undone).toHaveLength(2);
    } finally {
      journal.close();
    }
    expect(await listFiles(inbox)).toEqual(['trip/IMG_3.jpg', 'trip/IMG_3.jpg.xmp']);
    expect(await readFile(join(inbox, 'trip', 'IMG_3.jpg'))).toEqual(photo);
  });

  it('files a sidecar whose file never came to unsorted', async () => {
    const { dir, inbox, config } = await setup();
    await copyFile(join(import.meta.dirname, 'fixtures', 'et_MWG.jpg'), join(dir, 'MWG.jpg'));
    exiftoolCli(['-q', '-o', join(inbox, 'lonely.xmp'), join(dir, 'MWG.jpg')]);
    const { lines } = await scanJson(config, [inbox]);
    expect(lines).toEqual([
      expect.objectContaining({
        action: 'unsorted',
        target: join(config.library, 'Unsorted', 'lonely.xmp'),
        reason: 'lonely.xmp is a sidecar whose file never arrived',
      }),
    ]);
  });
});

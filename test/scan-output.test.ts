import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../src/cli/scan.js';
import { filesTable } from '../src/cli/scan-table.js';
import { silentLogger } from '../src/lib/logger.js';
import { capturedStream } from './support/captured.js';
import { runCli } from './support/cli.js';
import { listFiles, snapshot } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

describe('scan without --json', () => {
  it('--dry-run prints what would go where, one row per file, and moves nothing', async () => {
    const p = await projectConfig({ dates: { from: ['exif'] } }, 'photosortd-scan-table-');
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2021:05:06 07:08:09', seed: 1 });
    await writeJpeg(join(p.inbox, 'undated.jpg'), { seed: 2 });
    const before = await snapshot(p.inbox);
    const result = await runCli(['scan', p.inbox, '--dry-run', '--config', p.config]);
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows[0]).toEqual(['FILE', 'TARGET', 'DATE', 'DATE SOURCE', 'PLACE', 'REASON']);
    expect(rows[1]).toEqual([
      'IMG_1.jpg',
      '2021/2021-05-06/IMG_1.jpg',
      '2021-05-06 07:08',
      'ExifIFD:DateTimeOriginal',
      '',
      '',
    ]);
    expect(rows[2]?.slice(0, 2)).toEqual(['undated.jpg', 'Unsorted/undated.jpg']);
    expect(rows[2]?.[5]).not.toBe('');
    expect(result.stderr).toContain('would move');
    expect(await snapshot(p.inbox)).toEqual(before);
    expect(await listFiles(p.library)).toEqual([]);
  });

  it('says a duplicate stays where it is, not "in the inbox", when scanning any folder', async () => {
    const p = await projectConfig({}, 'photosortd-scan-dup-');
    await writeJpeg(join(p.inbox, 'IMG_2.jpg'), { date: '2021:05:06 07:08:09', seed: 3 });
    expect((await runCli(['scan', p.inbox, '--config', p.config])).code).toBe(0);
    const elsewhere = join(p.dir, 'Downloads');
    await mkdir(elsewhere);
    await copyFile(
      join(p.library, '2021', '2021-05-06', 'IMG_2.jpg'),
      join(elsewhere, 'IMG_2.jpg'),
    );
    const result = await runCli(['scan', elsewhere, '--dry-run', '--config', p.config]);
    const row = result.stdout.trim().split('\n')[1]?.split('\t');
    expect(row?.slice(0, 2)).toEqual(['IMG_2.jpg', '(stays)']);
    expect(row?.[5]).toContain('left where it is (duplicates: skip)');
    expect(result.stdout).not.toContain('inbox');
  });

  it('lines the columns up on a terminal and keeps a file name with a newline on one row', () => {
    const text = filesTable(
      [
        {
          source: '/in/a\nb.jpg',
          target: '/lib/2020/a\nb.jpg',
          action: 'move',
          takenAt: '2020-01-02T03:04:05',
          dateSource: 'exif',
          place: { city: 'Lisbon', region: null, country: 'Portugal', countryCode: 'PT' },
          error: null,
          reason: null,
        },
        {
          source: '/in/long-name.jpg',
          target: null,
          action: 'error',
          takenAt: null,
          dateSource: null,
          place: null,
          error: 'unreadable',
          reason: null,
        },
      ],
      { library: '/lib', roots: ['/in'], aligned: true, dryRun: true },
    );
    expect(text.split('\n')).toEqual([
      'FILE           TARGET         DATE              DATE SOURCE  PLACE       REASON',
      'a\\nb.jpg       2020/a\\nb.jpg  2020-01-02 03:04  exif         Lisbon, PT',
      'long-name.jpg  (would fail)                                              unreadable',
      '',
    ]);
  });

  it('starts the progress bar at the first file, not full at 0/0', async () => {
    const p = await projectConfig({}, 'photosortd-scan-bar-');
    await writeJpeg(join(p.inbox, 'IMG_3.jpg'), { date: '2021:05:06 07:08:09', seed: 4 });
    const err = capturedStream();
    Object.assign(err.stream, { isTTY: true, columns: 80 });
    const out = capturedStream();
    const code = await scan({
      config: p.loaded,
      dirs: [p.inbox],
      dryRun: true,
      json: false,
      logger: silentLogger(),
      out: out.stream,
      err: err.stream,
    });
    expect(code).toBe(0);
    expect(err.text()).not.toContain('0/0');
    expect(err.text()).toContain('1/1 files');
  });
});

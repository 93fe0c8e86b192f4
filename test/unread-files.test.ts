import { createHash } from 'node:crypto';
import {
  copyFile,
  link,
  mkdtemp,
  readFile,
  rename,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { Journal } from '../src/journal/journal.js';
import { HASH_ON_SIGHT_BELOW } from '../src/pipeline/content-hash.js';
import { scanJson, undoLast } from './support/companions.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles } from './support/fs.js';
import { writeLargeJpeg } from './support/media.js';

/*
 * Photos of 1 MiB and more are filed by hard link without being read, unless something
 * needs their content (see src/pipeline/content-hash.ts). These tests play that path with
 * real files, exiftool and the journal on disk: what is filed where, what is found a
 * duplicate, and what undo puts back or refuses.
 */

async function setup(): Promise<{ inbox: string; config: Config }> {
  const { inbox, loaded } = await projectConfig({}, 'photosortd-unread-');
  return { inbox, config: loaded };
}

function journalRows(config: Config) {
  const journal = Journal.open(config.state);
  try {
    return journal.recent(100);
  } finally {
    journal.close();
  }
}

const DATE = '2023:07:14 10:00:00';

/** SHA-256 of a file's bytes: vitest compares megabyte buffers element by element, slowly. */
async function digestOf(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a photo too large to hash on sight', () => {
  it('is filed by hard link without a hash, and undo puts its bytes back', async () => {
    const { inbox, config } = await setup();
    const source = join(inbox, 'IMG_0001.jpg');
    const bytes = await writeLargeJpeg(source, { date: DATE, seed: 1 });
    expect(bytes.length).toBeGreaterThanOrEqual(HASH_ON_SIGHT_BELOW);
    const inode = (await stat(source)).ino;

    const { code, lines } = await scanJson(config, [inbox]);

    const target = join(config.library, '2023', '2023-07-14', 'IMG_0001.jpg');
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ action: 'move', target })]);
    expect((await stat(target)).ino).toBe(inode);
    const [row] = journalRows(config);
    expect(row).toMatchObject({ op: 'move', status: 'done', hash: null, target });
    expect(row?.details).toMatchObject({ unread: { ino: String(inode) } });

    const result = await undoLast(config);
    expect(result.refused).toEqual([]);
    expect(await digestOf(source)).toBe(digest(bytes));
    expect(await listFiles(config.library)).toEqual([]);
  });

  it('is found a duplicate of its twin in the same drop and of a copy put in the library by hand', async () => {
    const { inbox, config } = await setup();
    const first = await writeLargeJpeg(join(inbox, 'IMG_0001.jpg'), { date: DATE, seed: 1 });
    await writeFile(join(inbox, 'IMG_0001 copy.jpg'), first);
    const byHand = join(config.library, 'old', 'kept.jpg');
    const second = await writeLargeJpeg(byHand, { date: DATE, seed: 2 });
    await writeFile(join(inbox, 'IMG_0002.jpg'), second);

    const { lines } = await scanJson(config, [inbox]);

    const bySource = Object.fromEntries(lines.map((line) => [line.source, line]));
    const twins = [
      bySource[join(inbox, 'IMG_0001.jpg')],
      bySource[join(inbox, 'IMG_0001 copy.jpg')],
    ];
    // Which of the twins is filed depends on the walk; the other is its duplicate.
    expect(twins.map((line) => line?.action).sort()).toEqual(['duplicate', 'move']);
    expect(twins.find((line) => line?.action === 'duplicate')?.duplicateOf).toBe(
      twins.find((line) => line?.action === 'move')?.target,
    );
    expect(bySource[join(inbox, 'IMG_0002.jpg')]).toMatchObject({
      action: 'duplicate',
      duplicateOf: byHand,
    });
    const filed = twins.find((line) => line?.action === 'move')?.target;
    expect(await digestOf(filed as string)).toBe(digest(first));
  });

  it('is not read for being the size of a different library file (as uncompressed RAW files are)', async () => {
    const { inbox, config } = await setup();
    // Same size, different bytes: only the ends tell them apart, and they do.
    const other = await writeLargeJpeg(join(config.library, 'old', 'other.jpg'), {
      date: DATE,
      seed: 5,
    });
    const mine = await writeLargeJpeg(join(inbox, 'IMG_0001.jpg'), { date: DATE, seed: 6 });
    expect(mine.length).toBe(other.length);

    const { lines } = await scanJson(config, [inbox]);

    expect(lines).toEqual([expect.objectContaining({ action: 'move' })]);
    const [row] = journalRows(config);
    expect(row?.hash).toBeNull();
  });

  it('is not taken back by undo once replaced, even with its size and mtime put back', async () => {
    const { inbox, config } = await setup();
    const source = join(inbox, 'IMG_0001.jpg');
    await writeLargeJpeg(source, { date: DATE, seed: 1 });
    await scanJson(config, [inbox]);
    const target = join(config.library, '2023', '2023-07-14', 'IMG_0001.jpg');
    const { mtime, atime } = await stat(target);
    // What an editor saving in place does: new bytes in a new file renamed over the old.
    const edited = await writeLargeJpeg(join(config.library, 'edit.tmp'), {
      date: DATE,
      seed: 9,
    });
    await utimes(join(config.library, 'edit.tmp'), atime, mtime);
    await rename(join(config.library, 'edit.tmp'), target);

    const result = await undoLast(config);

    expect(result.undone).toEqual([]);
    expect(result.refused).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('changed since it was filed') }),
    ]);
    expect(await digestOf(target)).toBe(digest(edited));
    expect(await listFiles(inbox)).toEqual([]);
  });

  it('is read and verified when its inbox is on another filesystem than the library', async () => {
    const { inbox, config } = await setup();
    const shm = await mkdtemp(join('/dev/shm', 'photosortd-unread-'));
    const source = join(shm, 'IMG_0001.jpg');
    const bytes = await writeLargeJpeg(source, { date: DATE, seed: 3 });

    const { lines } = await scanJson(config, [shm]);

    const target = join(config.library, '2023', '2023-07-14', 'IMG_0001.jpg');
    expect(lines).toEqual([expect.objectContaining({ action: 'move', target })]);
    expect(await digestOf(target)).toBe(digest(bytes));
    const [row] = journalRows(config);
    expect(row?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await listFiles(inbox)).toEqual([]);
  });

  it('keeps the second of two hard links to one file in the inbox as itself, not as a duplicate', async () => {
    const { inbox, config } = await setup();
    const source = join(inbox, 'IMG_0001.jpg');
    await writeLargeJpeg(source, { date: DATE, seed: 1 });
    await scanJson(config, [inbox]);
    const target = join(config.library, '2023', '2023-07-14', 'IMG_0001.jpg');
    // The library file reached under an inbox name (a hard link back into the inbox).
    await link(target, join(inbox, 'again.jpg'));
    await copyFile(target, join(inbox, 'a copy.jpg'));

    const { lines } = await scanJson(config, [inbox]);

    const bySource = Object.fromEntries(lines.map((line) => [line.source, line]));
    expect(bySource[join(inbox, 'again.jpg')]).toMatchObject({ action: 'skip' });
    expect(bySource[join(inbox, 'a copy.jpg')]).toMatchObject({
      action: 'duplicate',
      duplicateOf: target,
    });
  });
});

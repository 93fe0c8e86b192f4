import { appendFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxWatcher } from '../src/daemon/watched-inbox.js';
import { watchInbox } from '../src/daemon/watcher.js';
import { silentLogger } from '../src/lib/logger.js';
import { tempDir, waitFor } from './support/fs.js';

/*
 * The inbox watcher on real folders (on Linux: inotify through fs.watch, fs-watcher.ts).
 * What the daemon sees: which paths are reported, when, and how often.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const open: InboxWatcher[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((watcher) => watcher.close()));
});

async function watched(settle = 300) {
  const dir = await tempDir('photosortd-watch-');
  const inbox = join(dir, 'inbox');
  await mkdir(inbox);
  const reports: { path: string; at: number }[] = [];
  const start = async () => {
    const watcher = watchInbox(
      { path: inbox, poll: false },
      {
        settle,
        onFile: (path) => reports.push({ path: path.slice(inbox.length + 1), at: Date.now() }),
        logger: silentLogger(),
      },
    );
    open.push(watcher);
    await watcher.ready;
    return watcher;
  };
  const names = () => reports.map((report) => report.path).sort();
  return { dir, inbox, reports, names, start };
}

describe('the inbox watcher', () => {
  it('reports what is there at start, then each new file once, after it stopped changing', async () => {
    const w = await watched();
    await mkdir(join(w.inbox, 'sub'));
    await writeFile(join(w.inbox, 'old.jpg'), 'a');
    await writeFile(join(w.inbox, 'sub', 'older.jpg'), 'b');
    await w.start();
    await waitFor(async () => w.reports.length === 2, { what: 'the files already there' });

    // Written in pieces 150 ms apart, less than `settle`: reported once, after the last.
    const slow = join(w.inbox, 'slow.jpg');
    await writeFile(slow, 'x');
    for (let i = 0; i < 5; i++) {
      await sleep(150);
      await appendFile(slow, 'x');
    }
    const lastWrite = Date.now();
    await waitFor(async () => w.names().includes('slow.jpg'), { what: 'slow.jpg' });
    await sleep(500);
    expect(w.names()).toEqual(['old.jpg', 'slow.jpg', 'sub/older.jpg']);
    expect(w.reports.find((r) => r.path === 'slow.jpg')!.at - lastWrite).toBeGreaterThanOrEqual(
      250,
    );
  });

  it('reports the files of a folder moved in whole, and of a folder made and filled', async () => {
    const w = await watched(100);
    await w.start();
    const card = join(w.dir, 'DCIM');
    await mkdir(join(card, '100APPLE'), { recursive: true });
    for (const name of ['IMG_1.HEIC', 'IMG_1.MOV', 'IMG_2.HEIC']) {
      await writeFile(join(card, '100APPLE', name), name);
    }
    await rename(card, join(w.inbox, 'DCIM'));
    await mkdir(join(w.inbox, 'new', 'deeper'), { recursive: true });
    await writeFile(join(w.inbox, 'new', 'deeper', 'a.jpg'), 'a');
    await waitFor(async () => w.reports.length === 4, { what: 'four files' });
    expect(w.names()).toEqual([
      'DCIM/100APPLE/IMG_1.HEIC',
      'DCIM/100APPLE/IMG_1.MOV',
      'DCIM/100APPLE/IMG_2.HEIC',
      'new/deeper/a.jpg',
    ]);
  });

  it('tells whether another file of a group is still settling, and cannot tell without a settle period', async () => {
    const w = await watched(1000);
    const watcher = await w.start();
    const heic = join(w.inbox, 'IMG_1.HEIC');
    await writeFile(heic, 'still');
    await waitFor(() => watcher.settling(join(w.inbox, 'IMG_1.MOV')), { what: 'the HEIC seen' });
    await waitFor(() => w.names().includes('IMG_1.HEIC'), { what: 'the HEIC reported' });
    // The MOV is written to every 100 ms, less than `settle`: it has not settled.
    await writeFile(join(w.inbox, 'IMG_1.MOV'), 'v');
    await waitFor(() => watcher.settling(heic) === true, { what: 'the MOV seen' });
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      await appendFile(join(w.inbox, 'IMG_1.MOV'), 'v');
      expect(watcher.settling(heic)).toBe(true);
    }
    // Its own quiet period does not count, nor another name's.
    expect(watcher.settling(join(w.inbox, 'IMG_1.MOV'))).toBe(false);
    expect(watcher.settling(join(w.inbox, 'IMG_2.HEIC'))).toBe(false);
    expect(watcher.settling(join(w.inbox, 'sub', 'IMG_1.HEIC'))).toBe(false);
    await waitFor(() => w.names().includes('IMG_1.MOV'), { what: 'the MOV reported' });
    expect(watcher.settling(heic)).toBe(false);

    const unsettled = await watched(0);
    const immediate = await unsettled.start();
    expect(immediate.settling(join(unsettled.inbox, 'IMG_1.HEIC'))).toBeNull();
  });

  it('passes by hidden and partial names until a download is renamed to its real name', async () => {
    const w = await watched(100);
    await w.start();
    await mkdir(join(w.inbox, '.stfolder'));
    await writeFile(join(w.inbox, '.stfolder', 'inside.jpg'), 'x');
    await writeFile(join(w.inbox, '.hidden.jpg'), 'x');
    await writeFile(join(w.inbox, 'photo.jpg.part'), 'x');
    await sleep(400);
    expect(w.reports).toEqual([]);
    await rename(join(w.inbox, 'photo.jpg.part'), join(w.inbox, 'photo.jpg'));
    await waitFor(async () => w.reports.length === 1, { what: 'photo.jpg' });
    expect(w.names()).toEqual(['photo.jpg']);
  });

  it('reports a symbolic link without following a linked folder', async () => {
    const w = await watched(100);
    const outside = join(w.dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.jpg'), 'x');
    await w.start();
    await symlink(join(outside, 'secret.jpg'), join(w.inbox, 'link.jpg'));
    await symlink(outside, join(w.inbox, 'linked-folder'));
    await waitFor(async () => w.reports.length === 2, { what: 'the two links' });
    await sleep(300);
    expect(w.names()).toEqual(['link.jpg', 'linked-folder']);
  });

  it('watches a folder removed and made again, reports a file changed after it was reported, and stops on close', async () => {
    const w = await watched(100);
    await mkdir(join(w.inbox, 'cam'));
    const watcher = await w.start();
    // Made again at once: the event of its removal may find the new folder already there.
    await rm(join(w.inbox, 'cam'), { recursive: true });
    await mkdir(join(w.inbox, 'cam'));
    await writeFile(join(w.inbox, 'cam', 'again.jpg'), 'x');
    await waitFor(async () => w.names().includes('cam/again.jpg'), { what: 'cam/again.jpg' });

    // A file replaced by a folder while it waited for quiet: the folder is watched.
    await writeFile(join(w.inbox, 'swap'), 'x');
    await rm(join(w.inbox, 'swap'));
    await mkdir(join(w.inbox, 'swap'));
    await writeFile(join(w.inbox, 'swap', 'inner.jpg'), 'x');
    await waitFor(async () => w.names().includes('swap/inner.jpg'), { what: 'swap/inner.jpg' });
    w.reports.splice(
      w.reports.findIndex((r) => r.path === 'swap/inner.jpg'),
      1,
    );

    await appendFile(join(w.inbox, 'cam', 'again.jpg'), 'y');
    await waitFor(async () => w.reports.length === 2, { what: 'the changed file again' });

    await watcher.close();
    await writeFile(join(w.inbox, 'late.jpg'), 'x');
    await sleep(400);
    expect(w.names()).toEqual(['cam/again.jpg', 'cam/again.jpg']);
  });
});

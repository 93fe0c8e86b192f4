import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../bench/lib/daemon.js';
import { Journal } from '../src/journal/journal.js';
import { recover } from '../src/journal/recover.js';
import { capabilitiesOf } from '../src/lib/fs-capabilities.js';
import { answersInline } from '../src/lib/metadata.js';
import { safeMove } from '../src/lib/safe-move.js';
import { ensureBuilt, runCli } from './support/cli.js';
import { listFiles, sha256, snapshot, waitFor } from './support/fs.js';
import { makeJpeg, writeJpeg } from './support/media.js';
import { MOUNT_KINDS, useMount, whyNoMount } from './support/mounts.js';
import { journalOf, project, scanProject } from './support/project.js';

/**
 * A library on a filesystem without hard links, mounted for real: an exFAT image on a loop
 * device (exfat-fuse), as an external disk shared between Mac and Windows is formatted, and
 * an rclone FUSE mount of a local folder, as a cloud drive is mounted. `link()` fails on both
 * (EPERM, EIO), which once made every file fail and stay in the inbox.
 */

// The CLI runs from dist/, built once per test process: under load that alone can take most
// of a test's minute, so it is done before the tests start.
beforeAll(() => ensureBuilt(), 300_000);

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function hashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A fresh folder on the mount (or anywhere), removed after the test. */
async function folderIn(base: string, name = 'psd-'): Promise<string> {
  const dir = await mkdtemp(join(base, name));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Names below `root` that a move in progress leaves: temporary copies and probe files. */
async function leftovers(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((path) => basename(path).startsWith('.'));
}

/** A fresh journal holding the `planned` row of moving `bytes` from `source` to `target`. */
async function plannedMove(source: string, target: string, bytes: Buffer) {
  const journal = Journal.open(await folderIn(tmpdir(), 'state-'));
  cleanup.push(() => journal.close());
  const id = journal.begin({
    batch: 'b1',
    op: 'move',
    source,
    target,
    hash: hashOf(bytes),
    size: bytes.length,
  });
  return { journal, id };
}

describe.each(MOUNT_KINDS)('a library on %s', (kind) => {
  const mount = useMount(kind);

  describe.skipIf(whyNoMount(kind) !== undefined)(`filing onto ${kind}`, () => {
    it('is probed as a filesystem without hard links but with rename', async () => {
      expect(await capabilitiesOf(mount().dir)).toEqual({
        hardLinks: false,
        rename: true,
        changeTime: false,
      });
      expect(await readdir(mount().dir)).toEqual([]);
    });

    it('is asked its metadata asynchronously once the mount table shows it (within a second)', async () => {
      // A FUSE daemon may stall; the event loop must not stall with it.
      await waitFor(() => !answersInline(mount().dir), {
        timeoutMs: 3000,
        what: `${mount().dir} to be seen as ${kind}`,
      });
      expect(answersInline(join(mount().dir, 'library/2024/IMG_0001.jpg'))).toBe(false);
    });

    it('moves on the same disk by renaming onto a reserved name, and across disks by a verified copy', async () => {
      const here = await folderIn(mount().dir);
      const away = await folderIn(tmpdir());
      const bytes = await makeJpeg({ date: '2020:05:06 07:08:09', seed: 1 });
      const local = join(here, 'inbox', 'IMG_1.jpg');
      const remote = join(away, 'IMG_2.jpg');
      await mkdir(join(here, 'inbox'));
      await writeFile(local, bytes);
      const other = await writeJpeg(remote, { seed: 2 });
      const taken = join(here, 'library', '2020', 'IMG_2.jpg');
      await mkdir(join(here, 'library', '2020'), { recursive: true });
      await writeFile(taken, 'somebody else’s file');

      const same = await safeMove(local, join(here, 'library', '2020', 'IMG_1.jpg'), {
        expectedHash: hashOf(bytes),
        onExists: 'suffix',
      });
      const across = await safeMove(remote, taken, {
        expectedHash: hashOf(other),
        onExists: 'suffix',
      });

      expect(same).toMatchObject({ strategy: 'rename', crossDevice: false });
      expect(across).toEqual({
        target: join(here, 'library', '2020', 'IMG_2 (1).jpg'),
        strategy: 'copy',
        crossDevice: true,
      });
      expect(await readFile(same.target)).toEqual(bytes);
      expect(await readFile(across.target)).toEqual(other);
      expect(await readFile(taken, 'utf8')).toBe('somebody else’s file');
      expect(await listFiles(join(here, 'inbox'))).toEqual([]);
      expect(await listFiles(away)).toEqual([]);
      expect(await listFiles(join(here, 'library'))).toEqual([
        '2020/IMG_1.jpg',
        '2020/IMG_2 (1).jpg',
        '2020/IMG_2.jpg',
      ]);
    });

    it("refuses with TARGET_EXISTS under onExists 'fail' and leaves no reservation behind", async () => {
      const here = await folderIn(mount().dir);
      const source = join(here, 'IMG_1.jpg');
      const bytes = await writeJpeg(source, { seed: 3 });
      const target = join(here, 'lib', 'IMG_1.jpg');
      await mkdir(join(here, 'lib'));
      await writeFile(target, 'in the way');

      await expect(
        safeMove(source, target, { expectedHash: hashOf(bytes), onExists: 'fail' }),
      ).rejects.toMatchObject({ code: 'TARGET_EXISTS' });

      expect(await readFile(source)).toEqual(bytes);
      expect(await readdir(join(here, 'lib'))).toEqual(['IMG_1.jpg']);
    });

    it('scan files photos onto it, numbers a collision, and undo --all puts every byte back', async () => {
      const library = await folderIn(mount().dir, 'library-');
      const p = await project({ library });
      for (let i = 0; i < 8; i++) {
        await writeJpeg(join(p.inbox, `IMG_${i}.jpg`), {
          date: '2021:03:04 10:00:00',
          seed: 10 + i,
        });
      }
      await mkdir(join(library, '2021', '2021-03-04'), { recursive: true });
      await writeFile(join(library, '2021', '2021-03-04', 'IMG_0.jpg'), 'already there');
      const before = await snapshot(p.inbox);

      const scan = await scanProject(p);

      expect(scan.code, scan.stderr).toBe(0);
      expect(await listFiles(p.inbox)).toEqual([]);
      const filed = await snapshot(library);
      expect([...filed.keys()]).toEqual([
        '2021/2021-03-04/IMG_0 (1).jpg',
        '2021/2021-03-04/IMG_0.jpg',
        ...[1, 2, 3, 4, 5, 6, 7].map((i) => `2021/2021-03-04/IMG_${i}.jpg`),
      ]);
      expect(filed.get('2021/2021-03-04/IMG_0 (1).jpg')).toBe(before.get('IMG_0.jpg'));
      for (let i = 1; i < 8; i++) {
        expect(filed.get(`2021/2021-03-04/IMG_${i}.jpg`)).toBe(before.get(`IMG_${i}.jpg`));
      }
      expect(await leftovers(library)).toEqual([]);
      expect((await journalOf(p)).map((row) => row.status)).toEqual(Array(8).fill('done'));

      const undo = await runCli(['undo', '--all', '--config', p.config]);

      expect(undo.code, undo.stderr).toBe(0);
      expect(await snapshot(p.inbox)).toEqual(before);
      expect(await listFiles(library)).toEqual(['2021/2021-03-04/IMG_0.jpg']);
    }, 180_000);

    it('scan from an inbox on the same disk renames the photos into place, and undo renames them back', async () => {
      const here = await folderIn(mount().dir);
      const inbox = join(here, 'inbox');
      const library = join(here, 'library');
      await mkdir(inbox);
      await mkdir(library);
      const p = await project({ library, inboxes: [inbox] });
      for (let i = 0; i < 4; i++) {
        await writeJpeg(join(inbox, `IMG_${i}.jpg`), { date: '2022:07:08 10:00:00', seed: 60 + i });
      }
      const before = await snapshot(inbox);

      const scan = await runCli(['scan', inbox, '--config', p.config, '--json']);

      expect(scan.code, scan.stderr).toBe(0);
      expect(await listFiles(inbox)).toEqual([]);
      const filed = await snapshot(library);
      expect([...filed.keys()]).toEqual([0, 1, 2, 3].map((i) => `2022/2022-07-08/IMG_${i}.jpg`));
      expect([...filed.values()]).toEqual([...before.values()]);
      expect(await leftovers(here)).toEqual([]);

      const undo = await runCli(['undo', '--all', '--config', p.config]);

      expect(undo.code, undo.stderr).toBe(0);
      expect(await snapshot(inbox)).toEqual(before);
      expect(await listFiles(library)).toEqual([]);
    }, 180_000);

    it('a daemon SIGKILLed in the middle of copying a big video is recovered on restart', async () => {
      const library = await folderIn(mount().dir, 'library-');
      const p = await project({ library, settle: 200 });
      // A real JPEG header followed by 96 MB: readers stop at the image, the copy does not.
      const big = Buffer.concat([
        await makeJpeg({ date: '2021:03:04 10:00:00', seed: 40 }),
        randomBytes(96 * 1024 * 1024),
      ]);
      const bigHash = hashOf(big);
      const daemon = startDaemon(p.config);
      cleanup.push(() => {
        if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.crash();
      });
      await daemon.watching;
      await writeFile(join(p.inbox, 'IMG_big.jpg'), big);
      const folder = join(library, '2021', '2021-03-04');
      // Killed once the copy is under way: a temporary copy is there, not yet complete.
      await waitFor(
        async () => {
          const names = await readdir(folder).catch(() => [] as string[]);
          for (const name of names.filter((n) => n.endsWith('.tmp'))) {
            const size = (await stat(join(folder, name)).catch(() => undefined))?.size ?? 0;
            if (size > 0 && size < big.length) return true;
          }
          return false;
        },
        { what: 'a partial copy in the library', timeoutMs: 60_000, intervalMs: 5 },
      );
      daemon.crash();
      await daemon.exited;
      expect(await sha256(join(p.inbox, 'IMG_big.jpg'))).toBe(bigHash);

      const again = startDaemon(p.config);
      cleanup.push(() => {
        if (again.child.exitCode === null && again.child.signalCode === null) again.crash();
      });
      await again.watching;
      await waitFor(async () => (await listFiles(p.inbox)).length === 0, {
        what: 'the big file filed after the restart',
        timeoutMs: 120_000,
      });
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);

      expect(await listFiles(library)).toEqual(['2021/2021-03-04/IMG_big.jpg']);
      expect(await sha256(join(folder, 'IMG_big.jpg'))).toBe(bigHash);
      const rows = await journalOf(p);
      expect(rows.filter((row) => row.status === 'planned')).toEqual([]);
      expect(rows.filter((row) => row.status === 'done')).toHaveLength(1);
    }, 240_000);

    it('recovery removes a name reserved by a crash and keeps the source', async () => {
      const here = await folderIn(mount().dir);
      const source = join(here, 'inbox', 'IMG_1.jpg');
      const target = join(here, 'library', 'IMG_1.jpg');
      await mkdir(join(here, 'inbox'));
      await mkdir(join(here, 'library'));
      const bytes = await writeJpeg(source, { seed: 50 });
      const { journal, id } = await plannedMove(source, target, bytes);
      // The crash came after O_EXCL reserved the name and before the rename onto it.
      await writeFile(target, '', { flag: 'wx' });

      const report = await recover(journal);

      expect(report).toMatchObject({ rolledBack: 1, tempFilesRemoved: 1 });
      expect(await readFile(source)).toEqual(bytes);
      expect(await readdir(join(here, 'library'))).toEqual([]);
      expect(journal.get(id)?.status).toBe('failed');
    });

    it('recovery puts a complete temporary copy in place when it is the only copy left, over its empty reservation', async () => {
      const here = await folderIn(mount().dir);
      const source = join(tmpdir(), `psd-gone-${randomBytes(4).toString('hex')}.jpg`);
      const target = join(here, 'IMG_1.jpg');
      const bytes = await makeJpeg({ seed: 52 });
      const { journal, id } = await plannedMove(source, target, bytes);
      // The copy was complete and the name reserved; then the source went (another
      // process, or a power cut that kept the unlink) before the rename onto the reservation.
      await writeFile(join(here, `.IMG_1.jpg.photosortd-0a1b2c3d.tmp`), bytes);
      await writeFile(target, '', { flag: 'wx' });

      const report = await recover(journal);

      expect(report).toMatchObject({ completed: 1, missing: 0 });
      expect(await readdir(here)).toEqual(['IMG_1.jpg']);
      expect(await readFile(target)).toEqual(bytes);
      expect(journal.get(id)).toMatchObject({ status: 'done', target });
    });

    it('recovery completes a move whose rename had happened (no change time to go by)', async () => {
      const here = await folderIn(mount().dir);
      const source = join(tmpdir(), `psd-gone-${randomBytes(4).toString('hex')}.jpg`);
      const target = join(here, 'IMG_1.jpg');
      const bytes = await makeJpeg({ seed: 51 });
      const { journal, id } = await plannedMove(source, target, bytes);
      // Placed with the photo's old modification time, which exFAT and rclone report as
      // its change time too; the source was unlinked before the crash.
      await writeFile(target, bytes);
      const old = new Date('2015-01-01T00:00:00Z');
      await utimes(target, old, old);

      const report = await recover(journal);

      expect(report).toMatchObject({ completed: 1, missing: 0 });
      expect(journal.get(id)).toMatchObject({ status: 'done', target });
      expect(await readFile(target)).toEqual(bytes);
    });
  });
});

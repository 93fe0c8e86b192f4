import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../src/api/metrics.js';
import { loadConfig, type Config } from '../src/config/load.js';
import type { ControlEvent, DaemonStatus } from '../src/daemon/control.js';
import type { FileEvent } from '../src/pipeline/file-event.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { silentLogger } from '../src/lib/logger.js';
import { assertLibraryDevice } from '../src/lib/real-path.js';
import { createMoveStage } from '../src/pipeline/move.js';
import { runCli } from './support/cli.js';
import { available } from './support/commands.js';
import { listFiles, sha256, snapshot, tempDir, waitFor } from './support/fs.js';
import { journalWorld } from './support/journal-world.js';
import { writeJpeg } from './support/media.js';
import { project, type Project } from './support/project.js';

/*
 * Issue 12, points 2–4: identity by real path and device/inode, the library's presence, and
 * sources that must stay inside their inbox. Everything here is real: files, symlinks, bind
 * and tmpfs mounts (this suite mounts, so it needs root, as the fault suite does), the CLI as
 * a process, and the daemon in this process.
 */

const cleanup: (() => unknown)[] = [];
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

/** Runs mount or umount; throws, naming what this suite needs, when the machine refuses. */
function mountCommand(args: string[]): void {
  try {
    execFileSync(args[0] === 'umount' ? 'umount' : 'mount', args.slice(1), { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`${args.join(' ')} failed: this suite needs root to mount (${String(error)})`);
  }
}

/** Lazily unmounts whatever is mounted on `path`, if anything still is. */
function unmountLater(path: string): void {
  cleanup.push(() => {
    try {
      execFileSync('umount', ['-l', path], { stdio: 'ignore' });
    } catch {
      // A test that unmounted it itself left nothing to do.
    }
  });
}

/** Bind-mounts `from` on `onto` until the test ends. */
function bindMount(from: string, onto: string): void {
  mountCommand(['mount', '--bind', from, onto]);
  unmountLater(onto);
}

/** A fresh 16 MiB exFAT filesystem on a loop device, mounted with exfat-fuse until the test ends. */
async function exfatDisk(): Promise<string> {
  const dir = await tempDir('photosortd-exfat-');
  const image = join(dir, 'disk.img');
  const mountPoint = join(dir, 'mnt');
  await mkdir(mountPoint);
  const handle = await open(image, 'w');
  await handle.truncate(16 * 1024 * 1024);
  await handle.close();
  execFileSync('mkfs.exfat', [image], { stdio: 'ignore' });
  const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
  cleanup.push(() => execFileSync('losetup', ['-d', loop], { stdio: 'ignore' }));
  execFileSync('mount.exfat-fuse', [loop, mountPoint], { stdio: 'ignore' });
  unmountLater(mountPoint);
  return mountPoint;
}

async function loaded(p: Project): Promise<Config> {
  return loadConfig(p.config);
}

async function start(config: Config): Promise<Daemon> {
  const daemon = await launchDaemon(config, silentLogger());
  running.push(daemon);
  return daemon;
}

/** Everything below `root`, files and folders, as relative paths. */
async function entries(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

/** The file events the daemon publishes from now on. */
function fileEvents(daemon: Daemon): FileEvent[] {
  const seen: FileEvent[] = [];
  daemon.subscribe((event: ControlEvent) => {
    if (event.type === 'file') seen.push(event);
  });
  return seen;
}

describe('identity by real path and dev/inode', () => {
  it('refuses to run with an inbox that reaches the library through a symlink (duplicates: delete): library untouched, nothing in the trash', async () => {
    const p = await project({ inboxes: ['./inbox-link'], duplicates: 'delete' });
    await writeJpeg(join(p.library, '2024', '2024-06-12', 'IMG_1.jpg'), {
      date: '2024:06:12 18:30:00',
      seed: 1,
    });
    await symlink(p.library, join(p.dir, 'inbox-link'));
    const before = await snapshot(p.library);

    const result = await runCli(['run', '--config', p.config], { timeoutMs: 30_000 });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/inbox-link and library .*library overlap/);
    expect(await snapshot(p.library)).toEqual(before);
    expect(await listFiles(join(p.state, 'trash'))).toEqual([]);
  });

  it('refuses an inbox that is the library bind-mounted elsewhere', async () => {
    const p = await project({ duplicates: 'delete' });
    await writeJpeg(join(p.library, 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 2 });
    bindMount(p.library, p.inbox);

    const error = await start(await loaded(p)).catch((e: unknown) => e);

    expect(String(error)).toMatch(/and library .* overlap/);
    expect(await listFiles(p.library)).toEqual(['IMG_1.jpg']);
  });

  // exFAT, the usual format of a disk shared with Macs and Windows, ignores case; exfat-fuse
  // even gives two spellings of one folder different inode numbers. Debian: exfatprogs,
  // exfat-fuse; mounting needs root and a loop device.
  it.skipIf(!available('mkfs.exfat') || !available('mount.exfat-fuse'))(
    'refuses an inbox that is inside the library under another spelling on a case-insensitive disk (exFAT)',
    async () => {
      const disk = await exfatDisk();
      await mkdir(join(disk, 'Photos', 'Library', 'drop'), { recursive: true });
      const p = await project({
        library: join(disk, 'Photos', 'Library'),
        inboxes: [join(disk, 'photos', 'LIBRARY', 'drop')],
        duplicates: 'delete',
      });

      const error = await start(await loaded(p)).catch((e: unknown) => e);

      expect(String(error)).toMatch(/LIBRARY\/drop and library .*Library overlap/);
    },
  );

  it('never trashes a library file seen through a bind mount inside the inbox as a duplicate of itself', async () => {
    const p = await project({ duplicates: 'delete', settle: 300 });
    const filed = join(p.library, '2024', '2024-06-12', 'IMG_1.jpg');
    await writeJpeg(filed, { date: '2024:06:12 18:30:00', seed: 3 });
    const hash = await sha256(filed);
    // The library's folder shows up inside the inbox (an old bind mount, a NAS export).
    await mkdir(join(p.inbox, 'old'));
    bindMount(join(p.library, '2024'), join(p.inbox, 'old'));
    // And a hard link of a library file, as `cp -al` leaves it.
    await writeJpeg(join(p.library, 'IMG_2.jpg'), { date: '2024:06:13 10:00:00', seed: 4 });
    await link(join(p.library, 'IMG_2.jpg'), join(p.inbox, 'IMG_2.jpg'));

    const daemon = await start(await loaded(p));
    const events = fileEvents(daemon);
    await waitFor(() => events.length >= 2, { what: 'both library files to be looked at' });
    await daemon.idle();

    expect(events.map((event) => event.action)).toEqual(['skip', 'skip']);
    expect(events[0]?.error ?? null).toBeNull();
    expect(await sha256(filed)).toBe(hash);
    expect(await listFiles(p.library)).toEqual(['2024/2024-06-12/IMG_1.jpg', 'IMG_2.jpg']);
    expect(await listFiles(join(p.state, 'trash'))).toEqual([]);
  });

  it('refuses to scan a folder inside the library reached through a symlink', async () => {
    const p = await project({ duplicates: 'delete' });
    await writeJpeg(join(p.library, '2024', 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 5 });
    await symlink(join(p.library, '2024'), join(p.dir, 'photos'));
    const before = await snapshot(p.library);

    const result = await runCli(['scan', join(p.dir, 'photos'), '--config', p.config]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is inside the library');
    expect(result.stderr).toContain('Scan a folder outside the library');
    expect(await snapshot(p.library)).toEqual(before);
    expect(await listFiles(join(p.state, 'trash'))).toEqual([]);
  });
});

describe('library presence', () => {
  it('refuses to start without the library, naming it and what to do, and makes it with --create-library', async () => {
    const p = await project();
    await rm(p.library, { recursive: true });
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 6 });

    const run = await runCli(['run', '--config', p.config], { timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`library: ${p.library} does not exist`);
    expect(run.stderr).toContain('--create-library');

    const scan = await runCli(['scan', p.inbox, '--config', p.config]);
    expect(scan.code).toBe(2);
    await expect(stat(p.library)).rejects.toThrow(/ENOENT/);
    expect(await listFiles(p.inbox)).toEqual(['IMG_1.jpg']);

    const created = await runCli(['scan', p.inbox, '--config', p.config, '--create-library']);
    expect(created.code).toBe(0);
    expect(await listFiles(p.library)).toEqual(['2024/2024-06-12/IMG_1.jpg']);
  });

  it('pauses filing while the library is unmounted, files nothing under the empty mount point, and resumes when it is back', async () => {
    const p = await project({ settle: 300 });
    // The disk: a tmpfs, bind-mounted as the library so that it can come back on its device.
    const disk = await tempDir('photosortd-disk-');
    mountCommand(['mount', '-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', disk]);
    unmountLater(disk);
    bindMount(disk, p.library);
    const daemon = await start(await loaded(p));
    const metrics = new Metrics({ processMetrics: false });

    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 7 });
    await waitFor(async () => (await listFiles(disk)).length === 1, { what: 'the first file' });

    mountCommand(['umount', p.library]);
    const second = await writeJpeg(join(p.inbox, 'IMG_2.jpg'), {
      date: '2024:06:13 10:00:00',
      seed: 8,
    });
    // Held once the library is seen gone (by the presence check or the mover's own), or,
    // wrongly, filed into the empty mount point; a build without libraryState only files.
    await waitFor(
      async () => {
        const seen: Partial<DaemonStatus> = daemon.status();
        const held = seen.libraryState?.present === false && (seen.queue?.waiting ?? 0) >= 1;
        return held || (await listFiles(p.inbox)).length === 0;
      },
      { what: 'the second file held or filed' },
    );
    expect(await entries(p.library)).toEqual([]);
    expect(await listFiles(p.inbox)).toEqual(['IMG_2.jpg']);
    await waitFor(() => !daemon.status().libraryState.present, { what: 'library unavailable' });
    const away = daemon.status();
    expect(away.state).toBe('paused');
    expect(away.libraryState.problem).toMatch(/another device/);
    expect(await metrics.render(away)).toMatch(/^photosortd_library_up 0$/m);

    bindMount(disk, p.library);
    await waitFor(async () => (await listFiles(disk)).length === 2, {
      what: 'the second file filed once the library is back',
    });
    await daemon.idle();
    expect(daemon.status()).toMatchObject({ state: 'running', libraryState: { present: true } });
    expect(await sha256(join(disk, '2024', '2024-06-13', 'IMG_2.jpg'))).toBe(sha256Of(second));
    expect(await listFiles(p.inbox)).toEqual([]);
    // The mount point itself stayed empty: nothing was hidden under the disk.
    mountCommand(['umount', p.library]);
    expect(await entries(p.library)).toEqual([]);
    bindMount(disk, p.library);
  });
});

describe('the mover checks the library right before making folders', () => {
  it('refuses to file into an unmounted library even before the presence check notices', async () => {
    const w = await journalWorld('psd-identity');
    const disk = await tempDir('photosortd-disk-');
    mountCommand(['mount', '-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', disk]);
    unmountLater(disk);
    bindMount(disk, w.library);
    const device = (await stat(w.library)).dev;
    const move = createMoveStage({
      journal: w.journal,
      index: w.index,
      batch: () => 'batch-1',
      onCollision: 'suffix',
      duplicates: 'skip',
      trashDir: w.trash,
      checkLibrary: () => assertLibraryDevice(w.library, device),
      dryRun: false,
    });
    const photo = await writeJpeg(join(w.inbox, 'IMG_1.jpg'), { seed: 12 });
    const info = await stat(join(w.inbox, 'IMG_1.jpg'));
    mountCommand(['umount', w.library]);

    const job = await move({
      source: join(w.inbox, 'IMG_1.jpg'),
      root: w.inbox,
      size: info.size,
      mtimeMs: info.mtimeMs,
      hash: sha256Of(photo),
      plan: { action: 'move', rule: 'default', target: join(w.library, '2024', 'IMG_1.jpg') },
    });

    expect(job.error).toMatchObject({ code: 'LIBRARY_UNAVAILABLE', stage: 'move' });
    expect(job.error?.message).toContain('files stay in the inbox until it is back');
    expect(await entries(w.library)).toEqual([]);
    expect(await listFiles(w.inbox)).toEqual(['IMG_1.jpg']);
  });
});

describe('sources stay inside their inbox', () => {
  it('takes nothing from outside when a folder is swapped for a symlink between settle and move', async () => {
    const p = await project({ settle: 300 });
    const daemon = await start(await loaded(p));
    const events = fileEvents(daemon);
    daemon.pause();
    await writeJpeg(join(p.inbox, 'sub', 'IMG_1.jpg'), { date: '2024:06:12 18:30:00', seed: 9 });
    await waitFor(() => daemon.status().queue.waiting >= 1, { what: 'the file settled and held' });

    // Someone swaps the folder for a link to a place outside the inbox holding a file of the
    // same name: the daemon must not take it.
    const outside = await tempDir('photosortd-outside-');
    const secret = await writeJpeg(join(outside, 'IMG_1.jpg'), {
      date: '2024:06:12 18:30:00',
      seed: 10,
    });
    await rename(join(p.inbox, 'sub'), join(p.dir, 'moved-away'));
    await symlink(outside, join(p.inbox, 'sub'));
    daemon.resume();

    await waitFor(() => events.length >= 1, { what: 'the swapped file handled' });
    await daemon.idle();
    expect(events[0]).toMatchObject({ action: 'error' });
    expect(events[0]?.error).toContain('outside');
    expect(await listFiles(outside)).toEqual(['IMG_1.jpg']);
    expect(await sha256(join(outside, 'IMG_1.jpg'))).toBe(sha256Of(secret));
    expect(await listFiles(p.library)).toEqual([]);
  });

  it('undo refuses to write through a folder of the original path swapped for a symlink', async () => {
    const p = await project();
    const photo = await writeJpeg(join(p.inbox, 'sub', 'IMG_1.jpg'), {
      date: '2024:06:12 18:30:00',
      seed: 11,
    });
    expect((await runCli(['scan', p.inbox, '--config', p.config])).code).toBe(0);
    const filed = join(p.library, '2024', '2024-06-12', 'IMG_1.jpg');
    expect(await sha256(filed)).toBe(sha256Of(photo));

    const outside = await tempDir('photosortd-outside-');
    await rm(join(p.inbox, 'sub'), { recursive: true, force: true });
    await symlink(outside, join(p.inbox, 'sub'));
    const result = await runCli(['undo', '--last', '1', '--config', p.config]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${join(p.inbox, 'sub')} is a symbolic link`);
    expect(await entries(outside)).toEqual([]);
    expect(await sha256(filed)).toBe(sha256Of(photo));
  });
});

/** SHA-256 hex of bytes in memory. */
function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

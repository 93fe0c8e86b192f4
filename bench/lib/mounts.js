// Real filesystems without hard links, mounted for a library: an exFAT image (exfatprogs +
// exfat-fuse on a loop device) and an rclone FUSE mount of a local folder. Shared by the mount
// tests (test/support/mounts.ts), the fault suite and the crash trial (bench/crash.js).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kinds of mount this module makes. */
export const MOUNT_KINDS = ['exfat', 'rclone'];

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a mount of `kind` cannot be made on this machine, in words for a skip message; or
 * `undefined` when it can. Needs root, /dev/fuse, and for exFAT a loop device.
 */
export function whyNoMount(kind) {
  if (!MOUNT_KINDS.includes(kind)) return `unknown mount kind "${kind}" (exfat or rclone)`;
  if (process.getuid?.() !== 0) return 'mounting needs root';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse (FUSE is not available here)';
  if (kind === 'exfat') {
    if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control (no loop devices)';
    for (const command of ['mkfs.exfat', 'mount.exfat-fuse', 'losetup']) {
      if (!onPath(command)) return `${command} is not installed (Debian: exfatprogs, exfat-fuse)`;
    }
  }
  if (kind === 'rclone' && !onPath('rclone')) return 'rclone is not installed (Debian: rclone)';
  return undefined;
}

function mounted(dir) {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir);
}

async function waitMounted(dir, what) {
  const deadline = Date.now() + 20_000;
  while (!mounted(dir)) {
    if (Date.now() > deadline) throw new Error(`${what} did not appear on ${dir} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Unmounts `dir`, waiting out a FUSE daemon still writing back (busy) for up to 20 s. */
function unmount(dir) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (!mounted(dir)) return;
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      return;
    } catch {
      if (Date.now() > deadline) {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        return;
      }
      execFileSync('sleep', ['0.2']);
    }
  }
}

/**
 * Mounts a fresh filesystem of `kind` and returns `{ kind, dir, unmount() }`: `dir` is the
 * mounted folder. exFAT: a sparse image of `sizeMb` formatted with mkfs.exfat, attached with
 * `losetup` and mounted with mount.exfat-fuse. rclone: `rclone mount :local:FOLDER` with
 * `--vfs-cache-mode writes`, as a cloud drive is mounted. `unmount()` unmounts, detaches the
 * loop device and removes everything; call it in afterAll whatever happened.
 */
export async function mountLibraryFs(kind, { sizeMb = 256 } = {}) {
  const why = whyNoMount(kind);
  if (why) throw new Error(`cannot mount ${kind}: ${why}`);
  const base = await mkdtemp(join(tmpdir(), `photosortd-${kind}-`));
  const dir = join(base, 'mnt');
  await mkdir(dir);
  const undo = [];
  const teardown = async () => {
    while (undo.length) {
      try {
        undo.pop()();
      } catch (error) {
        process.emitWarning(`tearing down the ${kind} mount: ${error.message}`);
      }
    }
    await rm(base, { recursive: true, force: true });
  };
  try {
    if (kind === 'exfat') {
      const image = join(base, 'exfat.img');
      execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
      execFileSync('mkfs.exfat', [image], { stdio: 'pipe' });
      const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
      undo.push(() => execFileSync('losetup', ['-d', loop], { stdio: 'pipe' }));
      execFileSync('mount.exfat-fuse', [loop, dir], { stdio: 'pipe' });
      undo.push(() => unmount(dir));
      await waitMounted(dir, 'the exFAT filesystem');
    } else {
      const backing = join(base, 'remote');
      await mkdir(backing);
      execFileSync(
        'rclone',
        [
          'mount',
          `:local:${backing}`,
          dir,
          '--vfs-cache-mode',
          'writes',
          '--cache-dir',
          join(base, 'cache'),
          '--config',
          join(base, 'rclone.conf'),
          '--daemon',
        ],
        { stdio: 'pipe' },
      );
      undo.push(() => unmount(dir));
      await waitMounted(dir, 'the rclone mount');
    }
  } catch (error) {
    await teardown();
    throw error;
  }
  return { kind, dir, unmount: teardown };
}

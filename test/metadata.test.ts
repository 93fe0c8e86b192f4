import * as fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  answersInline,
  INLINE_FILESYSTEMS,
  lstat,
  mountOf,
  parseMountInfo,
  readdir,
  realpath,
  stat,
  statfs,
} from '../src/lib/metadata.js';
import { tempDir } from './support/fs.js';

/** Lines as /proc/self/mountinfo writes them (a Docker host's, trimmed). */
const MOUNT_INFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '31 27 0:40 / /mnt/photos rw,relatime - nfs4 nas:/photos rw,vers=4.2',
  '32 27 0:41 / /mnt/photos\\040card rw,relatime - fuseblk /dev/sdb1 rw,user_id=0',
  '33 31 0:42 / /mnt/photos/local rw,relatime - xfs /dev/sdc1 rw',
].join('\n');

describe('the mount table', () => {
  const mounts = parseMountInfo(MOUNT_INFO);

  it('reads each mount point (escapes decoded) and filesystem type', () => {
    expect(mounts).toContainEqual({ point: '/mnt/photos card', type: 'fuseblk' });
    expect(mounts).toContainEqual({ point: '/', type: 'ext4' });
    expect(mounts).toHaveLength(5);
  });

  it('finds the deepest mount a path lies in, not one whose name merely starts the same', () => {
    expect(mountOf(mounts, '/mnt/photos/2024/a.jpg')?.type).toBe('nfs4');
    expect(mountOf(mounts, '/mnt/photos/local/a.jpg')?.type).toBe('xfs');
    expect(mountOf(mounts, '/mnt/photos card/DCIM')?.type).toBe('fuseblk');
    expect(mountOf(mounts, '/mnt/photosbackup/a.jpg')?.type).toBe('ext4');
    expect(mountOf(mounts, '/mnt/photos')?.type).toBe('nfs4');
    expect(mountOf(mounts, '/')?.type).toBe('ext4');
  });

  it('takes the mount listed last where several are stacked on one point', () => {
    const stacked = parseMountInfo(
      [
        MOUNT_INFO,
        '40 27 0:50 / /srv/photos rw,relatime - tmpfs tmpfs rw',
        '41 40 0:51 / /srv/photos rw,relatime - nfs4 nas:/photos rw,vers=4.2',
      ].join('\n'),
    );
    expect(mountOf(stacked, '/srv/photos/IMG_0001.jpg')?.type).toBe('nfs4');
    expect(INLINE_FILESYSTEMS.has(mountOf(stacked, '/srv/photos')?.type ?? '')).toBe(false);
  });

  it('leaves network and FUSE filesystems asynchronous', () => {
    for (const type of ['nfs4', 'cifs', 'fuseblk', 'fuse.rclone', 'proc']) {
      expect(INLINE_FILESYSTEMS.has(type)).toBe(false);
    }
    for (const type of ['ext4', 'xfs', 'btrfs', 'tmpfs', 'overlay']) {
      expect(INLINE_FILESYSTEMS.has(type)).toBe(true);
    }
  });
});

describe.skipIf(process.platform !== 'linux')('metadata calls on this machine', () => {
  const machine = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));

  it('are made inline exactly where the mount table names a local filesystem', async () => {
    const dir = await tempDir();
    const type = mountOf(machine, await fs.realpath(dir))?.type ?? '';
    expect(answersInline(dir)).toBe(INLINE_FILESYSTEMS.has(type));
    expect(answersInline('/proc/self/status')).toBe(false);
  });

  it('answer as fs.promises does, inline or not', async () => {
    const dir = await tempDir();
    const file = join(dir, 'IMG_0001.jpg');
    await fs.writeFile(file, 'bytes');
    await fs.symlink(file, join(dir, 'link.jpg'));
    for (const path of [file, join(dir, 'link.jpg'), '/proc/self/status']) {
      const [ours, theirs] = [
        await stat(path, { bigint: true }),
        await fs.stat(path, { bigint: true }),
      ];
      expect([ours.ino, ours.size, ours.mtimeNs]).toEqual([
        theirs.ino,
        theirs.size,
        theirs.mtimeNs,
      ]);
      expect((await lstat(path)).isSymbolicLink()).toBe((await fs.lstat(path)).isSymbolicLink());
      expect(await realpath(path)).toBe(await fs.realpath(path));
      expect((await statfs(path)).type).toBe((await fs.statfs(path)).type);
    }
    expect(await realpath(join(dir, 'link.jpg'))).toBe(await fs.realpath(file));
    expect((await readdir(dir)).sort()).toEqual(['IMG_0001.jpg', 'link.jpg']);
    expect(await readdir('/proc/self/fdinfo')).toEqual(expect.arrayContaining(['0', '1', '2']));
  });

  it('reject a missing path with the code and path fs.promises gives, as a promise', async () => {
    const missing = join(await tempDir(), 'gone.jpg');
    const calls = [stat, lstat, realpath, readdir].map((call) => () => call(missing));
    for (const call of calls) {
      const settled = call();
      expect(settled).toBeInstanceOf(Promise);
      await expect(settled).rejects.toMatchObject({ code: 'ENOENT', path: missing });
    }
    await expect(stat('/proc/no-such-process/status')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

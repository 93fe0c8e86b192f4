import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorCode } from './errors.js';
import { stat, statfs } from './metadata.js';

/**
 * What a filesystem lets photosortd do when it files into it. ext4, XFS, Btrfs and APFS
 * allow everything; exFAT and FAT32 (no hard links), many SMB/CIFS shares and FUSE mounts
 * of cloud drives such as rclone (`link()` fails with EPERM, ENOTSUP or EIO) do not.
 */
export interface FilesystemCapabilities {
  /** `link()` works: a file is placed under its new name while the old one still holds it. */
  hardLinks: boolean;
  /** `rename()` replaces an empty reserved name: the way to place a file without hard links. */
  rename: boolean;
  /**
   * A file's change time (ctime) is the moment it was last changed here, even after its
   * modification time was set back. exFAT and rclone report the modification time instead,
   * so recovery cannot tell by time that a file was put in place after its journal row.
   */
  changeTime: boolean;
}

/** Name start of the short-lived probe files; a dotfile, so watchers and scans pass it by. */
export const PROBE_PREFIX = '.photosortd-probe-';

/**
 * Probed capabilities by device number (`st_dev`) and filesystem type: one probe per mounted
 * filesystem. The type is part of the key because FUSE and other virtual filesystems get
 * their device numbers from a pool, so a disk mounted after another may get its number.
 */
const probed = new Map<string, Promise<FilesystemCapabilities>>();

/**
 * The capabilities of the filesystem holding `folder` (or its nearest existing parent),
 * probed once per device by trying them on two empty files there, which are removed at once.
 * A filesystem mounted anew gets a new device number and so a new probe.
 */
export async function capabilitiesOf(folder: string): Promise<FilesystemCapabilities> {
  return capabilitiesAt(await nearestExisting(folder));
}

/** {@link capabilitiesOf} a folder {@link nearestExisting} found. */
export function capabilitiesAt({ dir, dev }: ExistingFolder): Promise<FilesystemCapabilities> {
  let capabilities = probed.get(dev);
  if (!capabilities) {
    capabilities = probe(dir);
    probed.set(dev, capabilities);
    // A probe that failed (a read-only folder, say) is tried again next time.
    capabilities.catch(() => probed.delete(dev));
  }
  return capabilities;
}

/** A folder that exists, as {@link nearestExisting} found it. */
export interface ExistingFolder {
  dir: string;
  /** Its device number (`st_dev`). */
  device: bigint;
  /** Its device number and filesystem type: the key capabilities are probed once for. */
  dev: string;
}

/**
 * The folder itself or its nearest existing parent, with its device and filesystem type: a
 * folder made below it lies on the same filesystem.
 */
export async function nearestExisting(folder: string): Promise<ExistingFolder> {
  for (let dir = folder; ; dir = dirname(dir)) {
    try {
      const stats = await stat(dir, { bigint: true });
      if (stats.isDirectory()) {
        return { dir, device: stats.dev, dev: `${stats.dev}:${(await statfs(dir)).type}` };
      }
    } catch (error) {
      if (!['ENOENT', 'ENOTDIR'].includes(errorCode(error)) || dir === dirname(dir)) throw error;
    }
  }
}

async function probe(dir: string): Promise<FilesystemCapabilities> {
  const base = join(dir, `${PROBE_PREFIX}${randomBytes(4).toString('hex')}`);
  const [file, linked, reserved] = [`${base}-a`, `${base}-b`, `${base}-c`];
  try {
    await writeFile(file, 'probe', { flag: 'wx' });
    const past = new Date('2000-01-01T00:00:00Z');
    await utimes(file, past, past);
    const changeTime = (await stat(file)).ctimeMs > past.getTime() + 86_400_000;
    const hardLinks = await attempt(() => link(file, linked));
    const handle = await open(reserved, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
    await handle.close();
    const renamed =
      (await attempt(() => rename(file, reserved))) &&
      (await readFile(reserved, 'utf8')) === 'probe';
    return { hardLinks, rename: renamed, changeTime };
  } finally {
    await Promise.all([file, linked, reserved].map((path) => rm(path, { force: true })));
  }
}

/** Whether `operation` worked; any refusal counts as "not here". */
async function attempt(operation: () => Promise<unknown>): Promise<boolean> {
  try {
    await operation();
    return true;
  } catch {
    return false;
  }
}

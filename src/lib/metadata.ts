import {
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statfsSync,
  statSync,
  type BigIntStats,
  type Stats,
  type StatsFs,
} from 'node:fs';
import {
  lstat as lstatAsync,
  readdir as readdirAsync,
  realpath as realpathAsync,
  stat as statAsync,
  statfs as statfsAsync,
} from 'node:fs/promises';
import { resolve, sep } from 'node:path';

/*
 * The metadata calls of the filing path (stat, lstat, realpath, statfs, a folder's names)
 * as promises, made synchronously where the filesystem answers them from the kernel's
 * memory. Each file costs about fifteen of them (the checks before its move); as
 * asynchronous calls each is a round trip through libuv's thread pool: two thread switches
 * and a promise, ten times the call itself, and on two cores the pool's threads take CPU
 * from the event loop. Made inline on a local filesystem they cut a scan's time per file by
 * about a tenth (BENCHMARKS.md, Scan throughput). A network or FUSE filesystem may take
 * seconds to answer, or hang with its server or daemon, and there they stay asynchronous:
 * the event loop keeps serving the API and the other files. Content is never read inline,
 * nor anything written.
 */

/**
 * Filesystem types (as /proc/self/mountinfo names them) whose metadata calls are made
 * inline: kernel drivers of local disks and memory, which answer from the dentry and inode
 * caches or, at worst, with one read of the disk. A local disk that sleeps holds the event
 * loop while it spins up (the API answers late; no file is affected). Not listed, so
 * asynchronous: network filesystems (nfs, cifs, smb3, 9p, virtiofs, ceph), and every FUSE
 * mount (`fuse.*`, `fuseblk`: exfat-fuse, ntfs-3g, rclone, sshfs), whose daemon can stall.
 */
export const INLINE_FILESYSTEMS: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'bcachefs',
  'f2fs',
  'jfs',
  'reiserfs',
  'zfs',
  'tmpfs',
  'ramfs',
  // Docker's container filesystem: layers of local folders.
  'overlay',
  // Cards and USB disks with the kernel's own drivers (a card pulled fails fast with EIO).
  'vfat',
  'exfat',
  'ntfs3',
  'hfsplus',
]);

/** Where the mount table is read; Linux only (elsewhere every call stays asynchronous). */
const MOUNT_INFO = '/proc/self/mountinfo';

/**
 * How long a reading of the mount table is trusted. A filesystem mounted since is seen
 * within this time; until then a path below its mount point is judged by its parent's type.
 */
const MOUNT_TABLE_TTL_MS = 1000;

/** A mounted filesystem: where it is mounted and its type. */
export interface Mount {
  point: string;
  type: string;
}

/**
 * The mounts listed in a `/proc/<pid>/mountinfo` text, deepest mount point first (the first
 * one a path lies in is the one holding it); of mounts stacked on one point, the one listed
 * last is on top and comes first (an NFS share mounted over an automount or a tmpfs).
 * Mount points escape space, tab, newline and backslash as octal (`\040`).
 */
export function parseMountInfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const point = fields[4];
    const type = fields[dash + 1];
    if (dash < 0 || point === undefined || type === undefined) continue;
    mounts.push({ point: unescapeOctal(point), type });
  }
  // Reversed first: the sort is stable, so a later mount on the same point stays ahead.
  return mounts.reverse().sort((a, b) => b.point.length - a.point.length);
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
}

/** The mount a path lies in: the deepest mount point that is the path or above it. */
export function mountOf(mounts: readonly Mount[], path: string): Mount | undefined {
  return mounts.find(
    ({ point }) =>
      point === sep || path === point || (path.startsWith(point) && path[point.length] === sep),
  );
}

let table: { mounts: Mount[]; readAt: number } | undefined;

function currentMounts(): Mount[] {
  const now = performance.now();
  if (!table || now - table.readAt > MOUNT_TABLE_TTL_MS) {
    let mounts: Mount[] = [];
    try {
      mounts = parseMountInfo(readFileSync(MOUNT_INFO, 'utf8'));
    } catch {
      // No mount table (macOS, a sandbox without /proc): nothing is made inline.
    }
    table = { mounts, readAt: now };
  }
  return table.mounts;
}

/**
 * Whether metadata calls on `path` are made inline (see {@link INLINE_FILESYSTEMS}). A path
 * is judged by the mount its spelling lies in, so a symbolic link in a local folder that
 * leads onto a network mount is followed inline (photosortd itself makes no such links).
 */
export function answersInline(path: string): boolean {
  const mount = mountOf(currentMounts(), resolve(path));
  return mount !== undefined && INLINE_FILESYSTEMS.has(mount.type);
}

/** `call()` made now where `path` answers inline, as a settled promise; else `later()`. */
function inlineOr<T>(path: string, call: () => T, later: () => Promise<T>): Promise<T> {
  if (!answersInline(path)) return later();
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `stat` or `lstat` as `fs.promises` has them: `Stats`, or `BigIntStats` when asked. */
interface StatCall {
  (path: string): Promise<Stats>;
  (path: string, options: { bigint: true }): Promise<BigIntStats>;
}

function statCall(call: typeof statSync, later: typeof statAsync): StatCall {
  return ((path: string, options?: { bigint: true }) =>
    inlineOr<Stats | BigIntStats>(
      path,
      () => call(path, options) as Stats | BigIntStats,
      () => later(path, options),
    )) as StatCall;
}

/** `fs.promises.stat` (links followed), inline on a local filesystem. */
export const stat: StatCall = statCall(statSync, statAsync);

/** `fs.promises.lstat` (a link itself), inline on a local filesystem. */
export const lstat: StatCall = statCall(lstatSync, lstatAsync);

/** `fs.promises.realpath` (the C library's realpath), inline on a local filesystem. */
export function realpath(path: string): Promise<string> {
  return inlineOr(
    path,
    () => realpathSync.native(path),
    () => realpathAsync(path),
  );
}

/** `fs.promises.statfs`, inline on a local filesystem. */
export function statfs(path: string): Promise<StatsFs> {
  return inlineOr(
    path,
    () => statfsSync(path),
    () => statfsAsync(path),
  );
}

/**
 * `fs.promises.readdir` (names only), inline on a local filesystem. A folder's entries are
 * read in blocks of a few hundred names: a library day folder of 10,000 photos holds the
 * event loop about as long as turning its names into strings already did.
 */
export function readdir(path: string): Promise<string[]> {
  return inlineOr(
    path,
    () => readdirSync(path),
    () => readdirAsync(path),
  );
}

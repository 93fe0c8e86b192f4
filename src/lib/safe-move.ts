import { createHash, randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { link, mkdir, open, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorCode, errorMessage, PhotosortdError } from './errors.js';
import { capabilitiesAt, nearestExisting, type FilesystemCapabilities } from './fs-capabilities.js';
import { withContentStream } from './content-streams.js';
import { closeFd, fsyncFd, openFd } from './fd.js';
import { hashFile } from './hash.js';
import { SharedSync } from './shared-sync.js';
import { exists } from './exists.js';
import { lstat, stat } from './metadata.js';

/** Options of {@link safeMove}. */
export interface SafeMoveOptions {
  /**
   * SHA-256 (hex) the content had when it was read; what lands at the target must match.
   * May be left out only with a `stamp`, for a move {@link linkedSourceStats} said is a hard link:
   * an unread file is checked by its stamp, and a move that cannot be a link then throws
   * `NOT_HASHED` before touching anything.
   */
  expectedHash?: string;
  /**
   * The source's {@link contentStamp} taken before it was hashed. Where the move is a hard
   * link, a source still carrying it holds the bytes that were hashed (any write moves its
   * mtime and ctime), so the linked file is checked by `stat` instead of read again.
   */
  stamp?: string;
  /** When the target exists: pick `name (1).ext`, `name (2).ext`, … or throw `TARGET_EXISTS`. */
  onExists: 'suffix' | 'fail';
}

/**
 * How a file was put in place: `link` (same filesystem, hard link then unlink the source),
 * `rename` (same filesystem without hard links: the source renamed onto an empty name
 * reserved with O_EXCL) or `copy` (another filesystem: a verified copy, then the source
 * unlinked).
 */
export type MoveStrategy = 'link' | 'rename' | 'copy';

/** Where {@link safeMove} put the file. */
export interface SafeMoveResult {
  /** The final path: the target, or the target with a collision suffix. */
  target: string;
  /** The file was copied across filesystems rather than linked or renamed. */
  crossDevice: boolean;
  strategy: MoveStrategy;
}

/** Ends every temporary copy's name, so recovery and scans can tell one apart. */
export const TEMP_SUFFIX = '.tmp';

/** Highest collision suffix tried before giving up; far beyond any real folder. */
const MAX_SUFFIX = 10_000;

/** Read and write size of a copy: large enough for disk throughput, flat in memory. */
const COPY_CHUNK = 1 << 20;

/**
 * Refusals that mean "not this way here", so the file is copied instead: no hard links on
 * this filesystem or between these mount points (a bind mount shares the device number),
 * or `protected_hardlinks` refusing a file photosortd does not own.
 */
const PLACE_ELSEWHERE = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/**
 * The start of the name of a cross-device copy in progress for `target`; a dotfile, so
 * watchers and library scans pass it by. Recovery looks for leftovers with this prefix.
 */
export function tempPrefix(target: string): string {
  return `.${basename(target)}.photosortd-`;
}

/** `target` with the n-th collision suffix: `IMG_1.jpg` → `IMG_1 (2).jpg`. */
export function suffixedName(target: string, n: number): string {
  if (n === 0) return target;
  const name = basename(target);
  const ext = name.startsWith('.') && extname(name) === name ? '' : extname(name);
  return join(dirname(target), `${name.slice(0, name.length - ext.length)} (${n})${ext}`);
}

/** The first of `target`, `name (1).ext`, `name (2).ext`, … that does not exist yet. */
export async function nextFreeName(target: string): Promise<string> {
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const candidate = suffixedName(target, n);
    if (!(await exists(candidate))) return candidate;
  }
  throw tooManyCollisions(target);
}

/**
 * Moves `source` to `target` without ever overwriting anything and without ever leaving
 * the content in neither place. The way depends on what the target's filesystem can do
 * (probed once per device, see `capabilitiesOf` in fs-capabilities.ts):
 * - same filesystem with hard links: link into place, verify, unlink the source;
 * - same filesystem without hard links (exFAT, FAT32, many NAS and cloud-drive mounts):
 *   verify the source, reserve the target name with `O_CREAT|O_EXCL`, rename onto it;
 * - another filesystem: copy to a temporary name beside the target while hashing what is
 *   read, sync, compare with `expectedHash`, give it the target name (link, or rename onto a
 *   reservation) and only then unlink the source.
 * A plain `rename()` onto a name is never used: it silently replaces an existing target.
 *
 * Throws a {@link PhotosortdError} with the source left where it was: `TARGET_EXISTS`,
 * `SOURCE_CHANGED` (content differs from `expectedHash`), `SOURCE_MISSING`, `NO_SPACE`,
 * `PERMISSION_DENIED` or `MOVE_FAILED`.
 */
export async function safeMove(
  source: string,
  target: string,
  options: SafeMoveOptions,
): Promise<SafeMoveResult> {
  const from = resolve(source);
  const to = resolve(target);
  if (from === to) {
    if (options.expectedHash !== undefined) await verify(from, from, options.expectedHash);
    return { target: to, crossDevice: false, strategy: 'link' };
  }
  const folder = dirname(to);
  const created = await makeFolder(folder, from);
  try {
    // One after the other: a probe must not be left writing into a folder that a failure
    // here (a source gone) removes again.
    const existing = await nearestExisting(folder);
    const capabilities = await capabilitiesAt(existing);
    const sourceStats = await stat(from, { bigint: true });
    const here = sourceStats.dev === existing.device;
    const strategy = chooseStrategy(here, capabilities);
    if (strategy === 'link' || strategy === 'rename') {
      try {
        return strategy === 'link'
          ? {
              target: await moveByLink(from, to, options, sourceStats),
              crossDevice: false,
              strategy: 'link',
            }
          : {
              target: await moveByRename(from, to, {
                ...options,
                expectedHash: options.expectedHash ?? throwNotHashed(from, to),
              }),
              crossDevice: false,
              strategy: 'rename',
            };
      } catch (error) {
        if (!PLACE_ELSEWHERE.has(errorCode(error))) throw error;
      }
    }
    const expectedHash = options.expectedHash ?? throwNotHashed(from, to);
    const placed = await moveByCopy(from, to, { ...options, expectedHash }, capabilities);
    return { target: placed, crossDevice: true, strategy: 'copy' };
  } catch (error) {
    if (created) await removeEmptyFolders(folder, dirname(created));
    throw describe(error, from, to);
  }
}

/**
 * The same-filesystem move with hard links: link into place, verify, unlink the source. With
 * a stamp the verify is by `stat`: the source is checked to carry it before the link (its
 * ctime, which only the kernel sets, moves with any write, even one that puts the mtime
 * back), and the link after it (the link itself moves the ctime, so size and mtime). Without
 * one, or where the stamp no longer holds, the linked file is hashed.
 */
async function moveByLink(
  from: string,
  to: string,
  options: SafeMoveOptions,
  sourceStats: BigIntStats,
): Promise<string> {
  const unchanged = options.stamp !== undefined && contentStamp(sourceStats) === options.stamp;
  // Unread, and changed since its stamp: nothing says what its content should be.
  if (!unchanged && options.expectedHash === undefined) throw sourceChanged(from);
  const placed = await placeNoClobber(from, to, options.onExists, 'link');
  try {
    if (unchanged) await verifyLink(placed, from, sourceStats);
    else await verify(placed, from, options.expectedHash as string);
    await syncFolder(dirname(placed));
  } catch (error) {
    await removeUnlessLastCopy(placed, from, options.expectedHash);
    throw error;
  }
  await unlinkSource(from, placed, options.expectedHash);
  return placed;
}

/**
 * The same-filesystem move where hard links are missing. The source is verified before it
 * is renamed: once renamed there is no second name to fall back to, and none is needed, as
 * the content never leaves its place on the disk.
 */
async function moveByRename(
  from: string,
  to: string,
  options: SafeMoveOptions & { expectedHash: string },
): Promise<string> {
  await verify(from, from, options.expectedHash);
  const placed = await placeNoClobber(from, to, options.onExists, 'rename');
  // The move is done; a folder that refuses a sync cannot undo it.
  await syncFolder(dirname(placed)).catch(() => undefined);
  return placed;
}

async function moveByCopy(
  from: string,
  to: string,
  options: SafeMoveOptions & { expectedHash: string },
  capabilities: FilesystemCapabilities,
): Promise<string> {
  const temp = join(
    dirname(to),
    `${tempPrefix(to)}${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
  );
  const via = capabilities.hardLinks ? 'link' : capabilities.rename ? 'rename' : undefined;
  if (!via) throw cannotPlace(to);
  // The source stays open until it is unlinked: if its disk goes away meanwhile, the open
  // file is how a rollback knows it still exists (see removeUnlessLastCopy).
  const source = await open(from, 'r');
  try {
    let placed: string | undefined;
    try {
      // One of the few whole-file streams at a time (see CONTENT_STREAMS).
      const copied = await withContentStream(() => copyHashing(source, temp));
      if (copied !== options.expectedHash) throw sourceChanged(from);
      placed = await placeNoClobber(temp, to, options.onExists, via);
      if (via === 'link') await unlink(temp);
      await syncFolder(dirname(placed));
    } catch (error) {
      await rm(temp, { force: true });
      if (placed)
        await removeUnlessLastCopy(placed, { path: from, handle: source }, options.expectedHash);
      throw error;
    }
    await unlinkSource({ path: from, handle: source }, placed, options.expectedHash);
    return placed;
  } finally {
    await source.close();
  }
}

/**
 * Copies the open file `input` to the new file `to`, reading it once: the bytes are hashed
 * as they are written, and the copy (with the source's times) is synced before the hash is
 * returned.
 */
async function copyHashing(input: FileHandle, to: string): Promise<string> {
  const hash = createHash('sha256');
  const stats = await input.stat();
  const mode = Number(stats.mode) & 0o777;
  const output = await open(to, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    // The copy keeps the source's permissions, as copyFile did; exFAT and many FUSE mounts
    // have none to set and say so.
    await output.chmod(mode).catch((error: unknown) => {
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error))) throw error;
    });
    const buffer = Buffer.allocUnsafe(Math.min(stats.size + 1, COPY_CHUNK));
    let copied = 0;
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      copied += bytesRead;
      // write() may take less than it is given (a disk filling up): write on until all of
      // it is taken, or the disk says why not.
      for (let done = 0; done < bytesRead;) {
        done += (await output.write(buffer, done, bytesRead - done)).bytesWritten;
      }
    }
    await output.utimes(stats.atime, stats.mtime);
    await output.sync();
    if ((await output.stat()).size !== copied) throw shortCopy(to, copied);
  } finally {
    await output.close();
  }
  return hash.digest('hex');
}

/**
 * Gives `file` the name `target`, or its first free numbered variant, without replacing
 * anything: a hard link (the old name stays), or a rename onto a name first reserved as an
 * empty file with `O_CREAT|O_EXCL` (an empty reservation is dropped again if the rename
 * fails). Returns the name taken.
 */
async function placeNoClobber(
  file: string,
  target: string,
  onExists: SafeMoveOptions['onExists'],
  via: 'link' | 'rename',
): Promise<string> {
  if (via === 'link') return claimName(file, target, onExists, (name) => link(file, name));
  const reserved = await claimName(file, target, onExists, reserve);
  try {
    await rename(file, reserved);
  } catch (error) {
    await dropReservation(reserved);
    throw error;
  }
  return reserved;
}

/** Runs `take` on `target`, then on `name (1).ext`, … until one is not already there. */
async function claimName(
  file: string,
  target: string,
  onExists: SafeMoveOptions['onExists'],
  take: (name: string) => Promise<unknown>,
): Promise<string> {
  let recreated = false;
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const candidate = suffixedName(target, n);
    try {
      await take(candidate);
      return candidate;
    } catch (error) {
      // An undo or a Live Photo's video leaving a folder may just have removed this one as
      // empty (`removeEmptyFolders`); make it again, once.
      if (errorCode(error) === 'ENOENT' && !recreated && (await exists(file))) {
        recreated = true;
        await mkdir(dirname(candidate), { recursive: true });
        n -= 1;
        continue;
      }
      if (errorCode(error) !== 'EEXIST') throw error;
      if (onExists === 'fail') {
        throw new PhotosortdError(
          'TARGET_EXISTS',
          `${target} already exists, so ${basename(file)} was not moved there; ` +
            'nothing was overwritten. Move or rename the file that is in the way and try again.',
        );
      }
    }
  }
  throw tooManyCollisions(target);
}

/** Creates `path` as an empty file, failing with EEXIST when anything is there. */
async function reserve(path: string): Promise<void> {
  const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
  await handle.close();
}

/** Removes a reservation made by {@link reserve}, unless something was written into it. */
async function dropReservation(path: string): Promise<void> {
  const stats = await stat(path).catch(() => undefined);
  if (stats?.isFile() && stats.size === 0) await rm(path, { force: true });
}

/**
 * The other copy a rollback weighs: a path, or for a copy across filesystems the source by
 * its path and its still open file.
 */
export type Keeper = string | { path: string; handle: FileHandle };

/**
 * Unlinks the source once `placed` holds its content. If that fails the placed file is
 * rolled back unless it is the last copy; a source removed by someone else in the meantime
 * (not a disk gone away) leaves the move complete, as the placed file is then the only copy.
 */
async function unlinkSource(
  source: Keeper,
  placed: string,
  expectedHash: string | undefined,
): Promise<void> {
  const from = typeof source === 'string' ? source : source.path;
  try {
    await unlink(from);
  } catch (error) {
    if (await removeUnlessLastCopy(placed, source, expectedHash)) throw error;
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
}

/**
 * Removes `path` only when it is not the last copy: the keeper still exists and is the very
 * same file (device and inode), or both hold `hash`, the content of record (when there is
 * one); or the keeper's
 * name is gone but `path` has another name (a hard link the keeper's vanished mount still
 * holds). An open keeper whose name is gone counts as existing only when its folder's disk
 * went away (an unmounted inbox), not when the file was deleted. Otherwise both are kept.
 * Every rollback of a placed file and every clean-up in recovery goes through this.
 * Returns whether `path` was removed.
 */
export async function removeUnlessLastCopy(
  path: string,
  keeper: Keeper,
  hash: string | null | undefined,
): Promise<boolean> {
  const copy = await statOrNull(path);
  if (!copy) return false;
  const kept = await keeperStats(keeper);
  if (!kept) {
    if (copy.nlink < 2n) return false;
  } else if (!sameFile(copy, kept)) {
    // Two files and no content of record (an unread file's row): both stay.
    if (!hash) return false;
    if ((await hashKeeper(keeper)) !== hash || (await hashFile(path)) !== hash) return false;
  }
  await rm(path, { force: true });
  return true;
}

/** The keeper's stats while it exists (see {@link removeUnlessLastCopy}), else `null`. */
async function keeperStats(keeper: Keeper): Promise<BigIntStats | null> {
  if (typeof keeper === 'string') {
    const stats = await statOrNull(keeper);
    return stats?.isFile() ? stats : null;
  }
  const open = await keeper.handle.stat({ bigint: true });
  if (open.nlink === 0n) return null;
  const named = await statOrNull(keeper.path);
  if (named && sameFile(named, open)) return open;
  const folder = await statOrNull(dirname(keeper.path));
  return !folder || folder.dev !== open.dev ? open : null;
}

async function hashKeeper(keeper: Keeper): Promise<string> {
  if (typeof keeper === 'string') return hashFile(keeper);
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(COPY_CHUNK);
  for (let position = 0; ;) {
    const { bytesRead } = await keeper.handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return hash.digest('hex');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** Whether two stats are of one file: the same device and inode (as exact 64-bit numbers). */
export function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** The stats of `path` (not following a last symlink), or `null` when nothing is there. */
async function statOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * What a file's content was when it was read, as far as `stat` can tell: size, mtime and
 * ctime in nanoseconds. Taken before a file is hashed; equal again later, the file holds the
 * bytes that were hashed.
 */
export function contentStamp(stats: BigIntStats): string {
  return `${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * How {@link safeMove} would put a file from `from` (a file or folder) into the folder
 * `folder` (or the nearest existing parent it would be made in): `link` or `rename` on the
 * same filesystem as its hard links allow, else `copy`; `none` where the target's
 * filesystem takes neither a hard link nor a rename onto a reserved name.
 */
export async function moveStrategy(from: string, folder: string): Promise<MoveStrategy | 'none'> {
  return (await strategyFor(() => stat(from, { bigint: true }), folder)).strategy;
}

/** The strategy for a source whose stats `statSource` gives, into `folder`, with those stats. */
async function strategyFor(
  statSource: () => Promise<BigIntStats>,
  folder: string,
): Promise<{ source: BigIntStats; strategy: MoveStrategy | 'none' }> {
  const existing = await nearestExisting(resolve(folder));
  const [source, capabilities] = await Promise.all([statSource(), capabilitiesAt(existing)]);
  return { source, strategy: chooseStrategy(source.dev === existing.device, capabilities) };
}

/** The strategy for a move on one filesystem or across two, given what the target allows. */
function chooseStrategy(
  sameDevice: boolean,
  capabilities: FilesystemCapabilities,
): MoveStrategy | 'none' {
  if (sameDevice && capabilities.hardLinks) return 'link';
  if (sameDevice && capabilities.rename) return 'rename';
  return capabilities.hardLinks || capabilities.rename ? 'copy' : 'none';
}

/**
 * The source's own stats (`lstat`) when {@link safeMove} would move it to `target` by hard
 * link, the only move that can be made without reading the file; `null` otherwise.
 */
export async function linkedSourceStats(
  source: string,
  target: string,
): Promise<BigIntStats | null> {
  const { source: stats, strategy } = await strategyFor(
    () => lstat(source, { bigint: true }),
    dirname(target),
  );
  return strategy === 'link' ? stats : null;
}

/** For a move without a hash that turned out not to be a link (see {@link linkedSourceStats}). */
function throwNotHashed(source: string, target: string): never {
  throw new PhotosortdError(
    'NOT_HASHED',
    `${source} could not be hard-linked to ${target} and had not been read, so a copy could ` +
      'not be verified; nothing was moved. It is read and filed on the next try.',
  );
}

/** Checks that `placed`, just linked to the source of `stats`, is that file, unwritten since. */
async function verifyLink(placed: string, source: string, stats: BigIntStats): Promise<void> {
  const now = await lstat(placed, { bigint: true });
  const same = sameFile(now, stats) && now.size === stats.size && now.mtimeNs === stats.mtimeNs;
  if (!same) throw sourceChanged(source);
}

async function verify(path: string, source: string, expectedHash: string): Promise<void> {
  if ((await hashFile(path)) !== expectedHash) throw sourceChanged(source);
}

function sourceChanged(source: string): PhotosortdError {
  return new PhotosortdError(
    'SOURCE_CHANGED',
    `${source} changed while it was being filed (its content no longer matches what was ` +
      'read), so it was left where it is. It is handled again once it stops changing.',
  );
}

/** Creates `folder` with its parents; returns the first folder created, if any. */
async function makeFolder(folder: string, source: string): Promise<string | undefined> {
  try {
    const created = await mkdir(folder, { recursive: true });
    if (created) {
      // New folder entries must reach the disk too, or a crash could orphan the file.
      for (let dir = folder; dir !== dirname(created); dir = dirname(dir)) {
        await syncFolder(dirname(dir));
      }
    }
    return created;
  } catch (error) {
    throw describe(error, source, join(folder, basename(source)));
  }
}

/**
 * Removes the folder `from` and its parents up to (not including) `stop` while they are
 * empty; `rmdir` refuses a non-empty folder, so nothing but empty folders can go.
 */
export async function removeEmptyFolders(from: string, stop: string): Promise<void> {
  const inside = relative(stop, from);
  if (!inside || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return;
  for (let dir = from; dir !== stop && dir !== dirname(dir); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

/** The folders being synced now, each shared by the moves into it that wait (see SharedSync). */
const folderSyncs = new Map<string, SharedSync>();

/**
 * Directory fsync is what makes a new name durable, so the target's folder is synced before
 * the source is unlinked: a power cut can then never keep the unlink and lose the link. The
 * source's folder is not synced: a lost unlink only brings back a second copy, which
 * recovery or the duplicate policy deals with. Moves into one folder that wait together
 * share a sync, as a card's photos of one day do.
 */
async function syncFolder(dir: string): Promise<void> {
  let shared = folderSyncs.get(dir);
  if (!shared) {
    shared = new SharedSync(() => fsyncFolder(dir));
    folderSyncs.set(dir, shared);
  }
  try {
    await shared.durable();
  } finally {
    if (shared.idle && folderSyncs.get(dir) === shared) folderSyncs.delete(dir);
  }
}

/** One fsync of a folder; some platforms refuse a directory fsync, which is then skipped. */
async function fsyncFolder(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = await openFd(dir, 'r');
    await fsyncFd(fd);
  } catch (error) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errorCode(error))) throw error;
  } finally {
    if (fd !== undefined) await closeFd(fd);
  }
}

function tooManyCollisions(target: string): PhotosortdError {
  return new PhotosortdError(
    'TARGET_EXISTS',
    `${target} and ${MAX_SUFFIX} numbered variants of it already exist; nothing was overwritten. ` +
      'Check the rule that sends so many files to the same name.',
  );
}

function shortCopy(temp: string, copied: number): PhotosortdError {
  return new PhotosortdError(
    'MOVE_FAILED',
    `The copy ${temp} does not hold the ${copied} bytes written to it; it was removed and ` +
      'the source kept. Check the disk it is on.',
  );
}

function cannotPlace(target: string): PhotosortdError {
  return new PhotosortdError(
    'MOVE_FAILED',
    `The filesystem of ${dirname(target)} supports neither hard links nor renaming a file ` +
      'onto a reserved name, so nothing can be filed there without risking an overwrite. ' +
      'Use a library on another filesystem.',
  );
}

/** Turns a system error into one that says which file, what happened and what to do. */
function describe(error: unknown, source: string, target: string): PhotosortdError {
  if (error instanceof PhotosortdError) return error;
  const code = errorCode(error);
  const where = dirname(target);
  const kept = `${source} was left where it was`;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new PhotosortdError(
        'NO_SPACE',
        `Not enough space in ${where} to file ${basename(source)}; ${kept}. ` +
          'Free some space (or raise the quota) and scan again.',
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new PhotosortdError(
        'PERMISSION_DENIED',
        `Permission denied filing ${basename(source)} into ${where} (${errorMessage(error)}); ` +
          `${kept}. Let the photosortd user write to both folders.`,
        { cause: error },
      );
    case 'ENOENT':
      return new PhotosortdError(
        'SOURCE_MISSING',
        `${source} disappeared before it could be filed (moved or deleted by someone else).`,
        { cause: error },
      );
    default:
      return new PhotosortdError(
        'MOVE_FAILED',
        `Could not move ${source} to ${target} (${errorMessage(error)}); ${kept}.`,
        { cause: error },
      );
  }
}

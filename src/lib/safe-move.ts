import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, rm, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorCode, errorMessage, PhotosortdError } from './errors.js';
import { hashFile } from './hash.js';
import { exists } from './exists.js';

/** Options of {@link safeMove}. */
export interface SafeMoveOptions {
  /** SHA-256 (hex) the content had when it was read; what lands at the target must match. */
  expectedHash: string;
  /** When the target exists: pick `name (1).ext`, `name (2).ext`, … or throw `TARGET_EXISTS`. */
  onExists: 'suffix' | 'fail';
}

/** Where {@link safeMove} put the file. */
export interface SafeMoveResult {
  /** The final path: the target, or the target with a collision suffix. */
  target: string;
  /** The file was copied across filesystems rather than linked. */
  crossDevice: boolean;
}

/** Ends every temporary copy's name, so recovery and scans can tell one apart. */
export const TEMP_SUFFIX = '.tmp';

/** Highest collision suffix tried before giving up; far beyond any real folder. */
const MAX_SUFFIX = 10_000;

/** `link()` refusals that mean "this filesystem cannot hard-link here", so copy instead. */
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

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
 * the content in neither place. On one filesystem the file is hard-linked into place and
 * the source unlinked; across filesystems it is copied to a temporary name beside the
 * target, synced, verified against `expectedHash`, linked into place and only then is the
 * source unlinked. `rename()` is never used: it silently replaces an existing target.
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
    await verify(from, from, options.expectedHash);
    return { target: to, crossDevice: false };
  }
  const folder = dirname(to);
  const created = await makeFolder(folder, from);
  try {
    try {
      return { target: await moveByLink(from, to, options), crossDevice: false };
    } catch (error) {
      if (!LINK_UNSUPPORTED.has(errorCode(error))) throw error;
    }
    return { target: await moveByCopy(from, to, options), crossDevice: true };
  } catch (error) {
    if (created) await removeEmptyFolders(folder, dirname(created));
    throw describe(error, from, to);
  }
}

async function moveByLink(from: string, to: string, options: SafeMoveOptions): Promise<string> {
  const placed = await linkNoClobber(from, to, options.onExists);
  try {
    await verify(placed, from, options.expectedHash);
    await syncFolder(dirname(placed));
    await unlink(from);
  } catch (error) {
    // The source still names the same inode, so dropping the new name loses nothing.
    await unlink(placed);
    throw error;
  }
  return placed;
}

async function moveByCopy(from: string, to: string, options: SafeMoveOptions): Promise<string> {
  const temp = join(
    dirname(to),
    `${tempPrefix(to)}${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
  );
  let placed: string | undefined;
  try {
    const before = await stat(from);
    await copyFile(from, temp, constants.COPYFILE_EXCL);
    await utimes(temp, before.atime, before.mtime);
    await syncFile(temp);
    await verify(temp, from, options.expectedHash);
    placed = await linkNoClobber(temp, to, options.onExists);
    await unlink(temp);
    await syncFolder(dirname(to));
    await unlink(from);
  } catch (error) {
    await rm(temp, { force: true });
    // Until the source is unlinked it is the copy of record; the verified copy can go.
    if (placed) await rm(placed, { force: true });
    throw error;
  }
  return placed;
}

async function linkNoClobber(
  existing: string,
  target: string,
  onExists: SafeMoveOptions['onExists'],
): Promise<string> {
  let recreated = false;
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const candidate = suffixedName(target, n);
    try {
      await link(existing, candidate);
      return candidate;
    } catch (error) {
      // An undo or a Live Photo's video leaving a folder may just have removed this one as
      // empty (`removeEmptyFolders`); make it again, once.
      if (errorCode(error) === 'ENOENT' && !recreated && (await exists(existing))) {
        recreated = true;
        await mkdir(dirname(candidate), { recursive: true });
        n -= 1;
        continue;
      }
      if (errorCode(error) !== 'EEXIST') throw error;
      if (onExists === 'fail') {
        throw new PhotosortdError(
          'TARGET_EXISTS',
          `${target} already exists, so ${basename(existing)} was not moved there; ` +
            'nothing was overwritten. Move or rename the file that is in the way and try again.',
        );
      }
    }
  }
  throw tooManyCollisions(target);
}

async function verify(path: string, source: string, expectedHash: string): Promise<void> {
  const actual = await hashFile(path);
  if (actual !== expectedHash) {
    throw new PhotosortdError(
      'SOURCE_CHANGED',
      `${source} changed while it was being filed (its content no longer matches what was ` +
        'read), so it was left where it is. It is handled again once it stops changing.',
    );
  }
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

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Directory fsync is what makes a new name durable, so the target's folder is synced before
 * the source is unlinked: a power cut can then never keep the unlink and lose the link. The
 * source's folder is not synced: a lost unlink only brings back a second copy, which
 * recovery or the duplicate policy deals with. Some platforms refuse a directory fsync.
 */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errorCode(error))) throw error;
  } finally {
    await handle?.close();
  }
}

function tooManyCollisions(target: string): PhotosortdError {
  return new PhotosortdError(
    'TARGET_EXISTS',
    `${target} and ${MAX_SUFFIX} numbered variants of it already exist; nothing was overwritten. ` +
      'Check the rule that sends so many files to the same name.',
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

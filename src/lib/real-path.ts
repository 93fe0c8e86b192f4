import { lstat, readdir, realpath, stat } from './metadata.js';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { errorCode, errorMessage, PhotosortdError } from './errors.js';
import { isInside } from './sanitize.js';

/**
 * Identity of files and folders by what they are on disk rather than by how a path spells
 * them: a symlink, a bind mount or a case-insensitive alias can give one folder many names,
 * and a folder swapped for a symlink keeps its name while pointing elsewhere.
 */

/** What names one file or folder whatever the path: its device and inode. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * `path` with every symlink resolved. A path that does not exist (yet) keeps its missing tail
 * as written below the real path of its deepest existing ancestor.
 */
async function realPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch (error) {
    const parent = dirname(absolute);
    if (errorCode(error) !== 'ENOENT' || parent === absolute) throw error;
    return join(await realPath(parent), basename(absolute));
  }
}

/**
 * {@link realPath} with each existing component spelled as its folder lists it. On a
 * case-insensitive filesystem `LIBRARY` opens `Library`, and realpath keeps the spelling it
 * was given; FUSE filesystems (exFAT, rclone) may even give the two spellings different inode
 * numbers, so only the folder's own listing tells that they are one.
 */
async function canonicalPath(path: string): Promise<string> {
  const real = await realPath(path);
  let canonical: string = sep;
  for (const part of real.split(sep).filter((name) => name !== '')) {
    canonical = join(canonical, await listedName(canonical, part));
  }
  return canonical;
}

/** How `folder` lists the entry that `name` opens: `name` itself, or its one case-variant. */
async function listedName(folder: string, name: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return name;
  }
  if (names.includes(name)) return name;
  const folded = name.normalize('NFC').toLowerCase();
  const matches = names.filter((entry) => entry.normalize('NFC').toLowerCase() === folded);
  return matches.length === 1 ? matches[0]! : name;
}

/** The device and inode `path` leads to (links followed), or `undefined` when there is none. */
export async function identityOf(path: string): Promise<FileIdentity | undefined> {
  try {
    const info = await stat(path);
    return { dev: info.dev, ino: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Whether two identities name the same file. */
export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Whether the folder `inner` is `outer` or lies below it, judged on what they are: real paths
 * in the spelling their folders list (see {@link canonicalPath}) first, then the device and inode of `inner` and each of its real ancestors against `outer`'s,
 * which also sees through bind mounts and case-insensitive aliases. Folders that do not exist
 * are compared on their real paths alone.
 */
export async function folderWithin(outer: string, inner: string): Promise<boolean> {
  const [realOuter, realInner] = await Promise.all([canonicalPath(outer), canonicalPath(inner)]);
  if (realOuter === realInner || isInside(realOuter, realInner)) return true;
  const target = await identityOf(realOuter);
  if (!target) return false;
  for (let folder = realInner; ; folder = dirname(folder)) {
    if (sameIdentity(await identityOf(folder), target)) return true;
    if (dirname(folder) === folder) return false;
  }
}

/**
 * Throws `SOURCE_OUTSIDE_INBOX` unless `source`, with every link on its way resolved, still
 * lies inside the real path of `root` — the folder it was found in. Called right before a
 * move: a folder of the inbox swapped for a symlink would otherwise make the move take a file
 * from wherever the link points. A source that is gone passes: the move finds nothing to take.
 */
export async function assertInsideRoot(source: string, root: string): Promise<void> {
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(source), realpath(root)]);
  } catch (error) {
    // A source that is gone takes nothing from anywhere; the move itself reports it.
    if (errorCode(error) === 'ENOENT') return;
    throw new PhotosortdError(
      'SOURCE_UNRESOLVED',
      `${source} could not be resolved before moving it (${errorMessage(error)}); it was left where it is.`,
      { cause: error },
    );
  }
  if (isInside(realRoot, real)) return;
  throw new PhotosortdError(
    'SOURCE_OUTSIDE_INBOX',
    `${source} now leads to ${real}, outside ${root} (a folder on its way was replaced by a ` +
      'symbolic link or a mount), so it was not taken; nothing outside the inbox is moved. ' +
      'Put the files themselves into the inbox.',
  );
}

/**
 * Throws `SYMLINK_ON_PATH` when a folder on the way from `root` (not included) down to
 * `path`'s parent is a symbolic link (or not a folder), so that nothing is written through a
 * link to some other place. Folders that do not exist yet are fine: they are made as real
 * folders. With `root` not above `path`, every folder from `/` down is checked.
 */
export async function assertNoLinkedFolder(root: string, path: string): Promise<void> {
  const base = isInside(root, path) ? resolve(root) : sep;
  const parts = relative(base, dirname(resolve(path)))
    .split(sep)
    .filter((part) => part !== '');
  let folder = base;
  for (const part of parts) {
    folder = join(folder, part);
    let info;
    try {
      info = await lstat(folder);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    if (info.isSymbolicLink() || !info.isDirectory()) {
      throw new PhotosortdError(
        'SYMLINK_ON_PATH',
        `${folder} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'} now, so nothing ` +
          `is written through it to ${path}; make it a real folder again (or move it away) and retry.`,
      );
    }
  }
}

/**
 * Throws `LIBRARY_UNAVAILABLE` unless `library` is a folder on the device it was on at start.
 * Called right before folders are made in it: on an unmounted disk the mount point is an
 * empty folder of the parent's device, and filing there would hide photos under the disk
 * once it is mounted again.
 */
export async function assertLibraryDevice(library: string, device: number): Promise<void> {
  const problem = await libraryProblem(library, device);
  if (problem) throw libraryUnavailable(library, problem);
}

/** The `LIBRARY_UNAVAILABLE` error for a library that is `problem` (see {@link libraryProblem}). */
export function libraryUnavailable(library: string, problem: string): PhotosortdError {
  return new PhotosortdError(
    'LIBRARY_UNAVAILABLE',
    `the library ${library} is ${problem}, so nothing is filed into it; files stay in the ` +
      'inbox until it is back (mount the disk again, or restart photosortd if the library ' +
      'moved to another disk for good).',
  );
}

/**
 * What is at `path` as a folder: its identity, or why there is none usable (`missing`,
 * `not a folder`, or the error code of `stat`). Inboxes and the library are both watched for
 * vanishing and coming back through it.
 */
export async function examineFolder(
  path: string,
): Promise<{ identity: FileIdentity } | { problem: string }> {
  try {
    const info = await stat(path);
    return info.isDirectory()
      ? { identity: { dev: info.dev, ino: info.ino } }
      : { problem: 'not a folder' };
  } catch (error) {
    const code = errorCode(error);
    return { problem: code === 'ENOENT' ? 'missing' : code };
  }
}

/**
 * Why `library` cannot be filed into now (see {@link examineFolder}, or `on another device
 * than at start`), or `undefined` when it is a folder on `device`, the one it was on at start.
 */
export async function libraryProblem(library: string, device: number): Promise<string | undefined> {
  const found = await examineFolder(library);
  if ('problem' in found) return found.problem;
  return found.identity.dev === device ? undefined : 'on another device than at start (unmounted?)';
}

import { opendir } from 'node:fs/promises';
import { lstat } from '../lib/metadata.js';
import { join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';
import { errorCode } from '../lib/errors.js';
import { groupedByFolder } from '../pipeline/groups/grouping.js';
import type { FileJob } from '../pipeline/job.js';
import { contentIdReader, pairLivePhotos } from '../pipeline/live-photo.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { REPLACEMENT, renameUndecodable } from '../lib/undecodable-names.js';
import { inProgressMatcher, isInProgressName, type InProgressMatcher } from './in-progress.js';

/** Options of {@link walkFiles}. */
export interface WalkOptions {
  /** Names of files still being written, passed over (default: the built-in list). */
  inProgress?: InProgressMatcher;
  /** Give names that are not UTF-8 a valid one first; only a scan that files renames. */
  renameUndecodable?: boolean;
}

/**
 * Walks a folder depth-first without following links, yielding every file as a job: a
 * folder's own files first, then its subfolders', so companions can be grouped per folder.
 * Hidden files and names of files still being written (in-progress.ts, plus `inProgress`)
 * are passed over, as the daemon does. A file gone between the listing and its `lstat` (a
 * running daemon filed it) is still yielded: identify reports it as `NOT_FOUND`, one "gone"
 * result, and the walk goes on; a subfolder gone before it is opened is empty.
 */
export async function* walkFiles(
  dirPath: string,
  root = dirPath,
  options: WalkOptions = {},
): AsyncGenerator<FileJob> {
  const inProgress = options.inProgress ?? isInProgressName;
  const dir = await opendir(dirPath).catch((error: unknown) => {
    if (dirPath !== root && errorCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (!dir) return;
  const subfolders: string[] = [];
  let undecodable = false;
  for await (const entry of dir) {
    if (entry.name.startsWith('.') || inProgress(entry.name)) continue;
    const path = join(dirPath, entry.name);
    if (entry.name.includes(REPLACEMENT)) {
      // A name that is not UTF-8 names no file as a string: it is renamed below, or in a dry
      // run (which changes nothing) reported as it is.
      undecodable = true;
      if (!options.renameUndecodable) yield undecodableJob(path, root);
    } else if (entry.isDirectory()) {
      subfolders.push(path);
    } else {
      const info = await lstat(path).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
      });
      yield { source: path, root, size: info?.size ?? 0, mtimeMs: info?.mtimeMs ?? 0 };
    }
  }
  if (undecodable && options.renameUndecodable) {
    for (const { path } of await renameUndecodable(dirPath)) {
      const info = await lstat(path);
      if (info.isDirectory()) subfolders.push(path);
      else yield { source: path, root, size: info.size, mtimeMs: info.mtimeMs };
    }
  }
  for (const path of subfolders) yield* walkFiles(path, root, options);
}

/** A file whose name is not UTF-8, in a dry run: reported, not renamed. */
function undecodableJob(path: string, root: string): FileJob {
  return {
    source: path,
    root,
    size: 0,
    mtimeMs: 0,
    error: {
      code: 'NAME_NOT_UTF8',
      stage: 'identify',
      message:
        `${path}: its name is not valid UTF-8 (shown with \uFFFD); a scan without --dry-run ` +
        'and the daemon rename it in place, each bad byte as %XX, then file it',
    },
  };
}

/**
 * Queues every file under `dir` on `pipeline` the way `scan` does: grouped per folder with
 * their companions, Live Photo halves paired by ContentIdentifier, and no faster than the
 * pipeline takes them (`backlog` files waiting at most). `onFound` hears of each job queued.
 * Resolves once every file is queued; `pipeline.onIdle()` says when they are handled.
 */
export async function feedFolder(
  dir: string,
  pipeline: Pipeline,
  options: {
    exiftool: ExifTool;
    backlog: number;
    onFound?: (job: FileJob) => void;
    /** Names of files still being written, beyond the built-in ones (config `inProgress`). */
    inProgress?: readonly string[];
    /** Give names that are not UTF-8 a valid one first (see undecodable-names.ts). */
    renameUndecodable?: boolean;
  },
): Promise<void> {
  const readIds = contentIdReader(options.exiftool);
  const pairing = (groups: FileJob[]) => pairLivePhotos(groups, readIds);
  const files = walkFiles(dir, dir, {
    inProgress: inProgressMatcher(options.inProgress),
    renameUndecodable: options.renameUndecodable ?? false,
  });
  for await (const job of groupedByFolder(files, pairing)) {
    options.onFound?.(job);
    // Backpressure: a folder of 100,000 files is walked no faster than it is handled.
    await pipeline.onWaitingBelow(options.backlog);
    void pipeline.add(job);
  }
}

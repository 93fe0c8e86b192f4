import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';
import { groupedByFolder } from '../pipeline/companions.js';
import type { FileJob } from '../pipeline/job.js';
import { contentIdReader, pairLivePhotos } from '../pipeline/live-photo.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { REPLACEMENT, renameUndecodable } from '../lib/undecodable-names.js';
import { isPartialOrHidden } from './watched-inbox.js';

/**
 * Walks a folder depth-first without following links, yielding every file as a job: a
 * folder's own files first, then its subfolders', so companions can be grouped per folder.
 * Partial downloads and hidden files are passed over, as the watcher does.
 */
export async function* walkFiles(
  dirPath: string,
  root = dirPath,
  // Only a scan that files renames: the library's index, for one, reads without changing.
  options: { renameUndecodable: boolean } = { renameUndecodable: false },
): AsyncGenerator<FileJob> {
  const dir = await opendir(dirPath);
  const subfolders: string[] = [];
  let undecodable = false;
  for await (const entry of dir) {
    if (isPartialOrHidden(entry.name)) continue;
    const path = join(dirPath, entry.name);
    if (entry.name.includes(REPLACEMENT)) {
      // A name that is not UTF-8 names no file as a string: it is renamed below, or in a dry
      // run (which changes nothing) reported as it is.
      undecodable = true;
      if (!options.renameUndecodable) yield undecodableJob(path, root);
    } else if (entry.isDirectory()) {
      subfolders.push(path);
    } else {
      const info = await lstat(path);
      yield { source: path, root, size: info.size, mtimeMs: info.mtimeMs };
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
    /** Give names that are not UTF-8 a valid one first (see undecodable-names.ts). */
    renameUndecodable?: boolean;
  },
): Promise<void> {
  const readIds = contentIdReader(options.exiftool);
  const pairing = (groups: FileJob[]) => pairLivePhotos(groups, readIds);
  const renameUndecodable = options.renameUndecodable ?? false;
  for await (const job of groupedByFolder(walkFiles(dir, dir, { renameUndecodable }), pairing)) {
    options.onFound?.(job);
    // Backpressure: a folder of 100,000 files is walked no faster than it is handled.
    await pipeline.onWaitingBelow(options.backlog);
    void pipeline.add(job);
  }
}

import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';
import { errorCode } from '../lib/errors.js';
import { groupedByFolder } from '../pipeline/groups/grouping.js';
import type { FileJob } from '../pipeline/job.js';
import { contentIdReader, pairLivePhotos } from '../pipeline/live-photo.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { inProgressMatcher, isInProgressName, type InProgressMatcher } from './in-progress.js';

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
  inProgress: InProgressMatcher = isInProgressName,
): AsyncGenerator<FileJob> {
  const dir = await opendir(dirPath).catch((error: unknown) => {
    if (dirPath !== root && errorCode(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (!dir) return;
  const subfolders: string[] = [];
  for await (const entry of dir) {
    if (entry.name.startsWith('.') || inProgress(entry.name)) continue;
    const path = join(dirPath, entry.name);
    if (entry.isDirectory()) {
      subfolders.push(path);
      continue;
    }
    const info = await lstat(path).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    yield { source: path, root, size: info?.size ?? 0, mtimeMs: info?.mtimeMs ?? 0 };
  }
  for (const path of subfolders) yield* walkFiles(path, root, inProgress);
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
  },
): Promise<void> {
  const readIds = contentIdReader(options.exiftool);
  const pairing = (groups: FileJob[]) => pairLivePhotos(groups, readIds);
  const files = walkFiles(dir, dir, inProgressMatcher(options.inProgress));
  for await (const job of groupedByFolder(files, pairing)) {
    options.onFound?.(job);
    // Backpressure: a folder of 100,000 files is walked no faster than it is handled.
    await pipeline.onWaitingBelow(options.backlog);
    void pipeline.add(job);
  }
}

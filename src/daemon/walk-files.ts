import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';
import { groupedByFolder } from '../pipeline/companions.js';
import type { FileJob } from '../pipeline/job.js';
import { contentIdReader, pairLivePhotos } from '../pipeline/live-photo.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { isPartialOrHidden } from './watched-inbox.js';

/**
 * Walks a folder depth-first without following links, yielding every file as a job: a
 * folder's own files first, then its subfolders', so companions can be grouped per folder.
 * Partial downloads and hidden files are passed over, as the watcher does.
 */
export async function* walkFiles(dirPath: string, root = dirPath): AsyncGenerator<FileJob> {
  const dir = await opendir(dirPath);
  const subfolders: string[] = [];
  for await (const entry of dir) {
    if (isPartialOrHidden(entry.name)) continue;
    const path = join(dirPath, entry.name);
    if (entry.isDirectory()) {
      subfolders.push(path);
    } else {
      const info = await lstat(path);
      yield { source: path, root, size: info.size, mtimeMs: info.mtimeMs };
    }
  }
  for (const path of subfolders) yield* walkFiles(path, root);
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
  options: { exiftool: ExifTool; backlog: number; onFound?: (job: FileJob) => void },
): Promise<void> {
  const readIds = contentIdReader(options.exiftool);
  const pairing = (groups: FileJob[]) => pairLivePhotos(groups, readIds);
  for await (const job of groupedByFolder(walkFiles(dir), pairing)) {
    options.onFound?.(job);
    // Backpressure: a folder of 100,000 files is walked no faster than it is handled.
    await pipeline.onWaitingBelow(options.backlog);
    void pipeline.add(job);
  }
}

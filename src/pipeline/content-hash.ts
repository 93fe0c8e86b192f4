import { lstat } from '../lib/metadata.js';
import { hashFileSeeing } from '../lib/hash.js';
import { contentStamp } from '../lib/safe-move.js';
import type { FileJob } from './job.js';

/**
 * Files smaller than this are hashed as soon as they are identified; larger ones only when
 * something needs their content (see {@link withHash}). Reading 1 MiB costs about 0.5 ms
 * here, less than the rest of filing a file, and small files (thumbnails, generated images,
 * screenshots) often share a size, which would make every one of them a candidate duplicate
 * to be read anyway. A 12 MP JPEG (4 MB), a RAW (25 MB) or a video (hundreds of MB) is read
 * only when the library holds a file of its size, it is tagged, or it is copied (a copy
 * hashes what it reads); moved by hard link it is never read at all.
 */
export const HASH_ON_SIGHT_BELOW = 1 << 20;

/** Whether {@link identify} hashes a file of this size (below {@link HASH_ON_SIGHT_BELOW}). */
export const hashedOnSight = (size: number): boolean => size < HASH_ON_SIGHT_BELOW;

/**
 * The job with its content hash, read now if it was not yet, and the stamp (size, mtime,
 * ctime) taken right before that read, which a later hard link is checked against.
 */
export async function withHash(
  job: FileJob,
  options: { keepSeen?: boolean } = {},
): Promise<FileJob> {
  if (job.hash) return job;
  const stamp = contentStamp(await lstat(job.source, { bigint: true }));
  const { hash, seen } = await hashFileSeeing(job.source);
  // What the read saw is kept only for the exif stage, which drops it (identify's read).
  return options.keepSeen ? { ...job, stamp, hash, seen } : { ...job, stamp, hash };
}

/** What the planner needs to know about the library's content (the library index). */
export interface ContentLookup {
  /**
   * Library paths holding this content: `original`, another file, and `itself`, the file at
   * `source` under another library name (same device and inode).
   */
  lookup(hash: string, source: string): { original?: string; itself?: string };
  /** Whether a library file has this size: only then can a file be a duplicate. */
  holdsSize(size: number): boolean;
  /**
   * Hashes the library files that could hold the content: of this size, and with `sample`,
   * with that sample of their ends. Resolves to whether there are any.
   */
  hashCandidates(size: number, sample?: string): Promise<boolean>;
}

/**
 * The job, hashed when the library holds a file that could have its content, with those
 * library files hashed too, so that `lookup` sees them. A small file (hashed on sight) is
 * compared with every library file of its size; a large one first by the sample of its ends
 * (identify's), so that files of one size (uncompressed RAW, a camera's fixed-size video
 * chunks) are not read whole for being alike in size alone.
 */
export async function hashedIfSizeHeld(index: ContentLookup, job: FileJob): Promise<FileJob> {
  if (job.error || !index.holdsSize(job.size)) return job;
  if (job.hash) {
    await index.hashCandidates(job.size);
    return job;
  }
  return (await index.hashCandidates(job.size, job.sample)) ? withHash(job) : job;
}

/**
 * The key under which files run the planner and the mover one at a time: equal content
 * must meet there, so that the second becomes a duplicate rather than a ` (1)` copy. A
 * small file is keyed by its hash; a larger one, which may not be read, by its size and the
 * sample of its ends (equal content has equal ones), so the second waits for the first to
 * be filed and indexed.
 */
export function contentLockKey(job: FileJob): string | undefined {
  if (job.error) return undefined;
  return hashedOnSight(job.size) ? job.hash : `${job.size}:${job.sample ?? ''}`;
}

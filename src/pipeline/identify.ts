import { lstat } from '../lib/metadata.js';
import { errorCode, errorMessage } from '../lib/errors.js';
import { sampleFileSeeing } from '../lib/hash.js';
import { contentStamp } from '../lib/safe-move.js';
import { hashedOnSight, withHash } from './content-hash.js';
import type { FileJob, JobError } from './job.js';

const fail = (job: FileJob, code: string, message: string): FileJob => {
  const error: JobError = { code, stage: 'identify', message };
  return { ...job, error };
};

/**
 * What the file is on disk — size, mtime, ctime, its content stamp, and for a small file
 * the SHA-256 of its content (a larger one is read only when needed: content-hash.ts), with
 * the bytes that read saw for the exif stage. Refuses
 * symlinks and anything that is not a regular file (`NOT_A_FILE`), empty files
 * (`EMPTY_FILE`), files gone before they were read (`NOT_FOUND`) and files that cannot be
 * read (`UNREADABLE`), by setting `job.error`; it never throws for a bad file.
 */
export async function identify(job: FileJob): Promise<FileJob> {
  if (job.error) return job;
  let stats;
  try {
    stats = await lstat(job.source);
  } catch (error) {
    return statFailure(job, error);
  }
  if (stats.isSymbolicLink()) {
    return fail(
      job,
      'NOT_A_FILE',
      `${job.source} is a symbolic link; photosortd only files regular files, so move the file it points to instead.`,
    );
  }
  if (!stats.isFile()) {
    return fail(
      job,
      'NOT_A_FILE',
      `${job.source} is not a regular file (a directory, device, socket or FIFO); it was left where it is.`,
    );
  }
  const sized: FileJob = {
    ...job,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    // Some filesystems report the mtime as the ctime; a birthtime, where kept, is the copy's.
    arrivedMs: Math.max(stats.ctimeMs, stats.birthtimeMs),
  };
  if (stats.size === 0) {
    return fail(
      sized,
      'EMPTY_FILE',
      `${job.source} is empty (0 bytes); if it is still being copied it will be taken again once it has content.`,
    );
  }
  try {
    if (hashedOnSight(stats.size)) return await withHash(sized, { keepSeen: true });
    // Taken before the sample is read, so that any write from here on leaves the stamp behind.
    const stamped = await lstat(job.source, { bigint: true });
    const { sample, seen } = await sampleFileSeeing(job.source, Number(stamped.size));
    const stamp = contentStamp(stamped);
    return { ...sized, stamp, sample, seen };
  } catch (error) {
    return statFailure(sized, error);
  }
}

function statFailure(job: FileJob, error: unknown): FileJob {
  if (errorCode(error) === 'ENOENT') {
    return fail(job, 'NOT_FOUND', `${job.source} disappeared before it could be read.`);
  }
  return fail(
    job,
    'UNREADABLE',
    `${job.source} could not be read (${errorMessage(error)}); check its permissions.`,
  );
}

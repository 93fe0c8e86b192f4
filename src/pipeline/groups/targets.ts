import { basename, dirname, join } from 'node:path';
import { PhotosortdError } from '../../lib/errors.js';
import { exists } from '../../lib/exists.js';
import { suffixedName } from '../../lib/safe-move.js';
import { sanitizeSegment } from '../../lib/sanitize.js';
import { memberName } from '../../lib/sidecars.js';
import type { FileJob } from '../job.js';

/** Same as safe-move's limit: past this many ` (n)` names something is wrong. */
const MAX_SUFFIX = 9999;

/** The companions that are to move (not left behind by an earlier failure). */
export function movingCompanions(job: FileJob): FileJob[] {
  return (job.companions ?? []).filter((member) => member.plan?.action !== 'skip');
}

/** Where a member goes once its primary is (or would be) at `primaryTarget`. */
export function memberTarget(job: FileJob, member: FileJob, primaryTarget: string): string {
  const name = memberName(basename(job.source), basename(primaryTarget), basename(member.source));
  // The part of the member's name kept from the inbox is untrusted like any other: a name
  // with control characters or past 255 bytes must not reach the library unsanitised.
  return join(dirname(primaryTarget), sanitizeSegment(name, { keepExtension: true }));
}

/**
 * The first of `target`, `name (1).ext`, … at which neither the primary nor any moving
 * companion would meet an existing file, so a group keeps one name (`IMG_1 (1).jpg`,
 * `IMG_1 (1).CR2`, `IMG_1 (1).jpg.xmp`) rather than each member numbering on its own.
 */
export async function freeGroupTarget(job: FileJob, target: string): Promise<string> {
  const members = movingCompanions(job);
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const candidate = suffixedName(target, n);
    const paths = [candidate, ...members.map((m) => memberTarget(job, m, candidate))];
    const taken = await Promise.all(paths.map(exists));
    if (!taken.includes(true)) return candidate;
  }
  throw new PhotosortdError(
    'TOO_MANY_COLLISIONS',
    `${target} and ${MAX_SUFFIX} numbered names beside it are taken for ${job.source} and its ` +
      'companions; it stays in the inbox. Clean up that library folder.',
  );
}

/**
 * Names handed out within one dry run. A real run takes a name by filing a file there, so
 * the next file with that name is numbered; a dry run moves nothing, and without this two
 * different `IMG_0004.JPG` of one scan would both be shown at the same target.
 */
export interface NameReservations {
  /** The first of `target`, `name (1).ext`, … free on disk and not yet handed out, for the group. */
  reserve(job: FileJob, target: string): Promise<string>;
}

/** A fresh {@link NameReservations}, one per scan. */
export function createNameReservations(): NameReservations {
  const taken = new Set<string>();
  return {
    async reserve(job, target) {
      const members = movingCompanions(job);
      for (let n = 0; n <= MAX_SUFFIX; n++) {
        const candidate = suffixedName(target, n);
        const paths = [candidate, ...members.map((m) => memberTarget(job, m, candidate))];
        if (paths.some((path) => taken.has(path))) continue;
        // Taken before the first await, so a file planned concurrently moves on to the next.
        for (const path of paths) taken.add(path);
        if (!(await Promise.all(paths.map(exists))).includes(true)) return candidate;
      }
      throw new PhotosortdError(
        'TOO_MANY_COLLISIONS',
        `${target} and ${MAX_SUFFIX} numbered names beside it are taken for ${job.source}; ` +
          'clean up that library folder.',
      );
    },
  };
}

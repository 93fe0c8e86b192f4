import { readdir } from '../../lib/metadata.js';
import { basename, dirname, join } from 'node:path';
import { PhotosortdError } from '../../lib/errors.js';
import { exists } from '../../lib/exists.js';
import { suffixedName } from '../../lib/safe-move.js';
import { sanitizeSegment } from '../../lib/sanitize.js';
import { companionStem, memberName, primaryRank } from '../../lib/sidecars.js';
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
 * Whether a job's name in the library must be one no other shot uses: a still or RAW (or a
 * group) that is not joining a group filed earlier. `IMG_0001.CR3` must not land beside
 * another camera's `IMG_0001.JPG`, where photo apps and its own late JPEG would take the
 * two for one shot.
 */
export function needsGroupName(job: FileJob): boolean {
  if (movingCompanions(job).length > 0) return true;
  return !job.group && primaryRank(basename(job.source)) <= RAW_RANK;
}

const RAW_RANK = primaryRank('raw.cr3');
const VIDEO_RANK = primaryRank('video.mov');

/**
 * The first of `target`, `name (1).ext`, … at which neither the primary nor any moving
 * companion would meet an existing file, so a group keeps one name (`IMG_1 (1).jpg`,
 * `IMG_1 (1).CR2`, `IMG_1 (1).jpg.xmp`) rather than each member numbering on its own. A
 * still or RAW also passes over a name whose stem a photo, RAW or video of another shot
 * holds in that folder (see {@link needsGroupName}); a job joining a filed group does not.
 */
export async function freeGroupTarget(job: FileJob, target: string): Promise<string> {
  const isTaken = await takenNames(job, dirname(target));
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const candidate = suffixedName(target, n);
    if (!(await isTaken(candidate))) return candidate;
  }
  throw tooManyCollisions(job, target);
}

/**
 * Whether a candidate name of the job is taken in `folder`: a member's target exists (for a
 * group), or (for a still or RAW not joining a filed group) another shot's media file has
 * its stem.
 */
async function takenNames(
  job: FileJob,
  folder: string,
): Promise<(candidate: string) => Promise<boolean>> {
  const members = movingCompanions(job);
  const stems =
    job.group || primaryRank(basename(job.source)) > RAW_RANK
      ? new Set<string>()
      : await shotStems(folder, job);
  return async (candidate) => {
    if (stems.has(companionStem(basename(candidate)))) return true;
    // A file alone needs only the stem check: the move itself numbers an exact collision,
    // and reports a target folder that is not one.
    if (members.length === 0) return false;
    const paths = [candidate, ...members.map((m) => memberTarget(job, m, candidate))];
    return (await Promise.all(paths.map(exists))).includes(true);
  };
}

/** Stems of the photos, RAWs and videos in a library folder, but for the job's own members. */
async function shotStems(folder: string, job: FileJob): Promise<Set<string>> {
  const own = new Set((job.companions ?? []).map((member) => member.source));
  const names = await readdir(folder).catch(() => [] as string[]);
  return new Set(
    names
      .filter((name) => primaryRank(name) <= VIDEO_RANK && !own.has(join(folder, name)))
      .map(companionStem),
  );
}

function tooManyCollisions(job: FileJob, target: string): PhotosortdError {
  return new PhotosortdError(
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
  const handedOut = new Set<string>();
  return {
    async reserve(job, target) {
      const members = movingCompanions(job);
      const isTaken = needsGroupName(job)
        ? await takenNames(job, dirname(target))
        : async (path: string) => exists(path);
      for (let n = 0; n <= MAX_SUFFIX; n++) {
        const candidate = suffixedName(target, n);
        const paths = [candidate, ...members.map((m) => memberTarget(job, m, candidate))];
        if (paths.some((path) => handedOut.has(path))) continue;
        // Handed out before the first await, so a file planned meanwhile takes the next.
        for (const path of paths) handedOut.add(path);
        if (!(await isTaken(candidate))) return candidate;
      }
      throw tooManyCollisions(job, target);
    },
  };
}

import { basename, dirname } from 'node:path';
import {
  companionKey,
  isSidecarName,
  isTruncatedTakeoutOf,
  primaryRank,
} from '../../lib/sidecars.js';
import type { FileJob } from '../job.js';

/*
 * A file group: a folder's files that belong together (a photo, its RAW, its Live Photo
 * video and its sidecars) travel as one job, whose primary carries the rest as `companions`.
 */

/**
 * Groups files by folder and companion stem: each group becomes one job, its primary (still
 * photo over RAW over video over other files over sidecars) carrying the rest as
 * `companions`. A group holds one file of each kind (and any number of sidecars); a second
 * still, RAW or video of the same stem is a job of its own. A cut-short Takeout JSON joins
 * the media file whose name it starts.
 */
export function groupJobs(jobs: FileJob[]): FileJob[] {
  const groups = new Map<string, FileJob[]>();
  const keyOf = (job: FileJob) => companionKey(job.source);
  for (const job of jobs) {
    const key = keyOf(job);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  for (const [key, members] of groups) {
    if (members.some((m) => !isSidecarName(basename(m.source)))) continue;
    const owner = jobs.find(
      (job) =>
        !isSidecarName(basename(job.source)) &&
        dirname(job.source) === dirname(members[0]!.source) &&
        members.every((m) => isTruncatedTakeoutOf(basename(m.source), basename(job.source))),
    );
    if (!owner) continue;
    groups.delete(key);
    groups.get(keyOf(owner))!.push(...members);
  }
  return [...groups.values()].flatMap((members) => {
    const kinds = new Set<number>();
    const together: FileJob[] = [];
    const alone: FileJob[] = [];
    for (const member of [...members].sort(byRank)) {
      const rank = primaryRank(basename(member.source));
      // One file of each kind: `X.CR3` beside `X.CRW` are two photos, not one.
      if (rank !== SIDECAR_RANK && kinds.has(rank)) alone.push(member);
      else together.push(member);
      kinds.add(rank);
    }
    const [primary, ...companions] = together;
    return [companions.length > 0 ? { ...primary!, companions } : primary!, ...alone];
  });
}

/** {@link primaryRank} of sidecars, of which a group may hold any number. */
const SIDECAR_RANK = primaryRank('sidecar.xmp');

const byRank = (a: FileJob, b: FileJob): number =>
  primaryRank(basename(a.source)) - primaryRank(basename(b.source)) ||
  a.source.localeCompare(b.source);

/**
 * Re-chunks a walk that yields each folder's files one after another into group jobs, one
 * folder at a time, so a folder of any size is grouped without holding the whole walk.
 * `pair` may join a folder's groups further (Live Photo halves with different names).
 */
export async function* groupedByFolder(
  jobs: AsyncIterable<FileJob>,
  pair: (groups: FileJob[]) => Promise<FileJob[]> = async (groups) => groups,
): AsyncGenerator<FileJob> {
  let folder: string | undefined;
  let pending: FileJob[] = [];
  for await (const job of jobs) {
    if (dirname(job.source) !== folder) {
      yield* await pair(groupJobs(pending));
      pending = [];
      folder = dirname(job.source);
    }
    pending.push(job);
  }
  yield* await pair(groupJobs(pending));
}

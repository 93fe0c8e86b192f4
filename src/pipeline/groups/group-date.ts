import { basename } from 'node:path';
import { isStandInDate } from '../date-resolution.js';
import type { FileJob } from '../job.js';

/**
 * A group whose primary carries no embedded date (none, or only its name's or mtime) takes
 * the first embedded date a member carries, in group order (RAW, video, sidecars): a HEIC
 * whose dates were stripped is filed on the day its MOV was recorded, rather than the whole
 * group going to Unsorted. The date's source names the member it came from.
 */
export function withGroupDate(job: FileJob): FileJob {
  const own = job.meta?.takenAt;
  if (!job.meta || (own && !isStandInDate(own))) return job;
  for (const member of job.companions ?? []) {
    const lent = member.error ? null : member.meta?.takenAt;
    if (!lent || isStandInDate(lent)) continue;
    const takenAt = { ...lent, source: `${lent.source} of ${basename(member.source)}` };
    return { ...job, meta: { ...job.meta, takenAt } };
  }
  return job;
}

import { basename, dirname, join } from 'node:path';
import type { Journal } from '../../journal/journal.js';
import type { JournalEntry } from '../../journal/types.js';
import { parseExifDateTime } from '../../lib/capture-date.js';
import {
  companionStem,
  isSidecarName,
  isTruncatedTakeoutOf,
  memberName,
  primaryRank,
} from '../../lib/sidecars.js';
import type { FileJob, Plan } from '../job.js';
import { filedStill, takenTogether } from '../live-photo.js';

/*
 * Followers: a sidecar or a Live Photo's video that arrives after its file was filed finds
 * that file through the journal and joins it, in the same folder and journal group.
 */

/**
 * The journal row of the file a sidecar belongs to, when that file (same source folder,
 * same stem, not a sidecar itself) was filed and has not been undone; newest first.
 */
export function fileOfSidecar(journal: Journal, sidecar: string): JournalEntry | undefined {
  const name = basename(sidecar);
  const folder = dirname(sidecar);
  const stem = companionStem(name);
  return journal
    .movedFrom(join(folder, name.split('.')[0] ?? name))
    .find(
      (entry) =>
        entry.target !== null &&
        dirname(entry.source) === folder &&
        !isSidecarName(basename(entry.source)) &&
        (companionStem(basename(entry.source)) === stem ||
          isTruncatedTakeoutOf(name, basename(entry.source))),
    );
}

/** Where a sidecar whose file was filed earlier goes, and the journal group it joins. */
export interface FiledFile {
  plan: Plan;
  group: string | null;
}

/**
 * For a sidecar filed on its own, or a Live Photo's video (with its own sidecars, if any)
 * arriving after its still: the plan that sends it next to its file when the journal says
 * that file was filed and is still there. It joins the file's journal group, so undo puts
 * both back. A sidecar's file has the same source folder and stem. A video's still carries
 * the same ContentIdentifier, or else has the same name and was taken within
 * {@link LIVE_PHOTO_SPAN_MS} of it.
 */
export function followFiledFile(journal: Journal): (job: FileJob) => FiledFile | undefined {
  return (job) => {
    const name = basename(job.source);
    const video = job.kind === 'video';
    if (!video && !isSidecarName(name)) return undefined;
    if (job.companions?.some((m) => !isSidecarName(basename(m.source)))) return undefined;
    const row = video ? stillOfVideo(journal, job) : fileOfSidecar(journal, job.source);
    if (!row?.target) return undefined;
    const target = join(
      dirname(row.target),
      memberName(basename(row.source), basename(row.target), name),
    );
    const reason = `goes with ${basename(row.source)}, filed earlier at ${row.target}`;
    return { plan: { action: 'move', rule: row.rule, target, reason }, group: row.group };
  };
}

/** The journal row of the filed still a video belongs with (see {@link followFiledFile}). */
function stillOfVideo(journal: Journal, job: FileJob): JournalEntry | undefined {
  const paired = job.meta?.contentId ? filedStill(journal, job.meta.contentId) : undefined;
  if (paired) return paired;
  const row = fileOfSidecar(journal, job.source);
  return row && primaryRank(basename(row.source)) === 0 && filedTogether(row, job)
    ? row
    : undefined;
}

/** Whether the filed still of `row` and the video `job` were taken moments apart. */
function filedTogether(row: JournalEntry, job: FileJob): boolean {
  const written = typeof row.details?.takenAt === 'string' ? row.details.takenAt : '';
  const parsed = parseExifDateTime(written);
  const video = job.meta?.takenAt;
  if (!parsed || !video) return false;
  const still = { ...parsed.wall, offsetMinutes: parsed.offsetMinutes, zone: null, source: '' };
  return takenTogether(still, video);
}

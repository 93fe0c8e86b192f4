import { stat } from '../../lib/metadata.js';
import { basename, dirname, extname, join } from 'node:path';
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
import type { ExclusiveLock } from '../pipeline.js';

/*
 * Followers: a sidecar or a Live Photo's video that arrives after its file was filed finds
 * that file through the journal and joins it, in the same folder and journal group.
 */

/**
 * The journal row of the file a sidecar belongs to, when that file (same source folder,
 * same stem, not a sidecar itself) was filed and has not been undone; newest first.
 */
function fileOfSidecar(journal: Journal, sidecar: string): JournalEntry | undefined {
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

const STILL_RANK = primaryRank('still.jpg');

/**
 * Whether the file a lone sidecar or video would follow once filed ({@link followFiledFile})
 * is in the library already: a sidecar's file, or a video's still of the same name (a still
 * paired by ContentIdentifier is only known once the video's metadata has been read).
 */
export function leaderFiled(journal: Journal, path: string): boolean {
  const row = fileOfSidecar(journal, path);
  if (!row) return false;
  return isSidecarName(basename(path)) || primaryRank(basename(row.source)) === STILL_RANK;
}

/** Where a sidecar whose file was filed earlier goes, and the journal group it joins. */
export interface FiledFile {
  plan: Plan;
  group: string | null;
}

/**
 * For a sidecar filed on its own, a Live Photo's video (with its own sidecars, if any)
 * arriving after its still, or the late half of a RAW+JPEG pair: the plan that sends it next
 * to its file when the journal says that file was filed and is still there, under that
 * file's final name (`IMG_1 (1).CR3` beside `IMG_1 (1).JPG`). It joins the file's journal
 * group, so undo puts both back. A sidecar's file has the same source folder and stem. A
 * video's still carries the same ContentIdentifier, or else has the same name and was taken
 * within 10 s of it (live-photo.ts); so was a RAW's JPEG (or a JPEG's RAW).
 */
export function followFiledFile(journal: Journal): (job: FileJob) => FiledFile | undefined {
  return (job) => {
    const name = basename(job.source);
    if (job.companions?.some((m) => !isSidecarName(basename(m.source)))) return undefined;
    const row = isSidecarName(name)
      ? fileOfSidecar(journal, job.source)
      : job.kind === 'video'
        ? stillOfVideo(journal, job)
        : filedHalf(journal, job);
    const target = row && whereNow(journal, row);
    if (!row || !target) return undefined;
    const reason = `goes with ${basename(row.source)}, filed earlier at ${target}`;
    const memberTarget = join(
      dirname(target),
      memberName(basename(row.source), basename(target), name),
    );
    return {
      plan: { action: 'move', rule: row.rule, target: memberTarget, reason },
      group: row.group,
    };
  };
}

/**
 * Where the file a row filed is now: its target, or where a later move in the library took
 * it from there (a late Takeout JSON re-dated it, see {@link redateByLateJson}).
 */
function whereNow(journal: Journal, row: JournalEntry): string | null {
  let target = row.target;
  // Each step is a move from the library path the previous one filed to; a few at most.
  for (let step = 0; target !== null && step < 10; step++) {
    const from: string = target;
    const next = journal.movedFrom(from, 5).find((entry) => entry.source === from);
    if (!next?.target) break;
    target = next.target;
  }
  return target;
}

const RAW_RANK = primaryRank('raw.cr3');

/**
 * The filed other half of a RAW+JPEG pair: a still for a RAW, a RAW for a still, from the
 * same source folder with the same stem, taken at the same moment by its embedded date (a
 * camera's counter wraps: a later card's `IMG_0001` is another shot).
 */
function filedHalf(journal: Journal, job: FileJob): JournalEntry | undefined {
  const name = basename(job.source);
  const rank = primaryRank(name);
  if (rank > RAW_RANK || !job.meta?.takenAt || job.meta.takenAt.source === 'mtime')
    return undefined;
  const folder = dirname(job.source);
  const stem = companionStem(name);
  const row = journal.movedFrom(join(folder, name.split('.')[0] ?? name)).find((entry) => {
    const other = basename(entry.source);
    return (
      entry.target !== null &&
      dirname(entry.source) === folder &&
      companionStem(other) === stem &&
      primaryRank(other) <= RAW_RANK &&
      primaryRank(other) !== rank
    );
  });
  return row && row.details?.dateSource !== 'mtime' && filedTogether(row, job) ? row : undefined;
}

/**
 * The two halves of a RAW+JPEG pair that arrive apart run from `identify` on one after the
 * other, so the second finds the first in the journal ({@link followFiledFile}) rather than
 * being filed beside it under a name of its own.
 */
export const sameShotLock: ExclusiveLock = {
  after: 'identify',
  key: (job) =>
    primaryRank(basename(job.source)) <= RAW_RANK
      ? `shot\0${dirname(job.source)}\0${companionStem(basename(job.source))}`
      : undefined,
};

/** The journal row of the filed still a video belongs with (see {@link followFiledFile}). */
function stillOfVideo(journal: Journal, job: FileJob): JournalEntry | undefined {
  const paired = job.meta?.contentId ? filedStill(journal, job.meta.contentId) : undefined;
  if (paired) return paired;
  const row = fileOfSidecar(journal, job.source);
  return row && primaryRank(basename(row.source)) === 0 && filedTogether(row, job)
    ? row
    : undefined;
}

/** Whether the filed file of `row` and `job` were taken moments apart. */
function filedTogether(row: JournalEntry, job: FileJob): boolean {
  const written = typeof row.details?.takenAt === 'string' ? row.details.takenAt : '';
  const parsed = parseExifDateTime(written);
  const video = job.meta?.takenAt;
  if (!parsed || !video) return false;
  const still = { ...parsed.wall, offsetMinutes: parsed.offsetMinutes, zone: null, source: '' };
  return takenTogether(still, video);
}

/** Dates that only stand in for a capture date: a Takeout JSON's date replaces them. */
const STAND_IN_DATES = new Set(['filename', 'mtime']);

/**
 * A Takeout `.json` arriving on its own after its photo was filed with no date (to
 * `unsorted`) or a stand-in one (its bytes carry none; Takeout split across zips): the job that files the photo again, from
 * where it is in the library, with the JSON as its companion. The Takeout stage then dates
 * it by the JSON, the rules place it, and the mover moves it (when that is elsewhere) in its
 * journal group, with the JSON beside it; undo puts both back. Any other job, or a photo
 * that is gone or changed since it was filed, comes back as it was.
 */
export async function redateByLateJson(
  journal: Journal,
  library: string,
  job: FileJob,
): Promise<FileJob> {
  if (job.companions?.length || extname(job.source).toLowerCase() !== '.json') return job;
  const row = fileOfSidecar(journal, job.source);
  const dateSource = row?.details?.dateSource;
  const undated = dateSource === null || STAND_IN_DATES.has(String(dateSource));
  if (!row?.target || !undated) return job;
  if (journal.lastMovedTo(row.target)?.id !== row.id) return job;
  const info = await stat(row.target).catch(() => undefined);
  if (!info?.isFile() || info.size !== row.size) return job;
  return {
    source: row.target,
    root: library,
    size: info.size,
    mtimeMs: info.mtimeMs,
    group: row.group ?? undefined,
    companions: [job],
  };
}

import { stat } from '../lib/metadata.js';
import { basename, dirname, extname } from 'node:path';
import type { Journal } from '../journal/journal.js';
import { captureInstant, wallClockAsUtcMillis } from '../lib/capture-date.js';
import { createBatchReader, type ExifTool } from '../lib/exiftool.js';
import type { JournalEntry } from '../journal/types.js';
import { isSidecarName, primaryRank } from '../lib/sidecars.js';
import type { CaptureDate } from '../lib/media.js';
import type { FileJob } from './job.js';
import type { ExclusiveLock } from './pipeline.js';

/*
 * A Live Photo whose halves have different names (`IMG_1234.HEIC` beside `IMG_1234 (1).MOV`
 * after a sync tool's rename, or a video an export named on its own) is paired by Apple's
 * ContentIdentifier, which the still carries in its maker notes and the video in its
 * QuickTime keys. The halves are separate jobs, so they meet through the journal: whichever
 * is filed second joins the first. A lock on the identifier makes "second" well defined when
 * both are in flight at once. Halves with the same name travel as one job (groups/grouping.ts).
 */

const STILL_RANK = primaryRank('still.jpg');
const VIDEO_RANK = primaryRank('video.mov');

/** Which half of a Live Photo a job is, when it carries an identifier and its group lacks the other half. */
function loneHalf(job: FileJob): 'still' | 'video' | undefined {
  if (!job.meta?.contentId || job.error) return undefined;
  const members = (job.companions ?? []).map((member) => basename(member.source));
  if (job.kind === 'photo' && primaryRank(basename(job.source)) === STILL_RANK) {
    return members.some((name) => primaryRank(name) === VIDEO_RANK) ? undefined : 'still';
  }
  if (job.kind === 'video' && members.every(isSidecarName)) return 'video';
  return undefined;
}

/**
 * Runs the two halves of one Live Photo one after the other from the `exif` stage on, so
 * the second always finds the first in the journal.
 */
export const livePhotoLock: ExclusiveLock = {
  after: 'exif',
  key: (job) => (loneHalf(job) ? job.meta?.contentId : undefined) ?? undefined,
};

/** Whether a journal row moved a still photo (by its original name) or a video. */
const rowRank = (row: JournalEntry): number => primaryRank(basename(row.source));

/**
 * Whether a file is Apple's edited copy of a Live Photo's still (`IMG_E1234.HEIC` beside
 * `IMG_1234.HEIC`): it keeps the original's ContentIdentifier, but the video is the
 * original's, named after it.
 */
function isEditedCopy(path: string): boolean {
  const name = basename(path);
  return /^[a-z]+_E\d+$/i.test(name.slice(0, name.length - extname(name).length));
}

/** A filed still that can take a Live Photo's video: an original, not an edited copy. */
const isOriginalStill = (row: JournalEntry): boolean =>
  row.target !== null && rowRank(row) === STILL_RANK && !isEditedCopy(row.source);

/**
 * The newest filed still with this ContentIdentifier (not undone), for a video arriving
 * after it: the original when it was filed, else an edited copy (`IMG_E1234.HEIC`), which
 * keeps the identifier too.
 */
export function filedStill(journal: Journal, contentId: string): JournalEntry | undefined {
  const rows = journal.movedWithContentId(contentId);
  return (
    rows.find(isOriginalStill) ??
    rows.find((row) => row.target !== null && rowRank(row) === STILL_RANK)
  );
}

/**
 * The video with this ContentIdentifier that was filed before its still arrived and still
 * sits where it was filed, alone in its journal group (a video filed with sidecars of its
 * own is left where it is: their names follow the video's, not the still's). `undefined`
 * when an original still with the identifier is filed already: the video stays with that one.
 */
function filedLoneVideo(journal: Journal, contentId: string): JournalEntry | undefined {
  const rows = journal.movedWithContentId(contentId);
  if (rows.some(isOriginalStill)) return undefined;
  const video = rows.find((row) => row.target !== null && rowRank(row) === VIDEO_RANK);
  if (!video?.group) return undefined;
  const alone = journal.doneInGroup(video.group).every((row) => row.id === video.id);
  return alone ? video : undefined;
}

/**
 * For the planner: a still about to be filed whose video was filed before it takes that
 * video along as a companion, so the mover puts it beside the still, under the still's name,
 * and merges the video's journal group into the still's (undo puts both back in the inbox
 * as one). The video keeps the hash the journal recorded, which the move verifies.
 */
export function adoptFiledVideo(journal: Journal): (job: FileJob) => Promise<FileJob> {
  return async (job) => {
    // An edited copy leaves the video to the original, as `scan` pairs them by name.
    if (loneHalf(job) !== 'still' || !job.meta?.contentId || isEditedCopy(job.source)) return job;
    const video = filedLoneVideo(journal, job.meta.contentId);
    if (!video?.target) return job;
    const info = await stat(video.target).catch(() => undefined);
    if (!info?.isFile() || info.size !== video.size) return job;
    const member: FileJob = {
      source: video.target,
      root: dirname(video.target),
      size: info.size,
      mtimeMs: info.mtimeMs,
      ...(video.hash ? { hash: video.hash } : {}),
      kind: 'video',
      ...(video.group ? { group: video.group } : {}),
    };
    return { ...job, companions: [...(job.companions ?? []), member] };
  };
}

/** Reads Apple's ContentIdentifier of files; files without one are left out. */
export type ContentIdReader = (paths: string[]) => Promise<Map<string, string>>;

/** A {@link ContentIdReader} that asks exiftool for that one tag, many files per command. */
export function contentIdReader(exiftool: ExifTool): ContentIdReader {
  const reader = createBatchReader(exiftool, ['-fast', '-G1', '-ContentIdentifier']);
  return async (paths) => {
    const found = new Map<string, string>();
    await Promise.all(
      paths.map(async (path) => {
        // A file exiftool cannot read has no identifier; its own read reports it later.
        const tags = await reader.read(path).catch(() => ({}));
        const id = Object.entries(tags).find(([key]) => key.endsWith(':ContentIdentifier'))?.[1];
        if (typeof id === 'string' && id.trim()) found.set(path, id.trim());
      }),
    );
    return found;
  };
}

/**
 * For scan, which sees a folder's groups at once: a lone video that carries the
 * ContentIdentifier of a still in the same folder joins that still's group, as a same-named
 * video would, so it is filed once, beside the still (the journal lock and adoption above are
 * for halves that arrive apart). Identifiers are read only from a folder that has a lone
 * video and a still without one, and the stills' only when one of those videos carries one:
 * a camera's folder of JPEGs and clips costs one read of the clips.
 */
export async function pairLivePhotos(
  groups: FileJob[],
  readIds: ContentIdReader,
): Promise<FileJob[]> {
  const rank = (job: FileJob) => primaryRank(basename(job.source));
  const videos = groups.filter((job) => rank(job) === VIDEO_RANK && !job.companions?.length);
  const stills = groups.filter(
    (job) =>
      rank(job) === STILL_RANK && !job.companions?.some((member) => rank(member) === VIDEO_RANK),
  );
  if (videos.length === 0 || stills.length === 0) return groups;
  const videoIds = await readIds(videos.map((job) => job.source));
  if (videoIds.size === 0) return groups;
  const stillIds = await readIds(stills.map((job) => job.source));
  const stillOf = new Map<string, FileJob>();
  for (const still of stills) {
    const id = stillIds.get(still.source);
    if (id && !stillOf.has(id)) stillOf.set(id, still);
  }
  const videoOf = new Map<FileJob, FileJob>();
  for (const video of videos) {
    const still = stillOf.get(videoIds.get(video.source) ?? '');
    if (still && !videoOf.has(still)) videoOf.set(still, video);
  }
  const joined = new Set(videoOf.values());
  return groups
    .filter((job) => !joined.has(job))
    .map((job) => {
      const video = videoOf.get(job);
      return video ? { ...job, companions: [...(job.companions ?? []), video] } : job;
    });
}

/**
 * How far apart a still and a video with the same name may have been taken to count as one
 * Live Photo (the video starts about 1.5 s before the still).
 */
const LIVE_PHOTO_SPAN_MS = 10_000;

/** The span of real UTC offsets, UTC−12:00 to UTC+14:00, in milliseconds. */
const OFFSETS_MS = { min: -12 * 3_600_000, max: 14 * 3_600_000 };

/**
 * Whether two captures were taken within {@link LIVE_PHOTO_SPAN_MS} of each other. When
 * only one zone is known the other clock may have run in any zone, so they are apart only
 * when no real offset brings them together; with neither known their clocks are compared.
 */
export function takenTogether(a: CaptureDate, b: CaptureDate): boolean {
  const x = captureInstant(a);
  const y = captureInstant(b);
  if (x && y) return Math.abs(x.getTime() - y.getTime()) <= LIVE_PHOTO_SPAN_MS;
  if (!x && !y)
    return Math.abs(wallClockAsUtcMillis(a) - wallClockAsUtcMillis(b)) <= LIVE_PHOTO_SPAN_MS;
  const [wall, instant] = x ? [b, x] : [a, y!];
  const offset = wallClockAsUtcMillis(wall) - instant.getTime();
  return (
    offset >= OFFSETS_MS.min - LIVE_PHOTO_SPAN_MS && offset <= OFFSETS_MS.max + LIVE_PHOTO_SPAN_MS
  );
}

/**
 * Whether a video with its photo's name is that photo's Live Photo half: the same
 * ContentIdentifier when both carry one, else taken moments apart. A date that only came
 * from the file's mtime says nothing, and without two dates the shared name decides.
 */
export function sameMoment(photo: FileJob, video: FileJob): boolean {
  const ids = [photo.meta?.contentId, video.meta?.contentId];
  if (ids[0] && ids[1]) return ids[0] === ids[1];
  const dates = [photo.meta?.takenAt, video.meta?.takenAt];
  if (!dates[0] || !dates[1] || dates.some((date) => date?.source === 'mtime')) return true;
  return takenTogether(dates[0], dates[1]);
}

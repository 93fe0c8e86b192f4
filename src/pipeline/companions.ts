import { basename, dirname, join } from 'node:path';
import type { Journal } from '../journal/journal.js';
import type { JournalEntry } from '../journal/types.js';
import { captureInstant, parseExifDateTime, wallClockAsUtcMillis } from '../lib/capture-date.js';
import { errorCode, errorMessage, PhotosortdError } from '../lib/errors.js';
import { exists } from '../lib/exists.js';
import { suffixedName } from '../lib/safe-move.js';
import { sanitizeSegment } from '../lib/sanitize.js';
import {
  companionStem,
  isSidecarName,
  isTruncatedTakeoutOf,
  memberName,
  primaryRank,
} from '../lib/sidecars.js';
import type { FileJob, Plan, Stage } from './job.js';
import type { CaptureDate } from '../lib/media.js';
import { filedStill } from './live-photo.js';
import type { NamedStage } from './pipeline.js';

/** Same as safe-move's limit: past this many ` (n)` names something is wrong. */
const MAX_SUFFIX = 9999;

/**
 * Groups files by folder and companion stem: each group becomes one job, its primary (still
 * photo over RAW over video over other files over sidecars) carrying the rest as
 * `companions`. A group holds one file of each kind (and any number of sidecars); a second
 * still, RAW or video of the same stem is a job of its own. A cut-short Takeout JSON joins
 * the media file whose name it starts.
 */
export function groupJobs(jobs: FileJob[]): FileJob[] {
  const groups = new Map<string, FileJob[]>();
  const keyOf = (job: FileJob) => `${dirname(job.source)}\0${companionStem(basename(job.source))}`;
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

/**
 * Runs the given stages (identify, exif) on each companion of a job, so that every member
 * has its own hash to verify its move with. A member that fails stays where it is.
 */
export function createCompanionsStage(stages: NamedStage[]): Stage {
  return async (job) => {
    if (!job.companions) return job;
    const companions = await Promise.all(
      job.companions.map(async (member) => {
        let current = member;
        for (const stage of stages) {
          try {
            current = await stage.run(current);
          } catch (error) {
            const message = errorMessage(error);
            return { ...current, error: { code: errorCode(error), message, stage: stage.name } };
          }
        }
        return current;
      }),
    );
    return { ...job, companions };
  };
}

/**
 * The companions' plans, from the primary's: the same action and rule, and the primary's
 * date and place (a Live Photo's video carries a UTC date that may fall on another day).
 * The mover names their targets once the primary's own name is final. A member whose
 * earlier stages failed is left where it is. A video with a photo's name that is not its
 * Live Photo half ({@link sameMoment}) is planned by `onItsOwn` and marked `detached`: the
 * mover files it as a file of its own.
 */
export function planCompanions(
  job: FileJob,
  plan: Plan,
  onItsOwn: (member: FileJob) => Plan,
): FileJob[] | undefined {
  return job.companions?.map((member) => {
    if (member.error && member.error.stage !== 'exif') {
      const reason = member.error.message;
      return { ...member, plan: { action: 'skip', rule: null, target: null, reason } };
    }
    if (member.kind === 'video' && job.kind === 'photo' && !sameMoment(job, member)) {
      const own = onItsOwn(member);
      const reason = `has the name of ${basename(job.source)} but was taken at another moment`;
      return { ...member, detached: true, plan: { ...own, reason: own.reason ?? reason } };
    }
    const meta = member.meta && job.meta ? { ...member.meta, takenAt: job.meta.takenAt } : job.meta;
    const reason = `goes with ${basename(job.source)}`;
    return {
      ...member,
      meta,
      place: job.place ?? null,
      plan: { action: plan.action, rule: plan.rule, target: null, reason },
    };
  });
}

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
 * How long the daemon holds a group after its latest member arrived: long enough for a
 * phone's HEIC and MOV, or a camera's RAW and JPEG, copied one after the other.
 */
export const GROUP_WINDOW_MS = 2000;

/**
 * How long a sidecar with no file beside it waits for one (a sync tool may deliver the XMP
 * before the photo) before it goes to `unsorted`.
 */
export const ORPHAN_WAIT_MS = 60_000;

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
 * How far apart a still and a video with the same name may have been taken to count as one
 * Live Photo (the video starts about 1.5 s before the still).
 */
const LIVE_PHOTO_SPAN_MS = 10_000;

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
function sameMoment(photo: FileJob, video: FileJob): boolean {
  const ids = [photo.meta?.contentId, video.meta?.contentId];
  if (ids[0] && ids[1]) return ids[0] === ids[1];
  const dates = [photo.meta?.takenAt, video.meta?.takenAt];
  if (!dates[0] || !dates[1] || dates.some((date) => date?.source === 'mtime')) return true;
  return takenTogether(dates[0], dates[1]);
}

/** Options of {@link createGatherer}. */
export interface GathererOptions {
  /** How long after a group's latest arrival it is handed on, waiting for its other members. */
  windowMs: number;
  /** How much longer a sidecar with no file beside it waits before it is handed on alone. */
  orphanWaitMs: number;
  /** Whether a lone sidecar's file has already been filed (it then follows at once). */
  fileFiled: (sidecar: string) => boolean;
  /** Receives each group (its paths, all in one folder); resolves once it has been handled. */
  submit: (paths: string[], root: string) => Promise<unknown>;
}

/** Collects a watcher's arrivals into groups; see {@link createGatherer}. */
export interface Gatherer {
  add(path: string, root: string): void;
  /** Paths waiting for their group to settle. */
  readonly size: number;
  /** Resolves when no path is waiting and every group handed on has been handled. */
  idle(): Promise<void>;
  /** Forgets every waiting path (they stay in the inbox for the next start). */
  close(): void;
}

interface Pending {
  paths: Set<string>;
  root: string;
  timer: NodeJS.Timeout;
  waitedForFile: boolean;
}

/**
 * Holds arrivals until their group has settled: a group (same folder, same companion stem)
 * is handed on `windowMs` after its latest member arrived, so a HEIC and its MOV arriving
 * seconds apart travel together. A group of sidecars only waits `orphanWaitMs` more for its
 * file, unless that file was filed already.
 */
export function createGatherer(options: GathererOptions): Gatherer {
  const pending = new Map<string, Pending>();
  let submitted = 0;
  let waiters: (() => void)[] = [];

  const settleWaiters = () => {
    if (pending.size > 0 || submitted > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  };

  const fire = (key: string) => {
    const entry = pending.get(key);
    if (!entry) return;
    const paths = [...entry.paths];
    const lone = paths.every((path) => isSidecarName(basename(path)));
    if (lone && !entry.waitedForFile && !paths.some(options.fileFiled)) {
      entry.waitedForFile = true;
      entry.timer = setTimeout(fire, options.orphanWaitMs, key);
      return;
    }
    pending.delete(key);
    submitted += 1;
    void options
      .submit(paths, entry.root)
      .catch(() => undefined)
      .finally(() => {
        submitted -= 1;
        settleWaiters();
      });
  };

  return {
    add(path, root) {
      const key = `${dirname(path)}\0${companionStem(basename(path))}`;
      const entry = pending.get(key);
      if (entry) {
        clearTimeout(entry.timer);
        entry.paths.add(path);
        entry.timer = setTimeout(fire, options.windowMs, key);
        return;
      }
      const timer = setTimeout(fire, options.windowMs, key);
      pending.set(key, { paths: new Set([path]), root, timer, waitedForFile: false });
    },
    get size() {
      let n = 0;
      for (const entry of pending.values()) n += entry.paths.size;
      return n;
    },
    idle() {
      if (pending.size === 0 && submitted === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
      settleWaiters();
    },
  };
}

import { basename, dirname } from 'node:path';
import {
  companionKey,
  isNonMediaName,
  isSidecarName,
  isTruncatedTakeoutOf,
  primaryRank,
} from '../lib/sidecars.js';

/**
 * How long after its latest arrival the daemon holds a group for a member that may still
 * come and would not follow it once filed (a video's still; anything, where the watcher
 * cannot tell what is on its way): long enough for a phone's HEIC and MOV, or a camera's RAW
 * and JPEG, copied one after the other. A group waiting for nothing goes at once; one with a
 * file still being written waits for that file (see {@link createGatherer}).
 */
export const GROUP_WINDOW_MS = 2000;

/**
 * How long a sidecar with no file beside it waits for one (a sync tool may deliver the XMP
 * before the photo) before it goes to `unsorted`.
 */
export const ORPHAN_WAIT_MS = 60_000;

/** Options of {@link createGatherer}. */
export interface GathererOptions {
  /** How long after its latest arrival a group is held for a member that may still come. */
  windowMs: number;
  /** How much longer a sidecar with no file beside it waits before it is handed on alone. */
  orphanWaitMs: number;
  /**
   * Whether the file a lone sidecar or video follows (its photo; a video's still) has been
   * filed already: it then goes at once, and joins that file in the library.
   */
  fileFiled: (path: string) => boolean;
  /**
   * Whether another file of `path`'s group is still being written or settling in the inbox;
   * `null` (or no function) when that cannot be told: a group then waits the whole window.
   */
  settling?: (path: string) => boolean | null;
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
  /** When its latest member arrived (`Date.now()`). */
  latest: number;
  timer?: NodeJS.Timeout;
  /** Since when a group of sidecars alone has waited for its file. */
  orphanSince?: number;
}

const STILL_RANK = primaryRank('still.jpg');
const VIDEO_RANK = primaryRank('video.mov');

/**
 * What a group still waits for. `settling`: a file of its name that the watcher has seen but
 * not reported yet (being written, or within its settle period); the group waits for it as
 * long as that lasts. `window`: a member that may still come, for at most the window after
 * its latest arrival: when the watcher cannot tell what is on its way, or when a video has
 * no still (a still filed after its video fetches it only by Apple's ContentIdentifier, see
 * live-photo.ts, which is not read yet). Nothing else: a late RAW, JPEG, video or sidecar
 * finds its filed file through the journal and follows it (groups/followers.ts).
 */
function awaited(paths: string[], options: GathererOptions): 'settling' | 'window' | undefined {
  const settling = options.settling?.(paths[0]!) ?? null;
  if (settling === null) return 'window';
  if (settling) return 'settling';
  const ranks = paths.map((path) => primaryRank(basename(path)));
  const video = paths[ranks.indexOf(VIDEO_RANK)];
  const stillMayCome = video !== undefined && !ranks.includes(STILL_RANK);
  return stillMayCome && !options.fileFiled(video) ? 'window' : undefined;
}

/** Whether a group is sidecars alone, which wait for their file (Takeout's `metadata.json` is nobody's). */
const isOrphan = (paths: string[]): boolean =>
  paths.every((path) => isSidecarName(basename(path)) && !isNonMediaName(basename(path)));

/**
 * The key of the group waiting for `path`. A Takeout JSON whose name was cut short has a stem
 * of its own, and joins the waiting media file whose name it starts; a media file takes in
 * the waiting cut-short JSONs of its name (they then wait no longer as orphans).
 */
function keyOf(pending: Map<string, Pending>, path: string): string {
  const key = companionKey(path);
  const name = basename(path);
  const folder = dirname(path);
  const inFolder = [...pending].filter(([other]) => other.startsWith(`${folder}\0`));
  if (isSidecarName(name)) {
    if (pending.has(key)) return key;
    const owner = inFolder.find(([, entry]) =>
      [...entry.paths].some(
        (other) => !isSidecarName(basename(other)) && isTruncatedTakeoutOf(name, basename(other)),
      ),
    );
    return owner?.[0] ?? key;
  }
  for (const [other, entry] of inFolder) {
    const members = [...entry.paths].map((member) => basename(member));
    if (other === key || !members.every((member) => isTruncatedTakeoutOf(member, name))) continue;
    // The JSONs move into the media file's group; their own timer no longer runs.
    clearTimeout(entry.timer);
    pending.delete(other);
    const mine = pending.get(key);
    if (mine) for (const member of entry.paths) mine.paths.add(member);
    else pending.set(key, { paths: entry.paths, root: entry.root, latest: entry.latest });
  }
  return key;
}

/**
 * Holds arrivals until their group is complete, then hands each group on as one. A group
 * (same folder, same companion stem) goes as soon as no member can still come that would not
 * follow it once filed ({@link awaited}): while a file of its name is still settling in the
 * inbox, or for at most `windowMs` after its latest arrival for a member that may come. A
 * member arriving while a group of its name is being handled waits for that one, and then
 * follows it. A group of sidecars only waits `orphanWaitMs` more for its file, unless that
 * file was filed already.
 */
export function createGatherer(options: GathererOptions): Gatherer {
  const pending = new Map<string, Pending>();
  /** Groups handed on and not yet handled, by key: a later member of theirs waits for them. */
  const handling = new Map<string, number>();
  let submitted = 0;
  let waiters: (() => void)[] = [];

  const settleWaiters = () => {
    if (pending.size > 0 || submitted > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  };

  /** Hands a group on, or sets the timer that looks at it again. */
  const consider = (key: string) => {
    const entry = pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    // Looked at again when the group of its name now being handled is done.
    if (handling.has(key)) return;
    const paths = [...entry.paths];
    const now = Date.now();
    const waitFor = awaited(paths, options);
    // Its arrival brings the group back here; the timer only notices one that went away.
    if (waitFor === 'settling') {
      entry.timer = setTimeout(consider, options.windowMs, key);
      return;
    }
    const windowLeft = entry.latest + options.windowMs - now;
    if (waitFor === 'window' && windowLeft > 0) {
      entry.timer = setTimeout(consider, windowLeft, key);
      return;
    }
    if (isOrphan(paths) && !paths.some(options.fileFiled)) {
      entry.orphanSince ??= now;
      const orphanLeft = entry.orphanSince + options.orphanWaitMs - now;
      if (orphanLeft > 0) {
        entry.timer = setTimeout(consider, orphanLeft, key);
        return;
      }
    }
    pending.delete(key);
    submitted += 1;
    handling.set(key, (handling.get(key) ?? 0) + 1);
    void options
      .submit(paths, entry.root)
      .catch(() => undefined)
      .finally(() => {
        submitted -= 1;
        const left = handling.get(key)! - 1;
        if (left > 0) handling.set(key, left);
        else handling.delete(key);
        consider(key);
        settleWaiters();
      });
  };

  return {
    add(path, root) {
      const key = keyOf(pending, path);
      const entry = pending.get(key) ?? { paths: new Set<string>(), root, latest: 0 };
      entry.paths.add(path);
      entry.latest = Date.now();
      pending.set(key, entry);
      clearTimeout(entry.timer);
      // Looked at once the arrivals of this turn are in: files taken together (a resume, a
      // retry) are grouped even when no watcher saw them settling.
      entry.timer = setTimeout(consider, 0, key);
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

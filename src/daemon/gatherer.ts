import { basename, dirname } from 'node:path';
import {
  companionStem,
  isNonMediaName,
  isSidecarName,
  isTruncatedTakeoutOf,
} from '../lib/sidecars.js';

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

/** `folder\0stem`: the group an arrival joins. */
const groupKey = (path: string): string => `${dirname(path)}\0${companionStem(basename(path))}`;

/**
 * The key of the group waiting for `path`. A Takeout JSON whose name was cut short has a stem
 * of its own, and joins the waiting media file whose name it starts; a media file takes in
 * the waiting cut-short JSONs of its name (they then wait no longer as orphans).
 */
function keyOf(pending: Map<string, Pending>, path: string): string {
  const key = groupKey(path);
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
    else pending.set(key, { ...entry, waitedForFile: false });
  }
  return key;
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
    // Takeout's `metadata.json` is nobody's sidecar: it need not wait for a file.
    const lone = paths.every(
      (path) => isSidecarName(basename(path)) && !isNonMediaName(basename(path)),
    );
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
      const key = keyOf(pending, path);
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

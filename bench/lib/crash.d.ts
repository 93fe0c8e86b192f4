/** A repeatable generator of numbers in [0, 1), so a failing run can be replayed. */
export function seeded(seed: number): () => number;

/** What {@link runCrashTrial} needs: a prepared inbox and a daemon config (API off). */
export interface CrashTrialOptions {
  inbox: string;
  library: string;
  configFile: string;
  /** SIGKILLs before the last, clean run. */
  kills: number;
  env?: Record<string, string>;
  /** Where the kill moments come from (a seeded generator makes a run repeatable). */
  random?: () => number;
  /** Longest wait for progress or for the last run to empty the inbox. */
  timeoutMs?: number;
  /**
   * Files renamed into the inbox (same relative paths) `afterMs` after the first start,
   * while the kills go on: the late halves of RAW+JPEG pairs.
   */
  late?: { staging: string; afterMs: number };
}

/** What a crash trial found. */
export interface CrashTrialResult {
  total: number;
  /** Files in the library right after each kill. */
  filedAtKill: number[];
  /** exiftool processes still alive 5 s after their daemon was SIGKILLed, over all kills. */
  orphans: number;
  /** The library after the last run: relative path → SHA-256. */
  filed: Map<string, string>;
  /** Exit status of the last run, stopped with SIGTERM. */
  lastExit: number | string | null;
  /** Inputs whose content is neither in the library nor in the inbox. */
  lost: string[];
  /** Inputs whose content is there more than once. */
  twice: string[];
  /** Leftover cross-device copies in progress, anywhere in library or inbox. */
  partial: string[];
  undo: { code: number; stderr: string };
  /** The inbox after `undo --all`. */
  restored: Map<string, string>;
  /** Whether `undo --all` gave back the original inbox: same paths, same bytes. */
  sameInbox: boolean;
  libraryAfterUndo: string[];
  /** Shots (same inbox folder and name but for the extension) not filed as one name in one folder. */
  splitShots: string[];
  seconds: number;
}

/** Kills a filing daemon at random moments, restarts it, and checks nothing was lost. */
export function runCrashTrial(options: CrashTrialOptions): Promise<CrashTrialResult>;

/** What {@link runTortureTrial} needs. */
export interface TortureTrialOptions {
  /** The daemon's two inboxes; the second on another filesystem than the library. */
  inboxes: [string, string];
  /** A folder of photos no daemon watches: scanned (and dry-run scanned) beside the daemon. */
  outside: string;
  library: string;
  /** The daemon's configuration, with its API on. */
  configFile: string;
  /** Photos written into the inboxes while the other commands run. */
  files: number;
  timeoutMs?: number;
}

/** How each command run beside the daemon answered: the expected answer counted, others kept. */
export interface TortureAnswers {
  dryRun: { ok: number; other: string[] };
  scan: { refused: number; other: string[] };
  undo: { ok: number; other: string[] };
  secondRun: { refused: number; other: string[] };
  journal: { ok: number; other: string[] };
  /** `scan --dry-run` runs after which the scanned folder was not as before. */
  dryRunChangedSomething: number;
}

/** What a torture trial found. */
export interface TortureTrialResult {
  seconds: number;
  answers: TortureAnswers;
  lastExit: number | string | null;
  /** Inputs whose content is nowhere. */
  lost: string[];
  /** Inputs whose content is in more than one place. */
  twice: string[];
  /** Temporary copies or `.part` files left anywhere. */
  partial: string[];
  /** Journal rows left `planned`. */
  planned: number;
  undo: { code: number; stderr: string };
  /** Both inboxes after `undo --all` hold exactly what was dropped into them. */
  inboxesRestored: boolean;
  libraryAfterUndo: string[];
  outsideUntouched: boolean;
}

/** Lays out a trial: the inboxes, a folder of photos outside them, the configuration. */
export function prepareTorture(options: {
  dir: string;
  /** The second inbox, on another filesystem than `dir`. */
  far: string;
  outsideFiles: number;
  concurrency?: number;
}): Promise<Omit<TortureTrialOptions, 'files' | 'timeoutMs'>>;

/** Runs the trial (see bench/lib/torture.js). */
export function runTortureTrial(options: TortureTrialOptions): Promise<TortureTrialResult>;

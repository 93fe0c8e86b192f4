import type { ClusterStatus } from '../cluster/status.js';
import type { Config } from '../config/load.js';
import type { JournalEntry, UndoResult, UndoSelector } from '../journal/types.js';
import type { Action } from '../lib/media.js';
import type { FileEvent } from '../pipeline/file-event.js';
import type { DaemonSearchParts } from '../search/index.js';

/** The daemon's state as `GET /status` and `photosortd status` show it. */
export interface DaemonStatus {
  state: 'running' | 'paused';
  queue: { waiting: number; active: number };
  /** Files handled since start, whatever the action. */
  processed: number;
  /** Files whose handling ended in `error`. */
  failed: number;
  /**
   * Files handled since start by the action taken, as `/metrics` counts them: `move` (filed),
   * `unsorted`, `duplicate`, `skip` (left where it is: an occupied name, a symlink, an undo
   * put it back) and `error`.
   */
  handled: Record<Action, number>;
  startedAt: string;
  version: string;
  inboxes: { path: string; watching: boolean; problem?: string }[];
  library: string;
  /** Whether files are filed into the library now, and why not (see library-presence.ts). */
  libraryState: { present: boolean; problem?: string };
  tagging: { enabled: boolean; reason?: string };
  geocode: { enabled: boolean; provider?: string; reason?: string };
  /** How large the journal has grown: operations recorded and bytes on disk. */
  journal: { operations: number; bytes: number };
  /** When a file was last filed into the library (from the journal, so across restarts). */
  lastFiledAt: string | null;
  /**
   * Files left in an inbox on purpose, and why: put back by undo, not a photo or video,
   * still being written. `files` lists the newest {@link HOLDING_LISTED}.
   */
  holding: { count: number; files: { source: string; reason: string }[] };
  /** Files waiting in an inbox, counted by why: what an operator alerts on. */
  waiting: Record<WaitingReason, number>;
  /**
   * With `cluster` in the config: Redis reachable, workers connected, jobs waiting, and how
   * many images each worker (and this machine) embedded since start.
   */
  cluster?: ClusterStatus & { done: Record<string, number> };
}

/**
 * Why a file waits in an inbox: queued for the pipeline (or gathering its companions),
 * held while paused, waiting for the library to come back, still being written, put back by
 * undo, or left there by the rules (a duplicate kept in place, not a photo or video).
 */
export type WaitingReason =
  'queued' | 'paused' | 'library-missing' | 'being-written' | 'put-back-by-undo' | 'left-by-rules';

/** How many held files `status` lists by name. */
export const HOLDING_LISTED = 20;

/** State changes worth telling a dashboard about. */
export type ControlEvent =
  | FileEvent
  | { type: 'paused' | 'resumed'; at: string }
  | { type: 'undo'; at: string; batch: string; undone: number; refused: number };

/** What the API (and anything else steering the daemon) may ask of it. */
export interface DaemonControl {
  status(): DaemonStatus;
  /** Stop taking new files; files in flight finish. */
  pause(): void;
  /** Take files again, including those that arrived while paused. */
  resume(): void;
  undo(
    selector: UndoSelector,
    options?: { force?: boolean; dryRun?: boolean },
  ): Promise<UndoResult>;
  /** Recent operations, newest first. */
  journal(limit: number): JournalEntry[];
  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: ControlEvent) => void): () => void;
  /**
   * The search index the tag stage writes and the tagger, for the API's search to use rather
   * than open its own (absent when no daemon runs in this process).
   */
  searchParts?(): DaemonSearchParts;
}

/** A file the dashboard lists under "Needs attention", with why it is there. */
export interface AttentionItem {
  path: string;
  /** Filed into the library as `unsorted`, or still in an inbox. */
  where: 'unsorted' | 'inbox';
  /** What the pipeline last decided for it, when this daemon handled it. */
  action: Action | null;
  reason: string;
  /** For a duplicate: the library file holding the same bytes. */
  duplicateOf?: string;
}

/** What a person supplies to file a file by hand: a date, a place, or both. */
export interface HandFix {
  /** Wall-clock capture time, `YYYY-MM-DDTHH:MM` (the zone is not known). */
  takenAt?: string;
  place?: { city?: string; country?: string };
}

/** One file of a preview: where it is and where the rules would put it. */
interface PreviewMove {
  source: string;
  target: string | null;
  action: Action;
  rule: string | null;
  reason: string | null;
}

/** What a configuration would do to the files under a folder. */
export interface PreviewReport {
  folder: string;
  /** Files per action; `unchanged` counts files already where the rules put them. */
  counts: Record<Action | 'unchanged', number>;
  /** Files that would move, at most `PREVIEW_EXAMPLES` of them. */
  moves: PreviewMove[];
  /** Files that would move in all. */
  moving: number;
  /** The batch a real run went into (what undo takes back); absent for a preview. */
  batch?: string;
}

/**
 * What the dashboard asks of the daemon beyond the control API: the files that need a
 * person, filing one by hand, and trying, saving and applying a configuration.
 */
export interface DashboardControl extends DaemonControl {
  /** The configuration in use. */
  config(): Config;
  /** Files filed as unsorted and files left in an inbox, with their reasons. */
  attention(): Promise<AttentionItem[]>;
  /**
   * Files one file (and its companions) with the date or place given, or as its metadata
   * says when neither is (a file undo put back, say), journaled.
   */
  fileByHand(path: string, fix: HandFix): Promise<FileEvent>;
  /** Moves a duplicate left in an inbox to the trash, journaled (undo brings it back). */
  trashDuplicate(path: string): Promise<FileEvent>;
  /** Files a duplicate left in an inbox as if the library did not hold it (numbered if taken). */
  fileAnyway(path: string): Promise<FileEvent>;
  /**
   * What the configuration `yaml` would do to the files under `folder`; nothing on disk
   * changes. Throws, naming the key, when `yaml` is not a valid configuration.
   */
  preview(yaml: string, folder: string): Promise<PreviewReport>;
  /** Moves every library file to where the configuration in use puts it, as one batch. */
  resortLibrary(): Promise<PreviewReport>;
  /**
   * Checks `yaml` as a configuration, keeps a copy of the file in use beside it, writes
   * `yaml` in its place and reloads. Throws, changing nothing, when `yaml` is refused.
   */
  saveConfig(yaml: string): Promise<{ file: string; backup: string }>;
}

import type { JournalEntry, UndoResult, UndoSelector } from '../journal/types.js';
import type { Action } from '../lib/media.js';
import type { FileEvent } from '../pipeline/file-event.js';

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
}

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
}

import type { ClusterStatus } from '../cluster/status.js';
import type { JournalEntry, UndoResult, UndoSelector } from '../journal/types.js';
import type { Action, Place, Tag } from '../pipeline/job.js';

/** The daemon's state as `GET /status` and `photosortd status` show it. */
export interface DaemonStatus {
  state: 'running' | 'paused';
  queue: { waiting: number; active: number };
  /** Files handled since start, whatever the action. */
  processed: number;
  /** Files whose handling ended in `error`. */
  failed: number;
  startedAt: string;
  version: string;
  inboxes: { path: string; watching: boolean; problem?: string }[];
  library: string;
  tagging: { enabled: boolean; reason?: string };
  geocode: { enabled: boolean; provider?: string; reason?: string };
  /** How large the journal has grown: operations recorded and bytes on disk. */
  journal: { operations: number; bytes: number };
  /** When a file was last filed into the library (from the journal, so across restarts). */
  lastFiledAt: string | null;
  /**
   * With `cluster` in the config: Redis reachable, workers connected, jobs waiting, and how
   * many images each worker (and this machine) embedded since start.
   */
  cluster?: ClusterStatus & { done: Record<string, number> };
}

/** One file handled by the pipeline: published on `GET /events` and counted in metrics. */
export interface FileEvent {
  type: 'file';
  at: string;
  source: string;
  target: string | null;
  action: Action;
  rule: string | null;
  takenAt: string | null;
  dateSource: string | null;
  place: Place | null;
  tags: Tag[] | null;
  error: string | null;
  /** Milliseconds spent in each stage (identify, exif, geocode, tag, plan, move). */
  durations: Record<string, number>;
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

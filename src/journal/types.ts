import type { Action } from '../lib/media.js';

/**
 * What a journal row records. Besides moves: `create` is a file photosortd made in the
 * library (an XMP sidecar holding tags), `rewrite` is a filed file photosortd changed in
 * place (tags embedded), with `source` the untouched copy kept for undo.
 */
export type OperationKind = 'move' | 'undo' | 'delete' | 'create' | 'rewrite';

/**
 * A row's life: `planned` is written (durably) before the file is touched; `done` once the
 * file is verified at its target; `failed` when the move was abandoned with the source intact;
 * `undone` once a later `undo` row has put the file back.
 */
export type OperationStatus = 'planned' | 'done' | 'failed' | 'undone';

/** One file operation as the journal holds it. */
export interface JournalEntry {
  id: number;
  /** Groups the operations of one scan, one daemon burst or one undo. */
  batch: string;
  op: OperationKind;
  status: OperationStatus;
  /** Where the file was before the operation. */
  source: string;
  /** Where it is after the operation (for `delete`, its place in the trash). */
  target: string | null;
  /**
   * SHA-256 (hex) of the content moved; `null` for a hard link of a file that was never read,
   * whose identity is its inode and stamp (`details.inode`, `details.filed`).
   */
  hash: string | null;
  size: number;
  /** The pipeline's decision that led to it. */
  action: Action | null;
  rule: string | null;
  /** For `undo` rows: the id of the row it reversed. */
  undoes: number | null;
  /** Files moved together (sidecars, RAW+JPEG, Live Photos) share a group id. */
  group: string | null;
  /** ISO 8601. */
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  /** Extra facts worth keeping: takenAt, dateSource, place, tags, Apple's contentId. */
  details: Record<string, unknown> | null;
}

/** Which operations an undo reverses. */
export type UndoSelector =
  | { last: number }
  | { batch: string }
  | { all: true }
  /** These rows (with the rest of their groups): one drop, group or file of the dashboard. */
  | { ids: number[] };

/** One file an undo put back, or refused to. */
export interface UndoItem {
  /** The journal row reversed. */
  id: number;
  /** Where the file is now in the library. */
  from: string;
  /** Where undo puts (or would put) it. */
  to: string;
  /** Why it was refused, when it was. */
  reason?: string;
}

/** What an undo did (or, in a dry run, would do). */
export interface UndoResult {
  /** The undo's journal batch; `null` for a dry run, which journals nothing. */
  batch: string | null;
  /** Whether this was a dry run: `undone` then lists what would be put back. */
  dryRun: boolean;
  undone: UndoItem[];
  refused: UndoItem[];
}

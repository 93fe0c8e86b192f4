import { errorMessage } from '../lib/errors.js';
import { safeMove, type MoveStrategy } from '../lib/safe-move.js';
import type { Journal, NewOperation } from './journal.js';

/** What {@link moveFile} moves, from where, to where and why. */
export interface MoveRequest extends Omit<NewOperation, 'source' | 'target'> {
  /** The file as it is now. */
  from: string;
  /** Where it goes; with `onExists: 'suffix'` a collision makes it `name (1).ext`, …. */
  to: string;
  /** A different file already at `to`: number this one, or refuse with `TARGET_EXISTS`. */
  onExists: 'suffix' | 'fail';
  /**
   * For an `undo` row: mark the row it reverses (`undoes`) `undone` in the same write that
   * closes this one. Off when one undo takes several moves and the caller marks it after.
   */
  markUndone?: boolean;
  /**
   * A `planned` row already written for this move (recovery completing an interrupted one):
   * it is closed instead of a new row being written, and left `planned` if the move fails
   * again, so the next recovery still sees it.
   */
  row?: number;
  /**
   * Runs right before the file is touched, with the row written: a throw (the source still
   * being written, say) fails the row with its reason.
   */
  beforeMove?: () => Promise<void>;
}

/** Where {@link moveFile} put the file. */
export interface MoveDone {
  /** The journal row, now `done`. */
  id: number;
  /** The final path: `to`, or `to` with a collision suffix. */
  target: string;
  strategy: MoveStrategy;
}

/**
 * The journaled move every part of photosortd uses (the mover, undo, recovery): the row is
 * written `planned` and on disk before the file is touched, the file is moved by
 * {@link safeMove} (no clobber, verified, the last copy never removed), and the row is closed
 * `done` with the final path, or `failed` with the reason, which is then thrown.
 */
export async function moveFile(journal: Journal, request: MoveRequest): Promise<MoveDone> {
  const { from, to, onExists, markUndone = true, row, beforeMove, ...operation } = request;
  // Every move needs its row durable first: a crash must leave a trace to reconcile. The
  // row is synced off the event loop; closing it can wait for the next sync (see withoutSync).
  const id = row ?? (await journal.beginDurably({ ...operation, source: from, target: to }));
  let moved;
  try {
    await beforeMove?.();
    moved = await safeMove(from, to, { expectedHash: request.hash, onExists });
  } catch (error) {
    if (row === undefined) journal.fail(id, errorMessage(error));
    throw error;
  }
  journal.withoutSync(
    journal.db.transaction(() => {
      journal.finish(id, moved.target === to ? undefined : moved.target);
      if (markUndone && request.undoes != null) journal.markUndone(request.undoes, id);
    }),
  );
  return { id, target: moved.target, strategy: moved.strategy };
}

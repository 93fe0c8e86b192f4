import type { BigIntStats } from 'node:fs';
import { errorCode, errorMessage } from '../lib/errors.js';
import { hashFile } from '../lib/hash.js';
import { linkedSourceStats, safeMove, type MoveStrategy } from '../lib/safe-move.js';
import type { Journal, NewOperation } from './journal.js';
import type { JournalEntry } from './types.js';

/** What {@link moveFile} moves, from where, to where and why. */
export interface MoveRequest extends Omit<NewOperation, 'source' | 'target'> {
  /** The file as it is now. */
  from: string;
  /** Where it goes; with `onExists: 'suffix'` a collision makes it `name (1).ext`, …. */
  to: string;
  /** A different file already at `to`: number this one, or refuse with `TARGET_EXISTS`. */
  onExists: 'suffix' | 'fail';
  /** The source's content stamp from when it was hashed (see `safeMove`); not journaled. */
  stamp?: string;
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
  /** The content's hash as journaled: `null` for an unread file moved by hard link. */
  hash: string | null;
}

/**
 * What an unread file was when it was filed by hard link: its inode (which the link keeps)
 * and its modification time. Kept in the row's details; recovery finds the placed file by
 * it, and undo takes a file that still matches it (and the row's size) as unchanged.
 */
export interface UnreadIdentity {
  dev: string;
  ino: string;
  mtimeNs: string;
}

/**
 * The journaled move every part of photosortd uses (the mover, undo, recovery): the row is
 * written `planned` and on disk before the file is touched, the file is moved by
 * {@link safeMove} (no clobber, verified, the last copy never removed), and the row is closed
 * `done` with the final path, or `failed` with the reason, which is then thrown.
 */
export async function moveFile(journal: Journal, request: MoveRequest): Promise<MoveDone> {
  const { from, to, onExists, stamp, markUndone = true, row, beforeMove, ...operation } = request;
  // Only a hard link may move a file nobody read (its inode is its identity); any other
  // move verifies a copy or a rename against the content's hash, so it is read here.
  const linked =
    operation.hash === null && stamp !== undefined ? await linkedSourceStats(from, to) : null;
  const unread = linked !== null;
  const hash = unread ? null : (operation.hash ?? (await hashFile(from)));
  const details = linked
    ? { ...operation.details, unread: unreadIdentity(linked) }
    : operation.details;
  // Every move needs its row durable first: a crash must leave a trace to reconcile. The
  // row is synced off the event loop; closing it can wait for the next sync (see withoutSync).
  const id =
    row ?? (await journal.beginDurably({ ...operation, hash, details, source: from, target: to }));
  let moved;
  try {
    await beforeMove?.();
    moved = await safeMove(from, to, { expectedHash: hash ?? undefined, stamp, onExists });
  } catch (error) {
    if (row === undefined) journal.fail(id, errorMessage(error));
    // The filesystem refused the link after all: read the file, and move it with its hash.
    if (unread && errorCode(error) === 'NOT_HASHED') {
      return moveFile(journal, { ...request, hash: await hashFile(from) });
    }
    throw error;
  }
  journal.withoutSync(
    journal.db.transaction(() => {
      journal.finish(id, moved.target === to ? undefined : moved.target);
      if (markUndone && request.undoes != null) journal.markUndone(request.undoes, id);
    }),
  );
  return { id, target: moved.target, strategy: moved.strategy, hash };
}

function unreadIdentity(stats: BigIntStats): UnreadIdentity {
  return { dev: String(stats.dev), ino: String(stats.ino), mtimeNs: String(stats.mtimeNs) };
}

/**
 * Whether the file of `stats` is still the one an unread file's row (`entry`: its move, or
 * the undo that put it back) recorded: the same inode, size and mtime. No write leaves them
 * all as they were short of one in place, of the same length, that puts the mtime back.
 * `false` for a row that recorded no identity.
 */
export function stillUnreadFile(entry: JournalEntry, stats: BigIntStats): boolean {
  const unread = unreadIdentityOf(entry);
  return (
    unread !== undefined &&
    String(stats.dev) === unread.dev &&
    String(stats.ino) === unread.ino &&
    String(stats.mtimeNs) === unread.mtimeNs &&
    Number(stats.size) === entry.size
  );
}

/** The {@link UnreadIdentity} a row of an unread file's move recorded, if it is one. */
export function unreadIdentityOf(entry: JournalEntry): UnreadIdentity | undefined {
  const value = entry.details?.unread;
  if (!value || typeof value !== 'object') return undefined;
  const { dev, ino, mtimeNs } = value as Record<string, unknown>;
  if (typeof dev !== 'string' || typeof ino !== 'string' || typeof mtimeNs !== 'string') {
    return undefined;
  }
  return { dev, ino, mtimeNs };
}

import type { BigIntStats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode, errorMessage } from '../lib/errors.js';
import { hashFile } from '../lib/hash.js';
import { contentStamp, removeEmptyFolders } from '../lib/safe-move.js';
import { assertNoLinkedFolder } from '../lib/real-path.js';
import { isInside } from '../lib/sanitize.js';
import type { Journal } from './journal.js';
import { moveFile, stillUnreadFile, unreadIdentityOf } from './journaled-move.js';
import type { LibraryIndex } from './library-index.js';
import { trashDir, trashPath } from './trash.js';
import type { JournalEntry, UndoItem, UndoResult, UndoSelector } from './types.js';

/** Options of {@link undo}. */
export interface UndoOptions {
  /** Move files back even when their content changed since they were filed. */
  force?: boolean;
  /** Report what would be undone without touching any file or the journal. */
  dryRun?: boolean;
  /** Kept in step: files undone out of the library are forgotten. */
  index?: LibraryIndex;
  /**
   * The library root: folders left empty by an undo are removed up to (never including) it.
   * Defaults to the index's library; without either, folders are left as they are.
   */
  library?: string;
  /**
   * The inbox folders: a row's original path below one of them (or below the folder its
   * journal row names as its root) is checked for symlinked folders from there down;
   * otherwise from `/` down.
   */
  inboxes?: string[];
}

/**
 * Puts files back where they were before the selected operations (newest first), through
 * the same journaled, verified, no-clobber move. A file that is gone, whose content changed
 * since it was filed (unless `force`), or whose original path is occupied again is refused
 * with a reason, never overwritten. The undo is itself a batch of `undo` rows, and the
 * reversed rows are marked `undone`. `delete` rows bring the file back from the trash.
 */
export async function undo(
  journal: Journal,
  selector: UndoSelector,
  options: UndoOptions = {},
): Promise<UndoResult> {
  const dryRun = options.dryRun === true;
  const batch = dryRun ? null : journal.newBatchId();
  const result: UndoResult = { batch, dryRun, undone: [], refused: [] };
  const library = options.library ?? options.index?.library;
  for (const entry of journal.forUndo(selector)) {
    const item: UndoItem = { id: entry.id, from: entry.target ?? '', to: entry.source };
    // A dry run returns before any row is written, so its batch is never used.
    const reason = await undoOne(journal, entry, batch ?? '', options);
    if (reason) {
      result.refused.push({ ...item, reason });
      continue;
    }
    result.undone.push(item);
    if (options.dryRun || entry.op !== 'move') continue;
    options.index?.remove(item.from);
    // A Live Photo's video filed before its still went back to its first library place
    // (forced, its content may differ from the row's: the next start indexes it).
    if (options.index && !options.force && isInside(options.index.library, item.to)) {
      const info = await stat(item.to).catch(() => undefined);
      if (info) options.index.add(item.to, entry.hash, info.size, info.mtimeMs);
    }
    if (library) await removeEmptyFolders(dirname(item.from), library);
  }
  return result;
}

/** Undoes one row; returns why it was refused, or `undefined` when it was (or would be) undone. */
async function undoOne(
  journal: Journal,
  entry: JournalEntry,
  batch: string,
  options: UndoOptions,
): Promise<string | undefined> {
  if (entry.op === 'create' || entry.op === 'rewrite')
    return undoWritten(journal, entry, batch, options);
  const from = entry.target;
  const to = entry.source;
  if (!from) return 'the journal does not say where this file went';

  let stats: BigIntStats;
  try {
    stats = await lstat(from, { bigint: true });
    if (!stats.isFile()) return `${from} is no longer a regular file`;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return `${from} is no longer there (moved or deleted since it was filed)`;
    }
    return `cannot read ${from}: ${errorMessage(error)}`;
  }
  const size = Number(stats.size);
  const content = await contentNow(entry, from, stats, options.force === true);
  if (!content && !options.force) {
    return `${from} changed since it was filed; use --force to move it back anyway`;
  }
  if (await occupied(to)) {
    return `${to} is occupied by another file; move that away first (nothing was overwritten)`;
  }
  const linked = await linkedFolderOnPath(entry, options.inboxes);
  if (linked) return linked;
  if (options.dryRun) return undefined;

  const moved = await journaledMove(journal, entry, batch, {
    from,
    to,
    onExists: 'fail',
    hash: content?.hash ?? null,
    stamp: contentStamp(stats),
    size,
    markUndone: true,
  });
  return typeof moved === 'string' ? moved : undefined;
}

/**
 * Takes back what photosortd wrote into the library after filing a file: a tag sidecar it
 * created goes to the trash; a file it rewrote (tags embedded) goes to the trash and the
 * untouched copy kept at `entry.source` takes its place, so that the older `move` row then
 * puts the original bytes back. Both refuse (unless forced) when the library copy was
 * changed since, as the user's edits would be lost.
 */
async function undoWritten(
  journal: Journal,
  entry: JournalEntry,
  batch: string,
  options: UndoOptions,
): Promise<string | undefined> {
  const file = entry.target;
  if (!file) return 'the journal does not say which file was written';
  if (!(await occupied(file))) {
    if (!options.dryRun) journal.markUndone(entry.id, entry.id);
    return undefined;
  }
  if ((await hashFile(file)) !== entry.hash && !options.force) {
    return `${file} changed since photosortd wrote it; use --force to take it back anyway`;
  }
  if (entry.op === 'rewrite' && !(await occupied(entry.source))) {
    return `the untouched copy ${entry.source} is gone, so ${file} cannot be put back as it was`;
  }
  if (options.dryRun) return undefined;
  const trashed = trashPath(trashDir(dirname(journal.file)), batch, file);
  const moved = await journaledMove(journal, entry, batch, {
    from: file,
    to: trashed,
    onExists: 'suffix',
  });
  if (typeof moved === 'string') return moved;
  if (entry.op === 'rewrite') {
    const restored = await journaledMove(journal, entry, batch, {
      from: entry.source,
      to: file,
      onExists: 'fail',
      hash: String(entry.details?.originalHash ?? '') || undefined,
    });
    if (typeof restored === 'string') return restored;
  }
  journal.markUndone(entry.id, moved.id);
  return undefined;
}

/** One move of an undo, reversing `entry`. */
interface UndoMove {
  from: string;
  to: string;
  onExists: 'suffix' | 'fail';
  /**
   * The content expected at `from`; read from it when not known (`undefined`), or `null`
   * for a file that may move unread by hard link, checked by `stamp`.
   */
  hash?: string | null;
  /** `from`'s content stamp when it was found unchanged (see `safeMove`). */
  stamp?: string;
  size?: number;
  /** Mark `entry` undone with this move; off when the caller marks it after several. */
  markUndone?: boolean;
}

/** One journaled move of an undo, in `entry`'s group; the error message when it failed. */
async function journaledMove(
  journal: Journal,
  entry: JournalEntry,
  batch: string,
  move: UndoMove,
): Promise<{ id: number } | string> {
  try {
    return await moveFile(journal, {
      batch,
      op: 'undo',
      from: move.from,
      to: move.to,
      hash: move.hash === undefined ? await hashFile(move.from) : move.hash,
      stamp: move.stamp,
      size: move.size ?? (await lstat(move.from)).size,
      action: entry.action,
      rule: entry.rule,
      undoes: entry.id,
      markUndone: move.markUndone ?? false,
      group: entry.group,
      onExists: move.onExists,
    });
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * Why `entry.source` may not be written to — a folder on its way, from its inbox down, is a
 * symbolic link (a folder swapped for one would send the file elsewhere) — or `undefined`.
 */
async function linkedFolderOnPath(
  entry: JournalEntry,
  inboxes: string[] = [],
): Promise<string | undefined> {
  const recorded = typeof entry.details?.root === 'string' ? [entry.details.root] : [];
  const root = [...recorded, ...inboxes]
    .filter((folder) => isInside(folder, entry.source))
    .sort((a, b) => a.length - b.length)[0];
  try {
    await assertNoLinkedFolder(root ?? '/', entry.source);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * Whether the library file `from` still holds what `entry` filed, and the hash to move it
 * back with (`null`: unread, moved by link). A hashed row compares content; an unread file's
 * row compares its inode, size and mtime, which no write leaves as they were short of one
 * that restores the mtime in place. `undefined` when it changed (with `force`, its content
 * is taken as it is).
 */
async function contentNow(
  entry: JournalEntry,
  from: string,
  stats: BigIntStats,
  force: boolean,
): Promise<{ hash: string | null } | undefined> {
  if (entry.hash === null && unreadIdentityOf(entry)) {
    if (stillUnreadFile(entry, stats)) return { hash: null };
    return force ? { hash: await hashFile(from) } : undefined;
  }
  if (Number(stats.size) !== entry.size && !force) return undefined;
  const hash = await hashFile(from);
  return hash === entry.hash || force ? { hash } : undefined;
}

async function occupied(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ENOENT';
  }
}

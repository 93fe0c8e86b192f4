import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode, errorMessage } from '../lib/errors.js';
import { hashFile } from '../lib/hash.js';
import { removeEmptyFolders, safeMove } from '../lib/safe-move.js';
import type { Journal } from './journal.js';
import type { LibraryIndex } from './library-index.js';
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
  const result: UndoResult = { batch: journal.newBatchId(), undone: [], refused: [] };
  const library = options.library ?? options.index?.library;
  for (const entry of journal.forUndo(selector)) {
    const item: UndoItem = { id: entry.id, from: entry.target ?? '', to: entry.source };
    const reason = await undoOne(journal, entry, result.batch, options);
    if (reason) {
      result.refused.push({ ...item, reason });
      continue;
    }
    result.undone.push(item);
    if (options.dryRun || entry.op !== 'move') continue;
    options.index?.remove(item.from);
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
  const from = entry.target;
  const to = entry.source;
  if (!from) return 'the journal does not say where this file went';

  let size: number;
  try {
    const stats = await lstat(from);
    if (!stats.isFile()) return `${from} is no longer a regular file`;
    size = stats.size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return `${from} is no longer there (moved or deleted since it was filed)`;
    }
    return `cannot read ${from}: ${errorMessage(error)}`;
  }
  const hash = size === entry.size || options.force ? await hashFile(from) : null;
  if (hash !== entry.hash && !options.force) {
    return `${from} changed since it was filed; use --force to move it back anyway`;
  }
  if (await occupied(to)) {
    return `${to} is occupied by another file; move that away first (nothing was overwritten)`;
  }
  if (options.dryRun) return undefined;

  const content = hash ?? entry.hash;
  const id = journal.begin({
    batch,
    op: 'undo',
    source: from,
    target: to,
    hash: content,
    size,
    action: entry.action,
    rule: entry.rule,
    undoes: entry.id,
    group: entry.group,
  });
  try {
    await safeMove(from, to, { expectedHash: content, onExists: 'fail' });
  } catch (error) {
    journal.fail(id, errorMessage(error));
    return errorMessage(error);
  }
  journal.withoutSync(
    journal.db.transaction(() => {
      journal.finish(id);
      journal.markUndone(entry.id, id);
    }),
  );
  return undefined;
}

async function occupied(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ENOENT';
  }
}

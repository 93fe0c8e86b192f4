import type { Journal } from '../journal/journal.js';
import type { JournalEntry } from '../journal/types.js';
import { isInside } from '../lib/sanitize.js';
import type { SearchIndex } from './store.js';

/** The setting that holds the id of the last journal row the index has taken in. */
const CURSOR = 'journal-cursor';
/** Rows read per step, so that a first sync of a long journal does not hold them all. */
const PAGE = 5_000;

type Row = Pick<JournalEntry, 'id' | 'op' | 'status' | 'source' | 'target' | 'hash' | 'size'>;

/**
 * Brings the index's list of library files up to the journal, which stays the truth: a
 * file filed into the library is added (searchable once its content has an embedding), one
 * undone out of it, moved elsewhere by a later re-sort or deleted as a duplicate is removed.
 * Reads only rows it has not seen, and stops before a row still `planned`, so a move in
 * flight is taken in once it is finished. Returns how many rows it took in.
 */
export function syncFromJournal(index: SearchIndex, journal: Journal): number {
  let cursor = Number(index.setting(CURSOR) ?? 0);
  const select = journal.db.prepare(
    `SELECT id, op, status, source, target, hash, size FROM operations WHERE id > ? ORDER BY id LIMIT ?`,
  );
  let taken = 0;
  for (;;) {
    const rows = select.all(cursor, PAGE) as Row[];
    const pending = rows.findIndex((row) => row.status === 'planned');
    const ready = pending < 0 ? rows : rows.slice(0, pending);
    if (ready.length === 0) return taken;
    index.transaction(() => {
      for (const row of ready) apply(index, row);
      cursor = ready[ready.length - 1]!.id;
      index.setSetting(CURSOR, String(cursor));
    });
    taken += ready.length;
    if (pending >= 0 || rows.length < PAGE) return taken;
  }
}

/** What one finished journal row means for the library's list of files. */
function apply(index: SearchIndex, row: Row): void {
  if (row.status === 'failed') return;
  const inLibrary = (path: string | null): path is string =>
    path !== null && isInside(index.library, path);
  if (row.op === 'move' || row.op === 'undo' || row.op === 'delete') {
    if (inLibrary(row.source)) index.removeFile(row.source);
    // An unread file (no hash) was never tagged: it has no embedding to find it by.
    if (row.op !== 'delete' && inLibrary(row.target) && row.hash !== null)
      index.setFile(row.target, row.hash, row.size, null);
  }
}

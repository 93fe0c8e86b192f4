import type { JournalEntry } from '../journal/types.js';

/**
 * Quiet that ends a drop. A card dump or an AirDrop arrives as a burst of files seconds
 * apart; the next burst, minutes later, is another drop a person would undo on its own.
 */
const DROP_QUIET_MS = 60_000;

/** Operations a person sees in History: what photosortd did to their files. */
const SHOWN = new Set(['move', 'delete', 'create', 'rewrite']);

/** Files filed together (a Live Photo's halves, a photo and its sidecars). */
export interface FileGroup {
  /** The journal group id, or `#<row id>` for a file filed alone. */
  key: string;
  entries: JournalEntry[];
}

/** A burst of files separated from the next by quiet. */
export interface Drop {
  /** The first and last journal row ids: what "undo this drop" names. */
  first: number;
  last: number;
  startedAt: string;
  endedAt: string;
  groups: FileGroup[];
  files: number;
  /** Files still where photosortd put them (not undone). */
  undoable: number;
}

/**
 * The journal as drops: rows (newest first, as the journal lists them) split wherever no
 * file was handled for {@link DROP_QUIET_MS}, whatever batch or daemon run they belong to;
 * within a drop, rows of one journal group together. Newest drop first.
 */
export function toDrops(entries: readonly JournalEntry[], quietMs = DROP_QUIET_MS): Drop[] {
  const rows = entries.filter((entry) => SHOWN.has(entry.op)).sort((a, b) => a.id - b.id);
  const drops: JournalEntry[][] = [];
  let previous: number | undefined;
  for (const row of rows) {
    const at = Date.parse(row.createdAt);
    const current = drops.at(-1);
    if (!current || previous === undefined || at - previous > quietMs) drops.push([row]);
    else current.push(row);
    previous = at;
  }
  return drops.reverse().map(toDrop);
}

function toDrop(rows: JournalEntry[]): Drop {
  const groups = new Map<string, JournalEntry[]>();
  for (const row of rows) {
    const key = row.group ?? `#${row.id}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last) throw new RangeError('a drop has at least one row');
  return {
    first: first.id,
    last: last.id,
    startedAt: first.createdAt,
    endedAt: last.finishedAt ?? last.createdAt,
    groups: [...groups].map(([key, entries]) => ({ key, entries })),
    files: rows.length,
    undoable: rows.filter((row) => row.status === 'done').length,
  };
}

/** Rows of `entries` an undo of the drop `first`–`last` would reverse. */
export function dropRows(entries: readonly JournalEntry[], first: number, last: number): number[] {
  return entries
    .filter((entry) => entry.id >= first && entry.id <= last && SHOWN.has(entry.op))
    .filter((entry) => entry.status === 'done')
    .map((entry) => entry.id);
}

import type { Stats } from 'node:fs';
import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorCode, errorMessage, PhotosortdError } from '../lib/errors.js';
import { hashFile } from '../lib/hash.js';
import { safeMove, suffixedName, tempPrefix, TEMP_SUFFIX } from '../lib/safe-move.js';
import type { Journal } from './journal.js';
import type { JournalEntry } from './types.js';

/** What {@link recover} found and did. */
export interface RecoveryReport {
  /** Rows that were left `planned`. */
  total: number;
  /** The file had reached its target: row marked `done` (a source copy left over was removed). */
  completed: number;
  /** The file had not been placed: row marked `failed`, source untouched. */
  rolledBack: number;
  /** Neither source nor target could be found: row marked `failed`, nothing touched. */
  missing: number;
  /** Placed, but the source now holds different content, so it was kept: row `done`. */
  keptSource: number;
  /** Partial or redundant temporary copies removed. */
  tempFilesRemoved: number;
  /** One line per row, for the log. */
  notes: string[];
}

/** A row counts as "ours" only if its inode changed after the row was written (less slack). */
const CTIME_SLACK_MS = 2000;

/** Collision suffixes looked at when finding where an interrupted move put a file. */
const MAX_CANDIDATES = 10_000;

/**
 * Reconciles every row a crash left `planned` with what is on disk. Never deletes the only
 * copy of anything: a source is unlinked only when the target holds the same content, and a
 * temporary copy is removed only when the source or the target still holds it.
 */
export async function recover(journal: Journal): Promise<RecoveryReport> {
  const report: RecoveryReport = {
    total: 0,
    completed: 0,
    rolledBack: 0,
    missing: 0,
    keptSource: 0,
    tempFilesRemoved: 0,
    notes: [],
  };
  for (const row of journal.planned()) {
    report.total++;
    await reconcile(journal, row, report);
  }
  return report;
}

async function reconcile(
  journal: Journal,
  row: JournalEntry,
  report: RecoveryReport,
): Promise<void> {
  if (!row.target) {
    journal.fail(row.id, 'interrupted before a target was recorded; nothing was moved');
    report.rolledBack++;
    return;
  }
  const source = await statOrNull(row.source);
  const temps = await leftoverTemps(row.target);
  const placed = await findPlaced(row, source, temps);

  if (placed) {
    let note = `${row.source} → ${placed.path}: the move had completed`;
    if (source) {
      if (sameInode(source, placed.stats) || (await hashFile(row.source)) === row.hash) {
        await unlink(row.source);
        note = `${row.source} → ${placed.path}: completed by removing the source copy`;
      } else {
        report.keptSource++;
        note = `${row.source} → ${placed.path}: placed, but the source changed since, so it was kept`;
      }
    }
    report.tempFilesRemoved += await removeAll(temps.map((temp) => temp.path));
    finish(journal, row, placed.path);
    report.completed++;
    report.notes.push(note);
    return;
  }

  if (source) {
    report.tempFilesRemoved += await removeAll(temps.map((temp) => temp.path));
    journal.fail(row.id, 'interrupted before the file was placed; rolled back, source untouched');
    report.rolledBack++;
    report.notes.push(`${row.source}: rolled back, still in place`);
    return;
  }

  // The source is gone and no target holds the content: a complete temporary copy is then
  // the only copy left, so it is put in place rather than removed.
  for (const temp of temps) {
    if (temp.stats.size !== row.size || (await hashFile(temp.path)) !== row.hash) continue;
    const moved = await safeMove(temp.path, row.target, {
      expectedHash: row.hash,
      onExists: 'suffix',
    });
    report.tempFilesRemoved += await removeAll(
      temps.filter((other) => other !== temp).map((other) => other.path),
    );
    finish(journal, row, moved.target);
    report.completed++;
    report.notes.push(`${row.source} → ${moved.target}: completed from its verified copy`);
    return;
  }
  journal.fail(
    row.id,
    `interrupted, and neither ${row.source} nor ${row.target} exists any more; nothing was touched`,
  );
  report.missing++;
  report.notes.push(`${row.source}: missing from both places; left as found`);
}

function finish(journal: Journal, row: JournalEntry, target: string): void {
  journal.withoutSync(
    journal.db.transaction(() => {
      journal.finish(row.id, target === row.target ? undefined : target);
      if (row.op === 'undo' && row.undoes !== null) journal.markUndone(row.undoes, row.id);
    }),
  );
}

interface Found {
  path: string;
  stats: Stats;
}

/**
 * Where the interrupted move put the file, if it got that far: the target or one of its
 * collision variants that is the very inode of the source or of a temporary copy, or that
 * holds the content and was linked after the row was written.
 */
async function findPlaced(
  row: JournalEntry,
  source: Stats | null,
  temps: Found[],
): Promise<Found | undefined> {
  const since = Date.parse(row.createdAt) - CTIME_SLACK_MS;
  for (let n = 0; n <= MAX_CANDIDATES; n++) {
    const path = suffixedName(row.target as string, n);
    const stats = await statOrNull(path);
    if (!stats) {
      if (n === 0) continue;
      return undefined;
    }
    if (!stats.isFile()) continue;
    if ((source && sameInode(source, stats)) || temps.some((t) => sameInode(t.stats, stats))) {
      return { path, stats };
    }
    if (stats.size === row.size && stats.ctimeMs >= since && (await hashFile(path)) === row.hash) {
      return { path, stats };
    }
  }
  return undefined;
}

async function leftoverTemps(target: string): Promise<Found[]> {
  const folder = dirname(target);
  const prefix = tempPrefix(target);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: Found[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const path = join(folder, name);
    const stats = await statOrNull(path);
    if (stats?.isFile()) found.push({ path, stats });
  }
  return found;
}

async function removeAll(paths: string[]): Promise<number> {
  for (const path of paths) await rm(path, { force: true });
  return paths.length;
}

function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
    throw new PhotosortdError(
      'RECOVERY_FAILED',
      `Cannot check ${path} while reconciling an interrupted move (${errorMessage(error)}). ` +
        'Make its folder readable by photosortd and start it again; that row was left as it was.',
      { cause: error },
    );
  }
}

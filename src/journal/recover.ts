import type { BigIntStats } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorCode, errorMessage, PhotosortdError } from '../lib/errors.js';
import { capabilitiesOf } from '../lib/fs-capabilities.js';
import { hashFile } from '../lib/hash.js';
import {
  removeUnlessLastCopy,
  sameFile,
  suffixedName,
  tempPrefix,
  TEMP_SUFFIX,
} from '../lib/safe-move.js';
import type { Journal } from './journal.js';
import { moveFile, unreadIdentityOf } from './journaled-move.js';
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
  /** Partial or redundant temporary copies, and empty reserved names, removed. */
  tempFilesRemoved: number;
  /** One line per row, for the log. */
  notes: string[];
}

/** A row counts as "ours" only if its inode changed after the row was written (less slack). */
const CTIME_SLACK_MS = 2000;

/** Collision suffixes looked at when finding where an interrupted move put a file. */
const MAX_CANDIDATES = 10_000;

/**
 * Reconciles every row a crash left `planned` with what is on disk, whichever way the move
 * was being made (hard link, rename onto a reserved name, copy). Never deletes the last copy
 * of anything: a source is unlinked only when the target is the same file or both hold the
 * row's content, a complete temporary copy is removed only when the source or the target
 * holds it too, and a reserved name is removed only while it is still empty.
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
  const { placed, reserved } = await findPlaced(row, source, temps);
  report.tempFilesRemoved += await removeReservations(reserved);

  if (placed) {
    let note = `${row.source} → ${placed.path}: the move had completed`;
    if (source) {
      if (await removeUnlessLastCopy(row.source, placed.path, row.hash)) {
        note = `${row.source} → ${placed.path}: completed by removing the source copy`;
      } else {
        report.keptSource++;
        note = `${row.source} → ${placed.path}: placed, but the source changed since, so it was kept`;
      }
    }
    report.tempFilesRemoved += await removeTemps(temps, placed.path, row.hash);
    finish(journal, row, placed.path);
    report.completed++;
    report.notes.push(note);
    return;
  }

  if (source) {
    report.tempFilesRemoved += await removeTemps(temps, row.source, row.hash);
    journal.fail(row.id, 'interrupted before the file was placed; rolled back, source untouched');
    report.rolledBack++;
    report.notes.push(`${row.source}: rolled back, still in place`);
    return;
  }

  // The source is gone and no target holds the content: a complete temporary copy is then
  // the only copy left, so it is put in place rather than removed.
  for (const temp of temps) {
    if (row.hash === null) break;
    if (temp.stats.size !== BigInt(row.size) || (await hashFile(temp.path)) !== row.hash) continue;
    const moved = await moveFile(journal, {
      batch: row.batch,
      op: row.op,
      hash: row.hash,
      size: row.size,
      undoes: row.undoes,
      row: row.id,
      from: temp.path,
      to: row.target,
      onExists: 'suffix',
      markUndone: row.op === 'undo',
    });
    const others = temps.filter((other) => other !== temp);
    report.tempFilesRemoved += await removeTemps(others, moved.target, row.hash);
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
  stats: BigIntStats;
}

/**
 * Where the interrupted move put the file, if it got that far: the target or one of its
 * collision variants that is the very inode of the source or of a temporary copy, or that
 * holds the content and was put there after the row was written (by its change time, where
 * the filesystem keeps one apart from the modification time; exFAT and rclone do not). Also
 * the names reserved for a rename that a crash left empty.
 */
async function findPlaced(
  row: JournalEntry,
  source: BigIntStats | null,
  temps: Found[],
): Promise<{ placed?: Found; reserved: Found[] }> {
  const target = row.target as string;
  const since = BigInt(Date.parse(row.createdAt) - CTIME_SLACK_MS);
  // A folder that cannot be probed is taken to keep change times: nothing is then claimed
  // by content alone, which can only leave a copy too many, never one too few.
  const { changeTime } = await capabilitiesOf(dirname(target)).catch(() => ({
    changeTime: true,
  }));
  const recent = (stats: BigIntStats) => !changeTime || stats.ctimeMs >= since;
  // An unread file's move was a hard link: the placed file is the inode it recorded.
  const unread = unreadIdentityOf(row);
  const linked = (stats: BigIntStats) =>
    unread !== undefined && String(stats.dev) === unread.dev && String(stats.ino) === unread.ino;
  const reserved: Found[] = [];
  for (let n = 0; n <= MAX_CANDIDATES; n++) {
    const path = suffixedName(target, n);
    const stats = await statOrNull(path);
    if (!stats) {
      if (n === 0) continue;
      break;
    }
    if (!stats.isFile()) continue;
    if (
      (source && sameFile(source, stats)) ||
      temps.some((t) => sameFile(t.stats, stats)) ||
      linked(stats)
    ) {
      return { placed: { path, stats }, reserved };
    }
    // An empty file cannot be told from an empty photo; only a non-empty row has reservations.
    if (stats.size === 0n && row.size > 0 && recent(stats)) {
      reserved.push({ path, stats });
      continue;
    }
    if (
      row.hash !== null &&
      stats.size === BigInt(row.size) &&
      recent(stats) &&
      (await hashFile(path)) === row.hash
    ) {
      return { placed: { path, stats }, reserved };
    }
  }
  return { reserved };
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

/**
 * Removes temporary copies: a partial one (not holding `hash`) is a copy of nothing, a
 * complete one goes only when `keeper` holds the content too. A row without a hash was a
 * hard link, which makes no copies: copies beside its target are another move's, left alone.
 */
async function removeTemps(temps: Found[], keeper: string, hash: string | null): Promise<number> {
  let removed = 0;
  if (hash === null) return removed;
  for (const temp of temps) {
    const complete = (await hashFile(temp.path)) === hash;
    if (complete ? await removeUnlessLastCopy(temp.path, keeper, hash) : await drop(temp.path)) {
      removed++;
    }
  }
  return removed;
}

/** Removes names reserved for a rename, each only while it is still empty. */
async function removeReservations(reserved: Found[]): Promise<number> {
  let removed = 0;
  for (const { path } of reserved) {
    if ((await statOrNull(path))?.size === 0n && (await drop(path))) removed++;
  }
  return removed;
}

async function drop(path: string): Promise<boolean> {
  await rm(path, { force: true });
  return true;
}

async function statOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
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

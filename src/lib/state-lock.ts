import Database from 'better-sqlite3';
import { access, rm } from 'node:fs/promises';
import { PhotosortdError, errorCode, errorMessage } from './errors.js';
import {
  createPrivateFile,
  prepareStateDir,
  readStateRecord,
  statePaths,
  writeStateRecord,
} from './state-paths.js';

/** Who holds a state folder's lock, as the holder recorded it. */
export interface LockHolder {
  pid: number;
  /** The command holding it: `run`, `scan`, `undo`. */
  command: string;
  startedAt: string;
}

/** Options of {@link acquireStateLock}, with {@link LOCK_DEFAULTS}. */
export interface LockOptions {
  waitMs: number;
}

/** Defaults of {@link LockOptions}. */
const LOCK_DEFAULTS: Readonly<LockOptions> = Object.freeze({
  // Long enough to outwait another process probing the lock (a `status` holds it shared for
  // a moment), short enough that a second `run` tells its user at once who holds it.
  waitMs: 2_000,
});

/** The exclusive hold of one state folder, until {@link StateLock.release} or process exit. */
export interface StateLock {
  readonly stateDir: string;
  readonly holder: LockHolder;
  /** Gives the folder up; the operating system does the same when the process dies. */
  release(): Promise<void>;
}

/** Another process holds the state folder's lock. */
export class StateLockedError extends PhotosortdError {
  constructor(
    readonly stateDir: string,
    /** As the holder recorded it; null when it has not (yet) or the record is unreadable. */
    readonly holder: LockHolder | null,
  ) {
    super(
      'STATE_LOCKED',
      `${describeHolder(holder)} is using the state folder ${stateDir}; wait for it to finish ` +
        'or stop it, or give this one its own `state` folder',
    );
    this.name = 'StateLockedError';
  }
}

/** "photosortd run (pid 12, since …)", or "another process" when the holder is unknown. */
export function describeHolder(holder: LockHolder | null): string {
  return holder
    ? `photosortd ${holder.command} (pid ${holder.pid}, since ${holder.startedAt})`
    : 'another process';
}

/**
 * Takes the state folder for this process, or throws {@link StateLockedError} naming the
 * holder. The lock is SQLite's exclusive lock (an `fcntl` lock) on `<state>/lock.sqlite`, held
 * by a write transaction that stays open: the kernel releases it when the process dies,
 * SIGKILL and power cut included, so no stale record can ever block a start.
 */
export async function acquireStateLock(
  stateDir: string,
  command: string,
  options: Partial<LockOptions> = {},
): Promise<StateLock> {
  const { waitMs } = { ...LOCK_DEFAULTS, ...options };
  const paths = statePaths(stateDir);
  await prepareStateDir(stateDir);
  createPrivateFile(paths.lock);
  const db = new Database(paths.lock, { timeout: waitMs });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (errorCode(error) === 'SQLITE_BUSY') {
      throw new StateLockedError(stateDir, await readHolder(stateDir));
    }
    throw new PhotosortdError(
      'STATE_UNAVAILABLE',
      `Cannot lock the state folder ${stateDir} (${paths.lock}): ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const holder: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  await writeStateRecord(paths.lockHolder, holder);
  let released = false;
  return {
    stateDir,
    holder,
    async release() {
      if (released) return;
      released = true;
      // The record goes first: once the lock is free another process may write its own.
      await rm(paths.lockHolder, { force: true });
      db.close();
    },
  };
}

/**
 * Who holds the state folder's lock: null when no process does (whatever files a crash left
 * behind). Probes with a shared lock, so it never takes the folder from anyone.
 */
export async function stateLockHolder(
  stateDir: string,
): Promise<{ holder: LockHolder | null } | null> {
  const paths = statePaths(stateDir);
  try {
    await access(paths.lock);
  } catch (error) {
    // No lock file: nothing ever took this folder, or it does not exist yet.
    if (errorCode(error) === 'ENOENT') return null;
    throw unreadable(stateDir, error);
  }
  let db: Database.Database;
  try {
    db = new Database(paths.lock, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch (error) {
    throw unreadable(stateDir, error);
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return null;
  } catch (error) {
    if (errorCode(error) !== 'SQLITE_BUSY') throw unreadable(stateDir, error);
    return { holder: await readHolder(stateDir) };
  } finally {
    db.close();
  }
}

function unreadable(stateDir: string, error: unknown): PhotosortdError {
  return new PhotosortdError(
    'STATE_UNAVAILABLE',
    `Cannot read the state folder ${stateDir} (${errorMessage(error)}); run the command as ` +
      'the user photosortd runs as',
    { cause: error },
  );
}

function readHolder(stateDir: string): Promise<LockHolder | null> {
  return readStateRecord<LockHolder>(
    statePaths(stateDir).lockHolder,
    (value) => Number.isInteger(value.pid) && typeof value.command === 'string',
  );
}

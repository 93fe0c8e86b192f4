import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosortdError } from './errors.js';

/*
 * Whether some process still has a file open for writing: a copy that stalled longer than
 * `settle` (an SMB copy over Wi-Fi, a card reader that hiccups) looks settled, but its
 * writer will go on writing. On Linux every process's descriptors are links under
 * `/proc/PID/fd`, and `/proc/PID/fdinfo/N` holds the open flags. One sweep reads them all
 * (a `readdir` per process, a `readlink` per descriptor: about a millisecond for 400
 * descriptors); the files asked about while a sweep runs share the
 * next one, so a burst of moves costs a fraction of that per file (BENCHMARKS.md, Open
 * writers). Processes of other users are seen only
 * when photosortd runs as root or with CAP_SYS_PTRACE; elsewhere (macOS, BSD, Windows) there
 * is no such listing without spawning `lsof`, and no check is made: the size and mtime
 * re-check around the move remains.
 */

/** O_WRONLY | O_RDWR: the access mode bits of `flags:` in fdinfo. */
const WRITE_ACCESS = 0o3;

/** Options of {@link createOpenWriterCheck}, with defaults in {@link OPEN_WRITER_DEFAULTS}. */
export interface OpenWriterOptions {
  /** Where the process table is; a test may point it elsewhere. */
  proc: string;
  /** Whether the check runs at all (off where there is no such table). */
  enabled: boolean;
}

const OPEN_WRITER_DEFAULTS: Readonly<OpenWriterOptions> = Object.freeze({
  proc: '/proc',
  // Only Linux has /proc/PID/fd with fdinfo flags; elsewhere there is nothing cheap to ask.
  enabled: process.platform === 'linux',
});

/** A process that has a file open for writing. */
interface OpenWriter {
  pid: number;
  /** The process's name (`comm`), for the log line. */
  command: string;
}

/** Asks whether files are open for writing; see {@link createOpenWriterCheck}. */
export interface OpenWriterCheck {
  /** The first process found writing `path`, or `undefined` (also when no check is made). */
  writerOf(path: string): Promise<OpenWriter | undefined>;
}

/**
 * Least time between the starts of two sweeps: four times what the last one took, within
 * these bounds. A sweep costs the event loop a millisecond or two per hundred processes; in
 * a burst, files reach their move a few milliseconds apart, and a sweep each would cost more
 * than filing them. Asked within the gap, a file waits for the next sweep with the others.
 * The gap also bounds how many files a second can pass (the files in flight, `concurrency`,
 * per gap): a fixed 50 ms held a scan of small photos to 640 a second, where a sweep here
 * takes 3 ms. Four times its length keeps sweeps under a fifth of the loop in a burst; a file
 * asked after a quiet spell is swept at once.
 */
const SWEEP_GAP = Object.freeze({ factor: 4, minMs: 10, maxMs: 50 });

/**
 * A check whose questions share sweeps of the process table: the paths asked until the next
 * sweep starts (see {@link SWEEP_GAP}) are answered together by it, so under a burst
 * of moves the cost per file falls with the number of files in flight.
 */
export function createOpenWriterCheck(options: Partial<OpenWriterOptions> = {}): OpenWriterCheck {
  const { proc, enabled } = { ...OPEN_WRITER_DEFAULTS, ...options };
  let pending = new Map<string, ((writer: OpenWriter | undefined) => void)[]>();
  let lastSweep = -Infinity;
  let gapMs: number = SWEEP_GAP.minMs;

  function sweep(): void {
    lastSweep = performance.now();
    const asked = pending;
    pending = new Map();
    let found: Map<string, OpenWriter>;
    try {
      found = writersOf(proc, [...asked.keys()]);
    } catch {
      found = new Map();
    }
    const took = performance.now() - lastSweep;
    gapMs = Math.min(SWEEP_GAP.maxMs, Math.max(SWEEP_GAP.minMs, SWEEP_GAP.factor * took));
    for (const [path, resolvers] of asked) {
      for (const resolve of resolvers) resolve(found.get(path));
    }
  }

  return {
    async writerOf(path) {
      if (!enabled) return undefined;
      const real = await realpath(path).catch(() => undefined);
      if (!real) return undefined;
      return new Promise((resolve) => {
        if (pending.size === 0) {
          const wait = lastSweep + gapMs - performance.now();
          if (wait > 0) setTimeout(sweep, wait);
          else setImmediate(sweep);
        }
        pending.set(real, [...(pending.get(real) ?? []), resolve]);
      });
    },
  };
}

/**
 * One sweep: for each of `paths` (real paths), a process that has it open for writing. The
 * calls are synchronous: procfs answers from the kernel's memory in a few microseconds, while
 * each asynchronous call costs a round trip through libuv's thread pool, ten times that; a
 * sweep of 400 descriptors took 10 ms as promises and takes about 1 ms this way
 * (BENCHMARKS.md, Open writers).
 */
function writersOf(proc: string, paths: string[]): Map<string, OpenWriter> {
  const wanted = new Set(paths);
  const found = new Map<string, OpenWriter>();
  const pids = readdirSync(proc).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fdDir = join(proc, pid, 'fd');
    // A process that ended meanwhile, or another user's: nothing to see.
    for (const fd of listOrNone(fdDir)) {
      const target = readOrNone(() => readlinkSync(join(fdDir, fd)));
      if (!wanted.has(target) || found.has(target)) continue;
      const info = readOrNone(() => readFileSync(join(proc, pid, 'fdinfo', fd), 'utf8'));
      const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
      if (flags === undefined || (parseInt(flags, 8) & WRITE_ACCESS) === 0) continue;
      const command = readOrNone(() => readFileSync(join(proc, pid, 'comm'), 'utf8')) || '?';
      found.set(target, { pid: Number(pid), command: command.trim() });
    }
  }
  return found;
}

function listOrNone(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What `read` returns, or '' when the process or descriptor is gone (or not ours to see). */
function readOrNone(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** The code of the error {@link assertNotBeingWritten} throws for a file open for writing. */
export const STILL_BEING_WRITTEN = 'STILL_BEING_WRITTEN';

/**
 * Throws when the file at `path` is not the one that was read: `SOURCE_CHANGED` when its
 * size or mtime differ from `seen` (identify's; the watcher reports the change, and it is
 * taken again), `STILL_BEING_WRITTEN` when a process has it open for writing (no event may
 * come when the writer only closes it). Run right before a source goes, so that half a file
 * is never filed and the rest never written into an unlinked inode. A file already gone is
 * left to the move to report.
 */
export async function assertNotBeingWritten(
  check: OpenWriterCheck,
  path: string,
  seen: { size: number; mtimeMs: number },
): Promise<void> {
  const now = await stat(path).catch(() => undefined);
  if (!now) return;
  if (now.size !== seen.size || now.mtimeMs !== seen.mtimeMs) {
    throw new PhotosortdError(
      'SOURCE_CHANGED',
      `${path} changed while it was being filed (${seen.size} → ${now.size} bytes); it stays ` +
        'in the inbox and is taken again once it is complete.',
    );
  }
  const writer = await check.writerOf(path);
  if (writer) {
    throw new PhotosortdError(
      STILL_BEING_WRITTEN,
      `${path} is still open for writing by ${writer.command} (pid ${writer.pid}); it stays ` +
        'in the inbox and is taken again once that program has closed it.',
    );
  }
}

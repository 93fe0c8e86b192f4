import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PhotosortdError } from './errors.js';

/*
 * Whether some process still has a file open for writing: a copy that stalled longer than
 * `settle` (an SMB copy over Wi-Fi, a card reader that hiccups) looks settled, but its
 * writer will go on writing. On Linux every process's descriptors are links under
 * `/proc/PID/fd`, and `/proc/PID/fdinfo/N` holds the open flags. One sweep reads them all
 * (a `readdir` per process, a `readlink` per descriptor: about 15 ms with 110 processes,
 * 180 ms with 420 on a loaded machine); the files asked about while a sweep runs share the
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
 * A check whose questions share sweeps of the process table: the paths asked while a sweep
 * runs are answered together by the next one, so under a burst of moves the cost per file
 * falls with the number of files in flight.
 */
export function createOpenWriterCheck(options: Partial<OpenWriterOptions> = {}): OpenWriterCheck {
  const { proc, enabled } = { ...OPEN_WRITER_DEFAULTS, ...options };
  let pending = new Map<string, ((writer: OpenWriter | undefined) => void)[]>();
  let sweeping = false;

  async function sweep(): Promise<void> {
    sweeping = true;
    while (pending.size > 0) {
      const asked = pending;
      pending = new Map();
      const found = await writersOf(proc, [...asked.keys()]).catch(
        () => new Map<string, OpenWriter>(),
      );
      for (const [path, resolvers] of asked) {
        for (const resolve of resolvers) resolve(found.get(path));
      }
    }
    sweeping = false;
  }

  return {
    async writerOf(path) {
      if (!enabled) return undefined;
      const real = await realpath(path).catch(() => undefined);
      if (!real) return undefined;
      return new Promise((resolve) => {
        pending.set(real, [...(pending.get(real) ?? []), resolve]);
        if (!sweeping) setImmediate(() => void sweep());
        sweeping = true;
      });
    },
  };
}

/** One sweep: for each of `paths` (real paths), a process that has it open for writing. */
async function writersOf(proc: string, paths: string[]): Promise<Map<string, OpenWriter>> {
  const wanted = new Set(paths);
  const found = new Map<string, OpenWriter>();
  const pids = (await readdir(proc)).filter((name) => /^\d+$/.test(name));
  await Promise.all(
    pids.map(async (pid) => {
      const fdDir = join(proc, pid, 'fd');
      // A process that ended meanwhile, or another user's: nothing to see.
      const fds = await readdir(fdDir).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(join(fdDir, fd)).catch(() => '');
        if (!wanted.has(target) || found.has(target)) continue;
        const info = await readFile(join(proc, pid, 'fdinfo', fd), 'utf8').catch(() => '');
        const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
        if (flags === undefined || (parseInt(flags, 8) & WRITE_ACCESS) === 0) continue;
        const command = await readFile(join(proc, pid, 'comm'), 'utf8').catch(() => '?');
        found.set(target, { pid: Number(pid), command: command.trim() });
      }
    }),
  );
  return found;
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

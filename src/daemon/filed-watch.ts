import { stat } from 'node:fs/promises';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../lib/logger.js';
import type { OpenWriterCheck } from '../lib/open-writers.js';
import type { FiledContent } from '../pipeline/changed-after-filing.js';

/*
 * A file is filed once it has settled and no process has it open for writing, but a writer
 * can still hold it another way (a read descriptor it reopens for appending, an SMB server's
 * handle) and go on writing into the library copy after a rename or link moved the inode.
 * The daemon watches each file it filed for a while: when it changes, it waits until the
 * file has settled again and records its final bytes (see changed-after-filing.ts).
 */

/** Options of {@link createFiledWatch}. */
export interface FiledWatchOptions {
  journal: Journal;
  /** How long a just-filed file is watched, ms; a change starts the window again. */
  windowMs: () => number;
  /** How long a changed file must go unchanged before it is hashed again, ms. */
  settleMs: () => number;
  writers: OpenWriterCheck;
  /** Hashes the file again and records it (journal and index). */
  record: (path: string, reason: string) => Promise<FiledContent | undefined>;
  logger: Logger;
}

/** Watches just-filed files; see {@link createFiledWatch}. */
export interface FiledWatch {
  /** Starts watching `path`, which the journal says a move just put there. */
  watch(path: string): void;
  /** Stops every watch (at shutdown). */
  close(): void;
}

/** Polled rather than watched with inotify: the files are few and the window short. */
const POLL_MS = Object.freeze({ min: 100, max: 1000 });

/**
 * Watches each file the daemon filed for `windowMs` by polling its size and mtime. A change
 * (or a size other than the journal's, when it changed before the watch began) is recorded
 * once the file has gone `settleMs` without changing and no process has it open for
 * writing. A file that is gone (undone, moved by its owner) is no longer watched.
 */
export function createFiledWatch(options: FiledWatchOptions): FiledWatch {
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  async function begin(path: string): Promise<void> {
    const info = await stat(path).catch(() => undefined);
    const row = options.journal.lastMovedTo(path);
    if (!info || !row || closed) return;
    const seen = { size: info.size, mtimeMs: info.mtimeMs };
    poll(path, seen, Date.now(), info.size !== row.size ? Date.now() : undefined);
  }

  /**
   * One look at `path`: `seen` is its last size and mtime, `quietSince` when the window
   * began, `changedAt` when it last changed since its bytes were recorded.
   */
  function poll(
    path: string,
    seen: { size: number; mtimeMs: number },
    quietSince: number,
    changedAt: number | undefined,
  ): void {
    const settle = options.settleMs();
    const every = Math.min(POLL_MS.max, Math.max(POLL_MS.min, settle / 4));
    const timer = setTimeout(() => {
      look().catch((error: unknown) => {
        timers.delete(path);
        options.logger.warn({ path, err: error }, 'could not watch a filed file');
      });
    }, every);
    timer.unref();
    timers.set(path, timer);

    async function look(): Promise<void> {
      if (timers.get(path) !== timer) return;
      const info = await stat(path).catch(() => undefined);
      if (!info) return void timers.delete(path);
      const now = Date.now();
      if (info.size !== seen.size || info.mtimeMs !== seen.mtimeMs) {
        return poll(path, { size: info.size, mtimeMs: info.mtimeMs }, now, now);
      }
      if (changedAt !== undefined && now - changedAt >= settle) {
        const settled = await recordSettled(path, info.size);
        return poll(path, seen, settled ? now : quietSince, settled ? undefined : now);
      }
      if (changedAt === undefined && now - quietSince >= options.windowMs()) {
        return void timers.delete(path);
      }
      poll(path, seen, quietSince, changedAt);
    }
  }

  /** Records a changed file's bytes unless it is still open for writing or changing. */
  async function recordSettled(path: string, size: number): Promise<boolean> {
    const writer = await options.writers.writerOf(path);
    if (writer || closed) return false;
    const reason = `changed after it was filed (now ${size} bytes): a writer kept writing into it`;
    const recorded = await options.record(path, reason);
    if (recorded) {
      options.logger.warn({ path, size: recorded.size, hash: recorded.hash }, reason);
    }
    return recorded !== undefined;
  }

  return {
    watch(path) {
      clearTimeout(timers.get(path));
      timers.delete(path);
      void begin(path);
    },
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

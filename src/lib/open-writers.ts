import { realpath, stat } from './metadata.js';
import { Worker } from 'node:worker_threads';
import { PhotosortdError } from './errors.js';

/*
 * Whether some process still has a file open for writing: a copy that stalled longer than
 * `settle` (an SMB copy over Wi-Fi, a card reader that hiccups) looks settled, but its
 * writer will go on writing. On Linux every process's descriptors are links under
 * `/proc/PID/fd`, and `/proc/PID/fdinfo/N` holds the open flags. One sweep reads them all
 * (a `readdir` per process, a `readlink` per descriptor: about a millisecond for 400
 * descriptors) on a worker thread; the files asked about while a sweep runs share the
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
 * these bounds. The sweep runs on a worker thread, so the event loop does not pay for it;
 * the gap keeps that thread (the other core on a two-core machine, shared with libuv's
 * thread pool) under a fifth busy in a burst, while a file waits at most a few
 * milliseconds for its sweep. Asked within the gap, a file waits for the next sweep with
 * the others; a file asked after a quiet spell is swept at once. On the event loop, with a
 * 10 ms floor, the sweeps had cost a scan of small photos a tenth of its main thread, and
 * files waiting for them had left it idle a fifth of the time (BENCHMARKS.md, Where scan's
 * time goes).
 */
const SWEEP_GAP = Object.freeze({ factor: 4, minMs: 3, maxMs: 50 });

/** How long the sweeping thread is kept after its last sweep before it is ended. */
const SWEEPER_IDLE_MS = 10_000;

/**
 * A check whose questions share sweeps of the process table: the paths asked until the next
 * sweep starts (see {@link SWEEP_GAP}) are answered together by it, so under a burst
 * of moves the cost per file falls with the number of files in flight.
 */
export function createOpenWriterCheck(options: Partial<OpenWriterOptions> = {}): OpenWriterCheck {
  const { proc, enabled } = { ...OPEN_WRITER_DEFAULTS, ...options };
  const sweeper = new Sweeper(proc);
  let pending = new Map<string, ((writer: OpenWriter | undefined) => void)[]>();
  let sweeping = false;
  let lastSweep = -Infinity;
  let gapMs: number = SWEEP_GAP.minMs;

  async function sweep(): Promise<void> {
    sweeping = true;
    lastSweep = performance.now();
    const asked = pending;
    pending = new Map();
    const { found, tookMs } = await sweeper.sweep([...asked.keys()]);
    gapMs = Math.min(SWEEP_GAP.maxMs, Math.max(SWEEP_GAP.minMs, SWEEP_GAP.factor * tookMs));
    sweeping = false;
    for (const [path, resolvers] of asked) {
      for (const resolve of resolvers) resolve(found.get(path));
    }
    if (pending.size > 0) schedule();
  }

  function schedule(): void {
    const wait = lastSweep + gapMs - performance.now();
    if (wait > 0) setTimeout(() => void sweep(), wait);
    else setImmediate(() => void sweep());
  }

  return {
    async writerOf(path) {
      if (!enabled) return undefined;
      const real = await realpath(path).catch(() => undefined);
      if (!real) return undefined;
      return new Promise((resolve) => {
        // While a sweep runs, its end schedules the next one for what was asked meanwhile.
        if (pending.size === 0 && !sweeping) schedule();
        pending.set(real, [...(pending.get(real) ?? []), resolve]);
      });
    },
  };
}

/**
 * The sweep's code, run on a worker thread. Its calls are synchronous: procfs answers from
 * the kernel's memory in a few microseconds, while each asynchronous call would cost a round
 * trip through libuv's thread pool, ten times that (a sweep of 400 descriptors took 10 ms as
 * promises, 1 ms this way; BENCHMARKS.md, Open writers). CommonJS evaluated from a string,
 * so the same code runs from `dist/` and under the test runner. A process that ends
 * meanwhile, or another user's, has nothing to show and is passed by.
 */
const SWEEPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readdirSync, readFileSync, readlinkSync } = require('node:fs');
const { join } = require('node:path');
const { proc, writeAccess } = workerData;
function orNone(read, none) {
  try {
    return read();
  } catch {
    return none;
  }
}
function writersOf(paths) {
  const wanted = new Set(paths);
  const found = new Map();
  for (const pid of readdirSync(proc).filter((name) => /^\\d+$/.test(name))) {
    const fdDir = join(proc, pid, 'fd');
    for (const fd of orNone(() => readdirSync(fdDir), [])) {
      const target = orNone(() => readlinkSync(join(fdDir, fd)), '');
      if (!wanted.has(target) || found.has(target)) continue;
      const info = orNone(() => readFileSync(join(proc, pid, 'fdinfo', fd), 'utf8'), '');
      const flags = /^flags:\\s*([0-7]+)/m.exec(info)?.[1];
      if (flags === undefined || (parseInt(flags, 8) & writeAccess) === 0) continue;
      const command = orNone(() => readFileSync(join(proc, pid, 'comm'), 'utf8'), '').trim();
      found.set(target, { pid: Number(pid), command: command || '?' });
    }
  }
  return [...found];
}
parentPort.on('message', ({ id, paths }) => {
  const started = performance.now();
  let found = [];
  try {
    found = writersOf(paths);
  } catch {}
  parentPort.postMessage({ id, found, tookMs: performance.now() - started });
});
`;

/**
 * What a sweep found, and how long the sweeping thread took for it: the gap follows that,
 * not the round trip, which grows with the event loop's own work.
 */
interface SweepResult {
  found: Map<string, OpenWriter>;
  tookMs: number;
}

const NOTHING_SWEPT: SweepResult = Object.freeze({ found: new Map(), tookMs: 0 });

/**
 * The thread that sweeps for one check: started at its first sweep, referenced only while a
 * sweep runs (an idle one must not keep a CLI process alive) and ended after
 * {@link SWEEPER_IDLE_MS} without one. A sweep the thread could not finish (it died) is asked
 * once more of a new thread; one that cannot be made at all finds no writer, as a process
 * table that cannot be read does: the size and mtime re-check around the move remains.
 */
class Sweeper {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly proc: string) {}

  sweep(paths: string[]): Promise<SweepResult> {
    return new Promise((resolve) => this.ask({ paths, resolve, retried: false }));
  }

  private ask(request: Waiting): void {
    clearTimeout(this.idleTimer);
    const worker = this.started();
    if (!worker) return request.resolve(NOTHING_SWEPT);
    const id = this.nextId++;
    this.waiting.set(id, request);
    try {
      worker.ref();
      worker.postMessage({ id, paths: request.paths });
    } catch {
      this.answer(id, NOTHING_SWEPT);
    }
  }

  private started(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const worker = new Worker(SWEEPER_SOURCE, {
        eval: true,
        workerData: { proc: this.proc, writeAccess: WRITE_ACCESS },
      });
      worker.on('message', (reply: { id: number; found: [string, OpenWriter][]; tookMs: number }) =>
        this.answer(reply.id, { found: new Map(reply.found), tookMs: reply.tookMs }),
      );
      worker.on('error', () => this.stopped(worker));
      worker.on('exit', () => this.stopped(worker));
      this.worker = worker;
      return worker;
    } catch {
      return undefined;
    }
  }

  private answer(id: number, result: SweepResult): void {
    this.waiting.get(id)?.resolve(result);
    this.waiting.delete(id);
    if (this.waiting.size > 0 || !this.worker) return;
    this.worker.unref();
    this.idleTimer = setTimeout(() => this.end(), SWEEPER_IDLE_MS);
    this.idleTimer.unref();
  }

  /** Ends an idle thread; a sweep asked from now on starts a new one. */
  private end(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  /** The thread ended: what it was asked is asked of a new one, once. */
  private stopped(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const unanswered = [...this.waiting.values()];
    this.waiting.clear();
    for (const request of unanswered) {
      if (request.retried) request.resolve(NOTHING_SWEPT);
      else this.ask({ ...request, retried: true });
    }
  }
}

/** A sweep asked of the thread and not yet answered. */
interface Waiting {
  paths: string[];
  resolve: (result: SweepResult) => void;
  /** Asked once more after a thread died under it. */
  retried: boolean;
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

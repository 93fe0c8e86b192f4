import PQueue from 'p-queue';
import { errorCode, errorMessage } from '../lib/errors.js';
import { toEvent, type FileEvent } from './file-event.js';
import type { FileJob, Stage } from './job.js';

/** A named stage, in the order the pipeline runs them. */
export interface NamedStage {
  name: string;
  run: Stage;
}

/** The outcome of one file: its final record, and the event that reports it. */
export interface FileResult {
  job: FileJob;
  event: FileEvent;
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  stages: NamedStage[];
  /** Files in flight at once. */
  concurrency: number;
  /** Called once per file (and once per companion), after its last stage. */
  onResult?: (result: FileResult) => void;
  /** Locks that make files with the same key run the rest of the stages one at a time. */
  exclusive?: ExclusiveLock[];
}

/**
 * Files with the same key (from the record as the stage named `after` left it) run the
 * remaining stages one at a time. Keyed by content hash, this makes two identical files
 * dropped together a move and a duplicate, not a move and a ` (1)` copy. Locks are taken in
 * the order of their stages and held to the end, so two files never wait on each other.
 */
export interface ExclusiveLock {
  after: string;
  key: (job: FileJob) => string | undefined;
}

/** Runs files through the stages, `concurrency` at a time. */
export interface Pipeline {
  /** Queues a file; resolves when it has been handled (it never rejects). */
  add(job: FileJob): Promise<FileResult>;
  /** Files waiting and in flight. */
  readonly size: { waiting: number; active: number };
  /** Resolves once fewer than `limit` files are waiting (for producers' backpressure). */
  onWaitingBelow(limit: number): Promise<void>;
  /** Resolves when nothing is waiting or in flight. */
  onIdle(): Promise<void>;
  /** Drops files that have not started; in-flight files finish. */
  clear(): void;
  /** Starts no more files (in-flight files finish) until {@link resume}. */
  pause(): void;
  resume(): void;
  /**
   * Runs files that have not started yet through these stages, `concurrency` at a time
   * (a reloaded configuration); files in flight finish with the stages they started with.
   */
  reconfigure(stages: NamedStage[], concurrency: number): void;
}

/**
 * Composes the stages. A stage that throws does not stop the pipeline: the file's record
 * gets the error and the `error` action, and the next file goes on.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const queue = new PQueue({ concurrency: options.concurrency });
  const held = new Map<string, Promise<void>>();
  let stages = options.stages;

  /** Waits for the previous holder of `key`, then holds it until the returned release. */
  async function acquire(key: string): Promise<() => void> {
    const previous = held.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = (previous ?? Promise.resolve()).then(() => mine);
    held.set(key, chained);
    await previous;
    return () => {
      release();
      if (held.get(key) === chained) held.delete(key);
    };
  }

  async function handle(initial: FileJob): Promise<FileResult> {
    let job = initial;
    const durations: Record<string, number> = {};
    const releases: (() => void)[] = [];
    try {
      job = await runStages(stages, job, durations, async (done, current) => {
        for (const lock of options.exclusive ?? []) {
          const key = lock.after === done ? lock.key(current) : undefined;
          if (key !== undefined) releases.push(await acquire(`${lock.after}\0${key}`));
        }
      });
    } finally {
      for (const release of releases) release();
    }
    const result = { job, event: toEvent(job, durations) };
    options.onResult?.(result);
    // Each companion is reported as a file of its own, with where it went.
    for (const member of job.companions ?? []) {
      const reason = `stays beside ${job.source}, which failed`;
      const done = member.plan ? member : { ...member, plan: skipped(reason) };
      options.onResult?.({ job: done, event: toEvent(done) });
    }
    return result;
  }

  async function runStages(
    chosen: NamedStage[],
    initial: FileJob,
    durations: Record<string, number>,
    afterStage: (name: string, job: FileJob) => Promise<void>,
  ): Promise<FileJob> {
    let job = initial;
    for (const stage of chosen) {
      const started = performance.now();
      try {
        job = await stage.run(job);
      } catch (error) {
        job = {
          ...job,
          error: { code: errorCode(error), message: errorMessage(error), stage: stage.name },
          plan: { action: 'error', rule: null, target: null, reason: errorMessage(error) },
        };
        durations[stage.name] = performance.now() - started;
        break;
      }
      durations[stage.name] = performance.now() - started;
      await afterStage(stage.name, job);
    }
    return job;
  }

  return {
    add: (job) => queue.add(() => handle(job)),
    get size() {
      return { waiting: queue.size, active: queue.pending };
    },
    onWaitingBelow: (limit) => queue.onSizeLessThan(limit),
    onIdle: () => queue.onIdle(),
    clear: () => queue.clear(),
    pause: () => queue.pause(),
    resume: () => {
      queue.start();
    },
    reconfigure: (next, concurrency) => {
      stages = next;
      queue.concurrency = concurrency;
    },
  };
}

function skipped(reason: string): FileJob['plan'] {
  return { action: 'skip', rule: null, target: null, reason };
}

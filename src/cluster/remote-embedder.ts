import { Queue, QueueEvents, type Job } from 'bullmq';
import { setTimeout } from 'node:timers/promises';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Embedder } from '../tagging/embedder.js';
import type { ModelInput } from '../tagging/image-input.js';
import {
  CLUSTER_DEFAULTS,
  connectionOptions,
  unreachableError,
  withinConnectTimeout,
} from './connection.js';
import { decodeVector, encodeJob, type EmbedJobData, type EmbedJobResult } from './jobs.js';

/** Who did the model work of a run: worker name (or {@link THIS_MACHINE}) → images. */
export type WorkTally = Map<string, number>;

/** The tally's name for work this process did itself. */
export const THIS_MACHINE = 'this machine';

/** An embedder that hands images to cluster workers and keeps count of who did them. */
export interface RemoteEmbedder extends Embedder {
  readonly done: WorkTally;
}

/** Options of {@link connectRemoteEmbedder}. */
export interface RemoteEmbedderOptions {
  /** `cluster.redis`, resolved. */
  url: string;
  /** The model fingerprint every job carries. */
  fingerprint: string;
  /** Runs an image here when no worker answers in time, or Redis is away. */
  local: Embedder;
  /** `cluster.timeoutMs`. */
  timeoutMs: number;
  /** `cluster.fallback`: run an unanswered image here, or ask the workers again. */
  fallback: 'local' | 'wait';
  /** The configuration file, named by a start-up error. */
  configFile: string | null;
  logger?: Logger;
  /** Where the images done are counted (default: a tally of its own). */
  done?: WorkTally;
}

const JOB_OPTIONS = {
  removeOnComplete: { age: CLUSTER_DEFAULTS.keepCompletedSeconds },
  removeOnFail: { age: CLUSTER_DEFAULTS.keepFailedSeconds },
};

/**
 * Connects to the queue (checking at once that Redis answers, with the right password:
 * otherwise a `ConfigError` naming `cluster.redis`) and returns the embedder. Each image is a
 * job; the first answer wins, so a result is used once even when a job is given twice.
 */
export async function connectRemoteEmbedder(
  options: RemoteEmbedderOptions,
): Promise<RemoteEmbedder> {
  const prefix = CLUSTER_DEFAULTS.prefix;
  const queue = new Queue<EmbedJobData, EmbedJobResult>(CLUSTER_DEFAULTS.queue, {
    prefix,
    connection: connectionOptions(options.url, { failFast: true }),
  });
  const events = new QueueEvents(CLUSTER_DEFAULTS.queue, {
    prefix,
    connection: connectionOptions(options.url, { failFast: false }),
  });
  // Each image in flight waits on both with a listener of its own: up to the pipeline's
  // `concurrency` (at most 256) at once, which is not a leak.
  queue.setMaxListeners(CLUSTER_DEFAULTS.maxInFlight);
  events.setMaxListeners(CLUSTER_DEFAULTS.maxInFlight);
  const link = new RedisLink(options.logger);
  queue.on('error', (error) => link.lost(error));
  events.on('error', (error) => link.lost(error));
  try {
    await withinConnectTimeout(Promise.all([queue.getJobCounts('wait'), events.waitUntilReady()]));
  } catch (error) {
    await Promise.allSettled([queue.close(), events.close()]);
    throw unreachableError(options.url, link.firstError ?? error, options.configFile);
  }
  return remoteEmbedder(queue, events, link, options);
}

/** Logs once when Redis goes away and once when it is back, not once per image. */
class RedisLink {
  up = true;
  firstError: unknown;

  constructor(private readonly logger: Logger | undefined) {}

  lost(error: unknown): void {
    this.firstError ??= error;
    if (!this.up) return;
    this.up = false;
    this.logger?.warn(
      `cluster: Redis is not answering (${errorMessage(error)}); model work runs on this machine until it is back`,
    );
  }

  back(): void {
    if (this.up) return;
    this.up = true;
    this.logger?.info('cluster: Redis answers again; model work goes to the workers');
  }
}

function remoteEmbedder(
  queue: Queue<EmbedJobData, EmbedJobResult>,
  events: QueueEvents,
  link: RedisLink,
  options: RemoteEmbedderOptions,
): RemoteEmbedder {
  const done: WorkTally = options.done ?? new Map();
  const count = (who: string) => done.set(who, (done.get(who) ?? 0) + 1);

  async function locally(input: ModelInput): Promise<Float32Array> {
    const embedding = await options.local.embed(input);
    count(THIS_MACHINE);
    return embedding;
  }

  /** One try: a worker's embedding, or why there is none. */
  async function askWorkers(
    input: ModelInput,
  ): Promise<{ embedding: Float32Array } | { none: 'unanswered' | 'failed' }> {
    let job: Job<EmbedJobData, EmbedJobResult>;
    try {
      job = await queue.add('embed', encodeJob(options.fingerprint, input), JOB_OPTIONS);
      link.back();
    } catch (error) {
      link.lost(error);
      return { none: 'unanswered' };
    }
    try {
      const result = await job.waitUntilFinished(events, options.timeoutMs);
      count(result.worker);
      return { embedding: decodeVector(result.embedding) };
    } catch (error) {
      // Not answered in time (no worker, all busy, Redis lost the job) or failed there. A
      // worker that still finishes it later answers nobody.
      const failed = (await job.getState().catch(() => 'unknown')) === 'failed';
      await job.remove().catch(() => undefined);
      options.logger?.debug({ job: job.id }, `cluster: no answer: ${errorMessage(error)}`);
      return { none: failed ? 'failed' : 'unanswered' };
    }
  }

  let closing = false;
  return {
    done,
    async embed(input) {
      for (;;) {
        const answer = await askWorkers(input);
        if ('embedding' in answer) return answer.embedding;
        // A job a worker failed on would fail again: this machine tries it, whatever the
        // fallback, and so does one still waiting when the embedder closes.
        if (options.fallback === 'local' || answer.none === 'failed' || closing) {
          return locally(input);
        }
        await setTimeout(CLUSTER_DEFAULTS.waitRetryMs);
      }
    },
    async close() {
      closing = true;
      await Promise.allSettled([queue.close(), events.close()]);
      await options.local.close();
    },
  };
}

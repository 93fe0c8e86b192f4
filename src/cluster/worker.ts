import { DelayedError, Worker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Embedder } from '../tagging/embedder.js';
import {
  CLUSTER_DEFAULTS,
  connectionOptions,
  unreachableError,
  withinConnectTimeout,
} from './connection.js';
import { decodeJob, encodeVector, type EmbedJobData, type EmbedJobResult } from './jobs.js';

/** Options of {@link startClusterWorker}. */
export interface ClusterWorkerOptions {
  /** `cluster.redis`, resolved. */
  url: string;
  /** The fingerprint of this worker's model: jobs for another are refused. */
  fingerprint: string;
  /** Where this worker's model lives (`tagging.model`), named when a job is refused. */
  modelDir: string;
  embedder: Embedder;
  /** Jobs taken at once: the embedder batches them into one model run. */
  concurrency: number;
  configFile: string | null;
  logger?: Logger;
  /** The name other processes see (default `host:pid`). */
  name?: string;
}

/** How a worker's run ended. */
interface WorkerEnd {
  /** Why it stopped taking jobs because of a job it had to refuse, or `null`. */
  refused: string | null;
}

/** A running worker. */
export interface ClusterWorker {
  readonly name: string;
  /** Jobs answered so far. */
  readonly done: number;
  /** Settles when the worker stops: closed, or after refusing a job. */
  readonly ended: Promise<WorkerEnd>;
  /** Finishes the jobs in hand, then stops taking more. */
  close(): Promise<void>;
}

/**
 * Connects to the queue (a `ConfigError` naming `cluster.redis` when Redis does not answer or
 * refuses the password) and takes embedding jobs until closed. A job for another model is
 * put back for someone else and the worker stops: running two models' work side by side
 * would mix embeddings that cannot be compared.
 */
export async function startClusterWorker(options: ClusterWorkerOptions): Promise<ClusterWorker> {
  const name = options.name ?? `${hostname()}:${process.pid}`;
  let done = 0;
  let refused: string | null = null;
  const worker: Worker<EmbedJobData, EmbedJobResult> = new Worker(
    CLUSTER_DEFAULTS.queue,
    async (job: Job<EmbedJobData, EmbedJobResult>, token?: string) => {
      if (job.data.model !== options.fingerprint) {
        refused ??= refusal(job.data.model, options);
        await job.moveToDelayed(Date.now(), token);
        void worker.close();
        throw new DelayedError();
      }
      const embedding = await options.embedder.embed(decodeJob(job.data));
      done += 1;
      return { worker: name, embedding: encodeVector(embedding) };
    },
    {
      prefix: CLUSTER_DEFAULTS.prefix,
      connection: connectionOptions(options.url, { failFast: false }),
      name,
      autorun: false,
      concurrency: options.concurrency,
      lockDuration: CLUSTER_DEFAULTS.lockDurationMs,
      stalledInterval: CLUSTER_DEFAULTS.stalledIntervalMs,
      maxStalledCount: CLUSTER_DEFAULTS.maxStalledCount,
    },
  );
  let firstError: unknown;
  worker.on('error', (error) => {
    firstError ??= error;
    options.logger?.warn(`worker: ${errorMessage(error)}`);
  });
  try {
    await withinConnectTimeout(worker.waitUntilReady());
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    throw unreachableError(options.url, firstError ?? error, options.configFile);
  }
  const ended = worker.run().then(() => ({ refused }));
  options.logger?.info({ worker: name }, 'worker: taking model work');
  return {
    name,
    get done() {
      return done;
    },
    ended,
    async close() {
      await worker.close();
      await ended;
    },
  };
}

function refusal(wanted: string, options: ClusterWorkerOptions): string {
  return (
    `refused a job for model ${wanted}: this worker runs ${options.fingerprint} ` +
    `(tagging.model: ${options.modelDir}). Give it the same model files as the daemon ` +
    '(copy the folder) and start it again; the job was put back for another worker.'
  );
}

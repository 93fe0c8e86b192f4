import type { Config } from '../config/load.js';
import type { Logger } from '../lib/logger.js';
import { loadLocalEmbedder } from '../tagging/embedder.js';
import { inspectModelDir, modelFingerprint } from '../tagging/model-files.js';

/** Defaults of `photosortd worker`, each with its reason. */
const WORKER_DEFAULTS = Object.freeze({
  /**
   * Jobs taken at once, and so the most images per model run: batches of 8 are where the
   * vision tower's throughput levels off on a CPU (BENCHMARKS.md, Tagging).
   */
  concurrency: 8,
});

/** Options of {@link runWorker}. */
export interface WorkerCommandOptions {
  config: Config;
  logger: Logger;
  err?: NodeJS.WritableStream;
}

/**
 * `photosortd worker`: takes model work from the cluster's queue and answers with
 * embeddings, running the model at `tagging.model`. It reads only `cluster` and `tagging`
 * from the configuration: it needs no inbox, library or state of its own. Stops on SIGTERM or
 * SIGINT once the jobs in hand are answered. Exit status 2 when the configuration cannot
 * work (no cluster, no model, Redis not answering) or after refusing a job for another model.
 */
export async function runWorker(options: WorkerCommandOptions): Promise<number> {
  const { config, logger } = options;
  const err = options.err ?? process.stderr;
  if (!config.cluster) {
    err.write(
      'photosortd worker: the configuration has no cluster; add\n' +
        '  cluster:\n    redis: "redis://host:6379/0"\n' +
        'naming the Redis the daemon uses\n',
    );
    return 2;
  }
  const inspected = await inspectModelDir(config.tagging.model);
  if (!inspected.ok) {
    err.write(`photosortd worker: ${inspected.reason}\n`);
    return 2;
  }
  const files = inspected.files;
  const fingerprint = await modelFingerprint(files);
  const embedder = await loadLocalEmbedder(files, { maxBatch: WORKER_DEFAULTS.concurrency });
  try {
    const { startClusterWorker } = await import('../cluster/index.js');
    const worker = await startClusterWorker({
      url: config.cluster.redis,
      fingerprint,
      modelDir: files.dir,
      embedder,
      concurrency: WORKER_DEFAULTS.concurrency,
      configFile: config.file,
      logger,
    });
    const stop = () => void worker.close();
    process.once('SIGTERM', stop).once('SIGINT', stop);
    logger.info({ worker: worker.name, model: fingerprint }, 'worker: ready');
    const end = await worker.ended;
    process.off('SIGTERM', stop).off('SIGINT', stop);
    logger.info(
      { worker: worker.name, done: worker.done, batches: embedder.stats.batches },
      'worker: stopped',
    );
    if (end.refused) {
      err.write(`photosortd worker: ${end.refused}\n`);
      return 2;
    }
    return 0;
  } finally {
    await embedder.close();
  }
}

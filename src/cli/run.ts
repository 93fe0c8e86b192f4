import { startApiServer, Metrics } from '../api/index.js';
import type { Config } from '../config/load.js';
import { startDaemon } from '../daemon/daemon.js';
import { readDaemonInfo, removeDaemonInfo, writeDaemonInfo } from '../daemon/daemon-file.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';

/** How long in-flight files may take to finish after SIGTERM before the process exits. */
const STOP_TIMEOUT_MS = 20_000;

/**
 * `photosortd run`: the daemon in the foreground until SIGTERM or SIGINT. Resolves with the
 * exit status once everything is closed.
 */
export async function runDaemon(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level });
  const other = await readDaemonInfo(config.state);
  if (other && other.pid !== process.pid) {
    throw new PhotosortdError(
      'ALREADY_RUNNING',
      `another photosortd (pid ${other.pid}) is already using the state folder ${config.state}; ` +
        'stop it first, or give this one its own `state` folder',
    );
  }
  const daemon = await startDaemon({ config, logger });
  const metrics = new Metrics();
  const unsubscribe = daemon.subscribe((event) => {
    if (event.type === 'file') metrics.recordFile(event);
  });
  const queueGauge = setInterval(() => {
    const { waiting, active } = daemon.status().queue;
    metrics.setQueue(waiting, active);
  }, 1000);
  queueGauge.unref();

  let api: Awaited<ReturnType<typeof startApiServer>> | null = null;
  if (config.api.enabled) {
    try {
      api = await startApiServer({ config, control: daemon, logger, metrics });
    } catch (error) {
      // The API is how one steers the daemon, not how it files photos: keep filing.
      logger.error({ err: error }, `control API not started: ${errorMessage(error)}`);
    }
  }

  await writeDaemonInfo(config.state, {
    pid: process.pid,
    url: api?.url ?? null,
    startedAt: new Date().toISOString(),
  });

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void (async () => {
        clearInterval(queueGauge);
        unsubscribe();
        await api?.close();
        await daemon.stop(STOP_TIMEOUT_MS);
        await removeDaemonInfo(config.state);
        resolve();
      })();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await stopped;
  return 0;
}

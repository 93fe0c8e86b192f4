import { newInstanceSecret } from '../../src/api/instance.js';
import { Metrics } from '../../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import type { Config } from '../../src/config/load.js';
import type { DaemonControl } from '../../src/daemon/control.js';
import { removeDaemonInfo, writeDaemonInfo } from '../../src/daemon/daemon-file.js';
import { silentLogger } from '../../src/lib/logger.js';
import { acquireStateLock } from '../../src/lib/state-lock.js';

/** An API server presented to the CLI as the daemon of its state folder. */
export interface DaemonStandIn {
  server: ApiServer;
  /** Stops serving, removes daemon.json and gives the state folder up. */
  close(): Promise<void>;
}

/**
 * Serves `control` on `config.api.listen` the way `photosortd run` presents itself: this
 * process holds the state lock, the API proves the run's secret, and `daemon.json` says where
 * it listens. For suites that drive the CLI's remote commands against a recorded control.
 */
export async function daemonStandIn(
  config: Config,
  control: DaemonControl,
): Promise<DaemonStandIn> {
  const lock = await acquireStateLock(config.state, 'run');
  const secret = newInstanceSecret();
  const server = await startApiServer({
    config,
    control,
    logger: silentLogger(),
    metrics: new Metrics(),
    instance: { pid: process.pid, secret },
  });
  await writeDaemonInfo(config.state, {
    pid: process.pid,
    url: server.url,
    startedAt: new Date().toISOString(),
    secret,
  });
  return {
    server,
    async close() {
      await server.close();
      await removeDaemonInfo(config.state);
      await lock.release();
    },
  };
}

import type { Config } from '../config/load.js';
import { startDaemon, type Daemon } from '../daemon/daemon.js';
import { checkLibrary, checkStartup } from '../daemon/preflight.js';
import type { Logger } from '../lib/logger.js';
import { buildStages, openWriter } from './assemble.js';

/**
 * Starts the daemon for `config`: makes the start-up checks (templates, labels, JWT secret,
 * folders) and checks the library, takes the state folder (lock, journal, recovery), opens
 * the services and starts watching. Throws `STATE_LOCKED` naming
 * the other process when the state folder is taken. `daemon.stop()` gives the folder up.
 */
export async function launchDaemon(config: Config, logger: Logger): Promise<Daemon> {
  // The checks `config check` and `doctor` make too, so that they say what `run` will.
  await checkStartup(config);
  // Before the state is taken and recovered: a library whose disk is not mounted stops here.
  const layout = await checkLibrary(config);
  const services = await openWriter(config, 'run', logger);
  return startDaemon({
    config,
    logger,
    services,
    layout,
    buildStages: (current, options) => buildStages(current, services, options),
  });
}

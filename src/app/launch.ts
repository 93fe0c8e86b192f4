import type { Config } from '../config/load.js';
import { startDaemon, type Daemon } from '../daemon/daemon.js';
import { checkLayout, checkLibrary } from '../daemon/preflight.js';
import type { Logger } from '../lib/logger.js';
import { buildStages, openWriter } from './assemble.js';

/**
 * Starts the daemon for `config`: checks the folders' layout and the library, takes the state folder (lock,
 * journal, recovery), opens the services and starts watching. Throws `STATE_LOCKED` naming
 * the other process when the state folder is taken. `daemon.stop()` gives the folder up.
 */
export async function launchDaemon(config: Config, logger: Logger): Promise<Daemon> {
  await checkLayout(config);
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

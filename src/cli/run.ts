import { execFile } from 'node:child_process';
import type { ApiServer } from '../api/index.js';
import { newInstanceSecret } from '../api/instance.js';
import { launchDaemon } from '../app/launch.js';
import { loadConfig, type Config } from '../config/load.js';
import type { Daemon } from '../daemon/daemon.js';
import { removeDaemonInfo, writeDaemonInfo } from '../daemon/daemon-file.js';
import { errorMessage } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';

/**
 * How long in-flight files may take to finish after SIGTERM before the process exits. The
 * systemd unit's TimeoutStopSec and launchd's ExitTimeOut leave room above it.
 */
export const STOP_TIMEOUT_MS = 20_000;

/**
 * Tells systemd how the service is doing (ready, reloading, stopping, a status line) when it
 * started us with Type=notify. Node cannot send on a datagram socket, so systemd-notify does
 * it; it waits until systemd has the message, and the unit needs NotifyAccess=all since the
 * sender is a child of the main process.
 */
function notifySystemd(logger: Logger, args: string[]): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', args, (error) => {
    if (error) logger.warn({ err: error, args }, 'systemd-notify failed');
  });
}

/**
 * Re-reads the configuration file and hands it to the daemon. A file that does not load, or
 * that the daemon refuses, leaves the running configuration as it is.
 */
async function reload(daemon: Daemon, config: Config, logger: Logger): Promise<void> {
  logger.info({ file: config.file }, 'reloading the configuration');
  notifySystemd(logger, ['RELOADING=1']);
  try {
    await daemon.reload(await loadConfig(config.file ?? undefined));
  } catch (error) {
    logger.error(
      { file: config.file, err: error },
      `new configuration refused; the one in use is kept: ${errorMessage(error)}`,
    );
  } finally {
    notifySystemd(logger, ['--ready', `--status=${watchingStatus(daemon)}`]);
  }
}

function watchingStatus(daemon: Daemon): string {
  const inboxes = daemon.status().inboxes;
  const missing = inboxes.filter((inbox) => !inbox.watching).length;
  return `watching ${inboxes.length - missing} inbox(es)` + (missing ? `, ${missing} missing` : '');
}

/**
 * The control API and dashboard over `daemon`, with the metrics they serve fed from its file
 * events; `close` also stops feeding them. Loaded only here, so that a daemon with `api.enabled:
 * false` never loads the HTTP server, the dashboard or the metrics registry.
 */
async function startApi(
  daemon: Daemon,
  config: Config,
  logger: Logger,
  secret: string,
): Promise<ApiServer> {
  const { startApiServer, Metrics } = await import('../api/index.js');
  const metrics = new Metrics();
  const unsubscribe = daemon.subscribe((event) => {
    if (event.type === 'file') metrics.recordFile(event);
  });
  try {
    const server = await startApiServer({
      config,
      control: daemon,
      dashboard: daemon,
      logger,
      metrics,
      instance: { pid: process.pid, secret },
    });
    return {
      ...server,
      close: async () => {
        unsubscribe();
        await server.close();
      },
    };
  } catch (error) {
    // A daemon without its API cannot be steered or asked, and whoever holds the port
    // would answer in its place: refuse to start (exit 2), saying why in one line.
    unsubscribe();
    await daemon.stop(STOP_TIMEOUT_MS);
    throw error;
  }
}

/**
 * `photosortd run`: the daemon in the foreground until SIGTERM or SIGINT; SIGHUP re-reads the
 * configuration file. Resolves with the exit status once everything is closed.
 */
export async function runDaemon(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level });
  // Signals are listened for from the start: a SIGTERM while the journal is recovered or
  // the library indexed must stop the daemon cleanly once it has started, and a SIGHUP then
  // reloads it; without a handler either would kill the process outright.
  let stopWith!: (signal: NodeJS.Signals) => void;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopWith = resolve));
  let started!: (daemon: Daemon) => void;
  const running = new Promise<Daemon>((resolve) => (started = resolve));
  // Reloads run one after another: a second SIGHUP waits for the first to finish.
  let reloading = Promise.resolve();
  const hangup = () => {
    reloading = reloading.then(async () => reload(await running, config, logger));
  };
  process.on('SIGTERM', stopWith);
  process.on('SIGINT', stopWith);
  process.on('SIGHUP', hangup);
  const unlisten = () => {
    process.off('SIGTERM', stopWith);
    process.off('SIGINT', stopWith);
    process.off('SIGHUP', hangup);
  };
  try {
    // Throws STATE_LOCKED, naming the other process, when the state folder is taken.
    const daemon = await launchDaemon(config, logger);
    const secret = newInstanceSecret();
    const api = config.api.enabled ? await startApi(daemon, config, logger, secret) : null;

    await writeDaemonInfo(config.state, {
      pid: process.pid,
      url: api?.url ?? null,
      startedAt: new Date().toISOString(),
      secret,
    });
    started(daemon);
    notifySystemd(logger, ['--ready', `--status=${watchingStatus(daemon)}`]);

    const signal = await stopSignal;
    // A second SIGTERM or Ctrl-C while stopping is not caught: it ends the process at once.
    unlisten();
    logger.info({ signal }, 'stopping');
    notifySystemd(logger, ['STOPPING=1']);
    await reloading;
    await api?.close();
    // The record goes before the state lock (released by stop) so it never names a successor.
    await removeDaemonInfo(config.state);
    await daemon.stop(STOP_TIMEOUT_MS);
    return 0;
  } finally {
    unlisten();
  }
}

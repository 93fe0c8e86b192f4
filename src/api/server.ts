import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/load.js';
import type { DaemonControl, DashboardControl } from '../daemon/control.js';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { apiKeyPath, ensureApiKey, hashApiKey } from './api-key.js';
import { createApiApp } from './app.js';
import type { AcceptedKey } from './auth.js';
import type { ApiInstance } from './instance.js';
import { clientUrl, isLoopback, parseListen, type ListenAddress } from './listen.js';
import type { Metrics } from './metrics.js';

/** A listening control API. */
export interface ApiServer {
  /** Base URL a client on this machine reaches it at, e.g. `http://127.0.0.1:7717`. */
  url: string;
  port: number;
  /** Ends event streams, stops listening and waits for open requests to finish. */
  close(): Promise<void>;
}

/** Open requests get this long to finish on close before their connections are cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Starts the control API on `config.api.listen`. With no `api.keys` configured it makes sure
 * `<state>/api-key` holds an admin key and accepts that key. `metrics` belongs to the caller,
 * who feeds it file events (`metrics.recordFile`); the server only renders it, refreshing the
 * queue gauges from `control.status()` at each scrape.
 */
export async function startApiServer(options: {
  config: Config;
  control: DaemonControl;
  logger: Logger;
  metrics: Metrics;
  /** Who this daemon is, proven on `/health?challenge=` (see `instance.ts`). */
  instance?: ApiInstance;
  /** Serve the dashboard at `/` over this control (the daemon itself). */
  dashboard?: DashboardControl;
}): Promise<ApiServer> {
  const { config, control, metrics, instance } = options;
  const logger = options.logger.child({ component: 'api' });
  const address = parseListen(config.api.listen);

  const keys: AcceptedKey[] = [...config.api.keys];
  if (keys.length === 0) {
    const key = await ensureApiKey(config.state, logger);
    keys.push({ name: apiKeyPath(config.state), sha256: hashApiKey(key), scope: 'admin' });
  }
  if (!isLoopback(address.host) && !config.api.tlsProxy) {
    logger.warn(
      { listen: config.api.listen },
      'The control API listens beyond this machine over plain HTTP: tokens travel in clear. ' +
        'Put a TLS-terminating reverse proxy in front of it (and name it in api.tlsProxy), ' +
        'or listen on 127.0.0.1',
    );
  }
  if (config.api.jwt && Buffer.byteLength(config.api.jwt.secret) < 32) {
    logger.warn(
      'api.jwt.secret is shorter than 32 bytes; an HS256 secret that short can be guessed ' +
        'offline from one token. Use e.g. `openssl rand -base64 48`',
    );
  }

  const closing = new AbortController();
  const app = createApiApp({
    config,
    control,
    logger,
    metrics,
    keys,
    instance,
    closing: closing.signal,
    dashboard: options.dashboard,
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: address.host }) as Server;
  await listen(server, address);
  const port = (server.address() as AddressInfo).port;
  const url = clientUrl({ host: address.host, port });
  logger.info({ url, listen: `${address.host}:${port}` }, 'Control API listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        // Connections become idle as their last response (an event stream, say) ends; close()
        // alone only drops those idle at the moment it is called.
        const sweep = setInterval(() => server.closeIdleConnections(), 25);
        server.close(() => {
          clearTimeout(cut);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

function listen(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      const shown = `${address.host}:${address.port}`;
      const hint =
        errorCode(error) === 'EADDRINUSE'
          ? `another process (perhaps another photosortd) is using it (\`ss -ltnp 'sport = :${address.port}'\` ` +
            'shows which); stop it or change api.listen'
          : errorCode(error) === 'EACCES'
            ? 'ports below 1024 need privileges; pick another port in api.listen'
            : 'check api.listen';
      reject(
        new PhotosortdError(
          'API_LISTEN_FAILED',
          `The control API cannot listen on ${shown}: ${errorMessage(error)}; ${hint}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

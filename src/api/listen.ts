import { PhotosortdError } from '../lib/errors.js';

/** An `api.listen` value taken apart. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `"127.0.0.1:7717"`, `"[::1]:7717"`, `"0.0.0.0:7717"` or a bare `"7717"` (loopback) →
 * host and port. Port 0 asks the OS for a free port.
 */
export function parseListen(listen: string): ListenAddress {
  const text = listen.trim();
  const bare = /^\d{1,5}$/.exec(text);
  const match = bare ? null : /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = bare ? '127.0.0.1' : (match?.[1] ?? match?.[2]);
  const port = Number(bare ? text : match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65_535) {
    throw new PhotosortdError(
      'API_LISTEN_INVALID',
      `api.listen "${listen}" is not host:port; use e.g. "127.0.0.1:7717" or "[::1]:7717"`,
    );
  }
  return { host, port };
}

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The URL a client on this machine uses for a listen address: a wildcard address is reached
 * through loopback.
 */
export function clientUrl(address: ListenAddress): string {
  const host =
    address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

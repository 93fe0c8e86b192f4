import type { MiddlewareHandler } from 'hono';
import { isLoopback, type ListenAddress } from './listen.js';

/** What {@link hostGuard} accepts besides loopback names. */
export interface HostGuardOptions {
  /** The address the API listens on; a named (non-wildcard) host is accepted. */
  listen: ListenAddress;
  /** Extra names from `api.allowedHosts`, e.g. the machine's LAN name behind a proxy. */
  allowedHosts: readonly string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** `Host` header → its host name, lower-cased, without port or IPv6 brackets. */
function hostName(header: string): string {
  const text = header.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
  const colon = text.lastIndexOf(':');
  return colon === -1 ? text : text.slice(0, colon);
}

/**
 * Refuses (421) a request whose `Host` is not a name this daemon answers to. A web page on
 * another site can make a browser send requests to 127.0.0.1 under a name it controls (DNS
 * rebinding); such a request carries that foreign name in `Host`, so answering only to
 * loopback names, the listen address and `api.allowedHosts` keeps the API out of its reach.
 */
export function hostGuard(options: HostGuardOptions): MiddlewareHandler {
  const allowed = new Set(options.allowedHosts.map((host) => hostName(host)));
  if (!WILDCARDS.has(options.listen.host)) allowed.add(options.listen.host.toLowerCase());
  return async (c, next) => {
    const header = c.req.header('host') ?? '';
    const host = hostName(header);
    if (isLoopback(host) || allowed.has(host)) return next();
    return c.json(
      {
        error:
          `This daemon does not answer to the host name "${header}". Reach it as 127.0.0.1 or ` +
          'localhost, or add the name to api.allowedHosts in the configuration',
        code: 'MISDIRECTED',
      },
      421,
    );
  };
}

import type { Context, MiddlewareHandler } from 'hono';

/** Names every dashboard answers to, whatever it listens on. */
const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'];

/** `Host` header → lower-case name without port or IPv6 brackets. */
export function hostName(host: string): string {
  const text = host.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
  const colon = text.lastIndexOf(':');
  return colon >= 0 && text.indexOf(':') === colon ? text.slice(0, colon) : text;
}

/**
 * The host names the dashboard answers to: the listen address, localhost and loopback, and
 * `api.allowedHosts`. A page on another name reaching us is a DNS-rebinding attempt (a
 * hostile site whose name now resolves to 127.0.0.1) or a misrouted proxy.
 */
export function allowedHostNames(listenHost: string, allowedHosts: readonly string[]): Set<string> {
  const names = new Set([...LOCAL_NAMES, ...allowedHosts.map(hostName)]);
  // A wildcard listen address is not a name anyone's browser should use.
  if (listenHost !== '0.0.0.0' && listenHost !== '::') names.add(hostName(listenHost));
  return names;
}

/** Refuses (421) a request whose `Host` is not one of `names`. */
export function requireKnownHost(names: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host');
    if (!host || !names.has(hostName(host))) {
      return c.text(
        `This dashboard does not answer to the host name "${host ?? ''}". Open it through ` +
          'the address it listens on or localhost, or add the name to api.allowedHosts.',
        421,
      );
    }
    return next();
  };
}

/**
 * Whether a state-changing request comes from one of our own pages: its `Origin` (or, when a
 * browser sent none, its `Sec-Fetch-Site`) must be this very host. A request with neither
 * is not from a browser page and must still carry a CSRF token.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    if (origin === 'null') return false;
    try {
      return new URL(origin).host === c.req.header('host')?.toLowerCase();
    } catch {
      return false;
    }
  }
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

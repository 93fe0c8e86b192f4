import type { Context } from 'hono';

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

import { createHash, timingSafeEqual } from 'node:crypto';
import { PhotosortdError } from '../lib/errors.js';
import { JwtRefused, verifyToken, type JwtSettings, type Scope } from './jwt.js';

/** An API key the daemon accepts, as the config holds it: only its SHA-256. */
export interface AcceptedKey {
  name: string;
  sha256: string;
  scope: Scope;
}

/** Who is calling, once the bearer token checked out. */
export interface Principal {
  /** The key's name, or the JWT's subject. */
  name: string;
  scope: Scope;
  kind: 'key' | 'jwt';
  /** Stable per token, never the token itself: the rate limiter's bucket. */
  id: string;
}

/** The outcome of checking a request's `Authorization` header. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Whether a principal with `has` may use a route that needs `needs`. */
export function scopeAllows(has: Scope, needs: Scope): boolean {
  return has === 'admin' || needs === 'read';
}

/**
 * Checks bearer tokens: API keys by SHA-256 in constant time, then (when `api.jwt` is set)
 * JWTs. Holds no token in memory beyond the request that brought it.
 */
export class Authenticator {
  private readonly keys: { name: string; digest: Buffer; scope: Scope }[];

  constructor(
    keys: AcceptedKey[],
    private readonly jwt: JwtSettings | undefined,
  ) {
    this.keys = keys.map((key) => {
      const digest = Buffer.from(key.sha256, 'hex');
      if (digest.length !== 32) {
        throw new PhotosortdError(
          'API_KEY_HASH_INVALID',
          `api.keys: "${key.name}" needs sha256 as 64 hex digits (sha256sum of the key)`,
        );
      }
      return { name: key.name, digest, scope: key.scope };
    });
  }

  /** Checks an `Authorization` header value (or its absence). */
  async check(header: string | undefined): Promise<AuthResult> {
    if (!header) return { ok: false, reason: 'no Authorization header' };
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) return { ok: false, reason: 'Authorization header is not "Bearer <token>"' };
    const token = match[1];
    const digest = createHash('sha256').update(token, 'utf8').digest();

    // Every key is compared, match or not, so timing says nothing about which one matched.
    let found: { name: string; scope: Scope } | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest) && !found) found = key;
    }
    const id = digest.toString('hex').slice(0, 32);
    if (found)
      return { ok: true, principal: { name: found.name, scope: found.scope, kind: 'key', id } };

    if (this.jwt && token.split('.').length === 3) {
      try {
        const grant = await verifyToken(this.jwt, token);
        return {
          ok: true,
          principal: { name: grant.subject, scope: grant.scope, kind: 'jwt', id },
        };
      } catch (error) {
        if (error instanceof JwtRefused) return { ok: false, reason: error.message };
        throw error;
      }
    }
    return { ok: false, reason: 'token is not a known API key' };
  }
}

import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { PhotosortdError } from '../lib/errors.js';

/** What a token may do: `read` sees, `admin` also steers (pause, resume, undo). */
export type Scope = 'read' | 'admin';

/** Only HS256 is accepted: pinning the algorithm shuts out `alg: none` and key confusion. */
const ALGORITHMS = ['HS256'];
/** Clock skew allowed between the machine that minted a token and the daemon. */
const CLOCK_TOLERANCE_SECONDS = 30;
const ISSUER = 'photosortd';

/** What a verified JWT grants. */
export interface JwtGrant {
  scope: Scope;
  subject: string;
  expiresAt: Date;
}

/** Why a JWT was refused, in words a script's author can act on. */
export class JwtRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtRefused';
  }
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30s`, `15m`, `1h`, `7d`, `2w` or a bare number of seconds → seconds. */
export function parseTtl(ttl: string): number {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(ttl);
  const seconds = match ? Number(match[1]) * (UNITS[(match[2] || 's').toLowerCase()] ?? 1) : 0;
  if (!match || seconds <= 0 || !Number.isSafeInteger(seconds)) {
    throw new PhotosortdError(
      'TOKEN_TTL_INVALID',
      `--ttl "${ttl}" is not a duration; use a number with s, m, h, d or w, e.g. 1h or 30d`,
    );
  }
  return seconds;
}

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Mints an HS256 JWT carrying `scope`, valid from now for `ttlSeconds`. */
export async function mintToken(
  secret: string,
  options: { scope: Scope; ttlSeconds: number; subject?: string; now?: Date },
): Promise<string> {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ scope: options.scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(options.subject ?? 'photosortd token create')
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(secretKey(secret));
}

/**
 * Verifies a JWT against the configured secret: HS256 only, `exp` required, `nbf` and `iat`
 * honoured (a token issued in the future is refused), `scope` must be `read` or `admin`.
 * Throws {@link JwtRefused} with the reason.
 */
export async function verifyToken(secret: string, token: string): Promise<JwtGrant> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    throw new JwtRefused(describeJoseError(error));
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_TOLERANCE_SECONDS) {
    throw new JwtRefused('token is issued in the future (check the clocks)');
  }
  const scope = payload.scope;
  if (scope !== 'read' && scope !== 'admin') {
    throw new JwtRefused('token has no "scope" claim of "read" or "admin"');
  }
  return {
    scope,
    subject: typeof payload.sub === 'string' ? payload.sub : 'jwt',
    expiresAt: new Date((payload.exp ?? now) * 1000),
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired; mint a new one';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token is not valid yet ("nbf" is in the future)';
    if (error.claim === 'exp') return 'token has no "exp" claim; tokens must expire';
    return `token claim "${error.claim}" is not valid: ${error.reason}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not HS256';
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'token signature does not match the configured secret';
  }
  return 'token is not a valid JWT';
}

import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { parseDuration } from '../lib/duration.js';
import { PhotosortdError } from '../lib/errors.js';

/** What a token may do: `read` sees, `admin` also steers (pause, resume, undo). */
export type Scope = 'read' | 'admin';

/** Only HS256 is accepted: pinning the algorithm shuts out `alg: none` and key confusion. */
const ALGORITHMS = ['HS256'];
/** Clock skew allowed between the machine that minted a token and the daemon. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** The `iss` of minted tokens when `api.jwt.issuer` names none. */
const DEFAULT_ISSUER = 'photosortd';

/** What the daemon checks a JWT against: `api.jwt` of the configuration, resolved. */
export interface JwtSettings {
  secret: string;
  /** Longest `exp - iat` accepted (and minted), in seconds: a leaked token cannot live for years. */
  maxLifetimeSeconds: number;
  /** When set, `iss` must equal it (and `token create` writes it). */
  issuer?: string;
  /** When set, `aud` must contain it (and `token create` writes it). */
  audience?: string;
}

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

/** `30s`, `15m`, `1h`, `7d`, `2w` or a bare number of seconds → seconds. */
export function parseTtl(ttl: string): number {
  const seconds = parseDuration(ttl);
  if (seconds === null) {
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

/** Options of {@link mintToken}. */
export interface MintOptions {
  scope: Scope;
  ttlSeconds: number;
  subject?: string;
  now?: Date;
  /** `iss`; `photosortd` by default. */
  issuer?: string;
  /** `aud`, when the daemon checks one. */
  audience?: string;
}

/** Mints an HS256 JWT carrying `scope`, valid from now for `ttlSeconds`. */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({ scope: options.scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? DEFAULT_ISSUER)
    .setSubject(options.subject ?? 'photosortd token create')
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(secretKey(secret));
}

/**
 * Verifies a JWT against the configured settings: HS256 only, `exp` required, `nbf` and `iat`
 * honoured (a token issued in the future is refused), a lifetime (`exp` − `iat`, or `exp` −
 * now without `iat`) of at most `maxLifetimeSeconds`, `iss`/`aud` when configured, and
 * `scope` must be `read` or `admin`. Throws {@link JwtRefused} with the reason.
 */
export async function verifyToken(settings: JwtSettings, token: string): Promise<JwtGrant> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secretKey(settings.secret), {
      algorithms: ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      issuer: settings.issuer,
      audience: settings.audience,
    }));
  } catch (error) {
    throw new JwtRefused(describeJoseError(error));
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_TOLERANCE_SECONDS) {
    throw new JwtRefused('token is issued in the future (check the clocks)');
  }
  const lifetime = (payload.exp ?? now) - (typeof payload.iat === 'number' ? payload.iat : now);
  if (lifetime > settings.maxLifetimeSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw new JwtRefused(
      `token lives ${lifetime} s, longer than api.jwt.maxLifetime (${settings.maxLifetimeSeconds} s); ` +
        'mint one with a shorter --ttl',
    );
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
    if (error.claim === 'iss') return 'token "iss" is not the api.jwt.issuer configured';
    if (error.claim === 'aud') return 'token "aud" does not name the api.jwt.audience configured';
    return `token claim "${error.claim}" is not valid: ${error.reason}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not HS256';
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'token signature does not match the configured secret';
  }
  return 'token is not a valid JWT';
}

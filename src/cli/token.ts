import { mintToken, parseTtl, type Scope } from '../api/jwt.js';
import type { Config } from '../config/load.js';
import { PhotosortdError } from '../lib/errors.js';

/**
 * `photosortd token create --scope read --ttl 1h`: prints a JWT signed with `api.jwt.secret`
 * on stdout (alone, so `TOKEN=$(photosortd token create)` works) and its expiry on stderr.
 * Exit status 2 when no secret is configured or the ttl is not a duration.
 */
export async function tokenCreate(options: {
  config: Config;
  scope: Scope;
  ttl: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const jwt = options.config.api.jwt;
  const [unset] = options.config.missingFromEnvironment;
  if (!jwt && unset) {
    err.write(`${unset}; this command signs with the same secret as the daemon\n`);
    return 2;
  }
  if (!jwt) {
    const where = options.config.file ? ` in ${options.config.file}` : '';
    err.write(
      `No JWT secret is configured${where}, so the daemon accepts no JWTs. Add\n` +
        '  api:\n    jwt: { secret: "env:PHOTOSORTD_JWT_SECRET" }\n' +
        'set PHOTOSORTD_JWT_SECRET (e.g. `openssl rand -base64 48`) for the daemon and this ' +
        'command, and restart the daemon\n',
    );
    return 2;
  }
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(options.ttl);
  } catch (error) {
    if (!(error instanceof PhotosortdError)) throw error;
    err.write(`${error.message}\n`);
    return 2;
  }
  if (ttlSeconds > jwt.maxLifetimeSeconds) {
    err.write(
      `--ttl ${options.ttl} is longer than api.jwt.maxLifetime (${jwt.maxLifetimeSeconds} s); ` +
        'the daemon would refuse the token. Choose a shorter --ttl or raise api.jwt.maxLifetime\n',
    );
    return 2;
  }
  const now = new Date();
  const token = await mintToken(jwt.secret, {
    scope: options.scope,
    ttlSeconds,
    now,
    issuer: jwt.issuer,
    audience: jwt.audience,
  });
  out.write(`${token}\n`);
  const expires = new Date(Math.floor(now.getTime() / 1000 + ttlSeconds) * 1000);
  err.write(`Token with scope ${options.scope}, valid until ${expires.toISOString()}\n`);
  return 0;
}

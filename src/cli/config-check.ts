import { stringify } from 'yaml';
import { loadConfig, redactedRedisUrl, type Config } from '../config/load.js';
import { checkStartup } from '../daemon/preflight.js';

/** Options of {@link configCheck}. */
export interface ConfigCheckOptions {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/**
 * `photosortd config check`: loads the configuration `run` would load, runs the start-up
 * checks `run` runs ({@link checkStartup}: templates, labels, folders, overlap), and prints it
 * with defaults filled in. A problem propagates to the CLI (exit 2), as it stops `run`; an
 * `env:NAME` secret this shell lacks is only a warning, since the service has its own
 * environment.
 */
export async function configCheck(
  file: string | undefined,
  options: ConfigCheckOptions = {},
): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const config = await loadConfig(file);
  const warnings = await checkStartup(config, { environmentIsTheDaemons: false });
  for (const warning of warnings) err.write(`photosortd: warning: ${warning}\n`);
  out.write(`# ${config.file ?? 'the configuration'} is valid\n${stringify(asWritten(config))}`);
  return 0;
}

/** The configuration as keys of the file: no `file`, and no secret shown (JWT, Redis password). */
function asWritten(config: Config): Record<string, unknown> {
  const keys: Record<string, unknown> = { ...config };
  delete keys.file;
  delete keys.missingFromEnvironment;
  const { jwt, ...api } = config.api;
  const shownJwt = jwt
    ? {
        secret: '(set)',
        maxLifetime: formatSeconds(jwt.maxLifetimeSeconds),
        issuer: jwt.issuer,
        audience: jwt.audience,
      }
    : config.missingFromEnvironment.length > 0
      ? { secret: '(an environment variable not set in this shell)' }
      : undefined;
  const cluster = config.cluster && {
    ...config.cluster,
    redis: redactedRedisUrl(config.cluster.redis),
  };
  return { ...keys, api: { ...api, jwt: shownJwt }, cluster };
}

/** Seconds in the largest unit that divides them: 2592000 → `30d`. */
function formatSeconds(seconds: number): string {
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

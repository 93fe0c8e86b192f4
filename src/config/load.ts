import { cosmiconfig } from 'cosmiconfig';
import { homedir, platform } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../lib/duration.js';
import { ConfigError, errorMessage } from '../lib/errors.js';
import { folderWithin } from '../lib/real-path.js';
import { configSchema, type ParsedConfig } from './schema.js';
import type { z } from 'zod';

/** `api.jwt` resolved: the secret itself and the lifetime in seconds. */
interface JwtConfig {
  secret: string;
  maxLifetimeSeconds: number;
  issuer?: string;
  audience?: string;
}

/** The configuration with every path absolute and every `env:NAME` secret resolved. */
export interface Config extends Omit<ParsedConfig, 'api'> {
  /** The file it was read from, or `null` when built in code. */
  file: string | null;
  library: string;
  state: string;
  inboxes: { path: string; poll: boolean }[];
  /** Without `jwt` when none is configured or its `env:NAME` is not set here. */
  api: Omit<ParsedConfig['api'], 'jwt'> & { jwt?: JwtConfig };
  /**
   * What only the daemon cannot do without, found missing in this process's environment: an
   * `api.jwt.secret: env:NAME` whose NAME is unset. `run` refuses to start on it; the other
   * commands, run from another shell than the service's, do not need it.
   */
  missingFromEnvironment: string[];
}

const MODULE = 'photosortd';

/** Where cosmiconfig looks, in this order, from the current directory upwards. */
const SEARCH_PLACES = [
  'photosortd.config.yaml',
  'photosortd.config.yml',
  `.${MODULE}rc`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `.${MODULE}rc.json`,
];

/** The example configuration in a clone, which `npm start` runs on. */
const EXAMPLE_FILE = 'photosortd.config.example.yaml';

/** The system-wide configuration, as the README's service steps install it. */
const SYSTEM_FILE = '/etc/photosortd/photosortd.config.yaml';

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** {@link SYSTEM_FILE} unless a test points elsewhere. */
  systemFile?: string;
}

/**
 * The files tried, in order, when no `--config` is given: `$PHOTOSORTD_CONFIG`; then
 * {@link SEARCH_PLACES} from `cwd` upwards (a project's own file); then the example in `cwd`
 * (a clone after `npm start`); then the user's `$XDG_CONFIG_HOME/photosortd/` (default
 * `~/.config/photosortd/`) and the system's `/etc/photosortd/photosortd.config.yaml`, where the
 * README's service steps put it. README "Configure" documents this order.
 */
function fallbackFiles(cwd: string, env: NodeJS.ProcessEnv, systemFile: string): string[] {
  const configHome =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(env.HOME || homedir(), '.config');
  return [
    join(cwd, EXAMPLE_FILE),
    join(configHome, MODULE, 'photosortd.config.yaml'),
    join(configHome, MODULE, 'photosortd.config.yml'),
    systemFile,
  ];
}

/**
 * Finds and loads the configuration: `file` when given, else `$PHOTOSORTD_CONFIG`, else the
 * first of {@link SEARCH_PLACES} from `cwd` upwards, else the first of {@link fallbackFiles}
 * that exists. Throws {@link ConfigError} naming each bad key.
 */
export async function loadConfig(file?: string, options: LoadOptions = {}): Promise<Config> {
  const explorer = cosmiconfig(MODULE, { searchPlaces: SEARCH_PLACES, cache: false });
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const given = file ?? (env.PHOTOSORTD_CONFIG || undefined);
  const fallbacks = fallbackFiles(cwd, env, options.systemFile ?? SYSTEM_FILE);
  let result;
  try {
    if (given) result = await explorer.load(resolve(cwd, given));
    else {
      result = await explorer.search(cwd);
      const fallback = result ? undefined : fallbacks.find((candidate) => existsSync(candidate));
      if (fallback) result = await explorer.load(fallback);
    }
  } catch (error) {
    const shown = given ? resolve(cwd, given) : null;
    throw new ConfigError(shown, [`cannot be read: ${errorMessage(error)}`]);
  }
  if (!result) {
    throw new ConfigError(null, [
      `no configuration found: looked for ${SEARCH_PLACES[0]} in ${cwd} and above, then ` +
        `${fallbacks.join(', ')}; create one (see ${EXAMPLE_FILE}), pass --config FILE or ` +
        'set PHOTOSORTD_CONFIG',
    ]);
  }
  if (result.isEmpty || result.config === null || typeof result.config !== 'object') {
    throw new ConfigError(result.filepath, ['is empty; it needs at least `library` and `inboxes`']);
  }
  return parseConfig(result.config, result.filepath, env);
}

/**
 * Validates a configuration object and resolves its paths (relative to the file's folder, or
 * to the current directory when `file` is null) and `env:NAME` secrets.
 */
export function parseConfig(
  input: unknown,
  file: string | null,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map(describeIssue));
  const config = parsed.data;
  const base = file ? dirname(file) : process.cwd();
  const at = (p: string) => resolve(base, expandHome(p));
  const { jwt, ...api } = config.api;
  const secret = jwt ? resolveSecret(jwt.secret, env) : null;
  const missingFromEnvironment =
    jwt && secret === null
      ? [
          `api.jwt.secret: ${jwt.secret} names an environment variable that is not set; ` +
            "set it in the daemon's environment (e.g. systemd's EnvironmentFile=) or remove api.jwt",
        ]
      : [];
  const problems: string[] = [];
  let cluster = config.cluster;
  if (cluster) {
    // Unlike the JWT secret, a Redis URL is needed by every command that files or indexes
    // (and by the worker): an unset variable is an error for all of them.
    const url = resolveSecret(cluster.redis, env);
    const problem =
      url === null
        ? `cluster.redis: ${cluster.redis} names an environment variable that is not set; set it or remove cluster`
        : redisUrlProblem(url);
    if (problem) problems.push(problem);
    else cluster = { ...cluster, redis: url! };
  }
  if (problems.length > 0) throw new ConfigError(file, problems);

  return {
    ...config,
    file,
    library: at(config.library),
    state: config.state ? at(config.state) : defaultStateDir(env),
    inboxes: config.inboxes.map((inbox) => ({ ...inbox, path: at(inbox.path) })),
    tagging: { ...config.tagging, model: at(config.tagging.model) },
    api: {
      ...api,
      jwt:
        jwt && secret !== null
          ? {
              secret,
              maxLifetimeSeconds: parseDuration(jwt.maxLifetime) ?? 0,
              issuer: jwt.issuer,
              audience: jwt.audience,
            }
          : undefined,
    },
    missingFromEnvironment,
    cluster,
  };
}

/**
 * Why `url` cannot name a Redis server, or `null` when it can. The message never repeats
 * the URL, which may hold a password.
 */
function redisUrlProblem(url: string): string | null {
  const shape = 'give redis://[user:password@]host:port/db (rediss:// for TLS)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `cluster.redis: is not a URL; ${shape}`;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return `cluster.redis: ${parsed.protocol}// is not a Redis scheme; ${shape}`;
  }
  if (!parsed.hostname) return `cluster.redis: names no host; ${shape}`;
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    return `cluster.redis: the database (after the last /) must be a number, e.g. /0; ${shape}`;
  }
  return null;
}

/**
 * The inboxes that overlap the library or each other, one line each (empty when none).
 * Compared on what the folders are, not on how their paths are spelled: real paths with
 * symlinks resolved, and the device and inode of each folder against the other's ancestors,
 * so an inbox reaching the library through a symlink, a bind mount or a case-insensitive
 * alias is caught. A library inside an inbox would feed filed photos back into it forever;
 * an inbox inside the library would take the library's files as new arrivals (and, with
 * `duplicates: delete`, each as a duplicate of itself).
 */
export async function folderOverlaps(config: Config): Promise<string[]> {
  const problems: string[] = [];
  const overlap = async (a: string, b: string) => {
    try {
      return (await folderWithin(a, b)) || (await folderWithin(b, a));
    } catch (error) {
      // A folder on the way that may not be read: say so rather than guess.
      problems.push(
        `${a} and ${b} could not be compared (${errorMessage(error)}); fix the folders' permissions`,
      );
      return false;
    }
  };
  for (const [i, inbox] of config.inboxes.entries()) {
    const key = `inboxes[${i}].path`;
    if (await overlap(inbox.path, config.library)) {
      problems.push(
        `${key}: ${inbox.path} and library ${config.library} overlap; filed photos would be ` +
          'taken again from the inbox (compared after resolving symlinks and mounts). Keep ' +
          'them in separate folders.',
      );
    }
    for (const [j, other] of config.inboxes.entries()) {
      if (j > i && (await overlap(inbox.path, other.path))) {
        problems.push(
          `${key}: ${inbox.path} overlaps inboxes[${j}].path ${other.path}; list each folder once`,
        );
      }
    }
  }
  return problems;
}

/**
 * Where the journal and caches live when the config names no `state`: systemd's
 * `$STATE_DIRECTORY`, else the platform's per-user state folder.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromSystemd = env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return fromSystemd;
  if (platform() === 'darwin') return join(homedir(), 'Library', 'Application Support', MODULE);
  const xdg = env.XDG_STATE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), MODULE);
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** `env:NAME` → the variable's value (`null` when unset); anything else is the secret itself. */
function resolveSecret(value: string, env: NodeJS.ProcessEnv): string | null {
  if (!value.startsWith('env:')) return value;
  return env[value.slice(4)] || null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in ${key}` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}; check the spelling against photosortd.config.example.yaml`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${key}: is required`;
  }
  return `${key}: ${issue.message}`;
}

/** A Redis URL fit to print: its password (and user) replaced by `***`. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.username) parsed.username = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

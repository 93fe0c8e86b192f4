import { cosmiconfig } from 'cosmiconfig';
import { homedir, platform } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseDuration } from '../lib/duration.js';
import { ConfigError, errorMessage } from '../lib/errors.js';
import { configSchema, type ParsedConfig } from './schema.js';
import type { z } from 'zod';

/** `api.jwt` resolved: the secret itself and the lifetime in seconds. */
export interface JwtConfig {
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
export const SEARCH_PLACES = [
  'photosortd.config.yaml',
  'photosortd.config.yml',
  `.${MODULE}rc`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `.${MODULE}rc.json`,
];

/**
 * Finds and loads the configuration: `file` when given, else the first of
 * {@link SEARCH_PLACES} from `cwd` upwards. Throws {@link ConfigError} naming each bad key.
 */
export async function loadConfig(
  file?: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Config> {
  const explorer = cosmiconfig(MODULE, { searchPlaces: SEARCH_PLACES, cache: false });
  const cwd = options.cwd ?? process.cwd();
  let result;
  try {
    result = file ? await explorer.load(resolve(cwd, file)) : await explorer.search(cwd);
  } catch (error) {
    const shown = file ? resolve(cwd, file) : null;
    throw new ConfigError(shown, [`cannot be read: ${errorMessage(error)}`]);
  }
  if (!result) {
    // `npm start` runs on the example file; a CLI call right after it should find its way.
    const example = join(cwd, 'photosortd.config.example.yaml');
    const hint = existsSync(example)
      ? `; to use the example that \`npm start\` runs on, pass --config ${relative(cwd, example)}`
      : '';
    throw new ConfigError(null, [
      `no configuration found in ${cwd} or above; create photosortd.config.yaml ` +
        `(see photosortd.config.example.yaml) or pass --config FILE${hint}`,
    ]);
  }
  if (result.isEmpty || result.config === null || typeof result.config !== 'object') {
    throw new ConfigError(result.filepath, ['is empty; it needs at least `library` and `inboxes`']);
  }
  return parseConfig(result.config, result.filepath, options.env ?? process.env);
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
  };
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

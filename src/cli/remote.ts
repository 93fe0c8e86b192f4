import { apiKeyPath, readApiKey } from '../api/api-key.js';
import { ApiClient, ApiResponseError, type StatusAnswer } from '../api/client.js';
import type { Config } from '../config/load.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { findDaemon, noDaemonMessage } from './find-daemon.js';

/** The variable holding an API key, for setups where `<state>/api-key` is not readable. */
const API_KEY_ENV = 'PHOTOSORTD_API_KEY';

/** What every remote command takes. */
export interface RemoteOptions {
  config: Config;
  /** Print JSON instead of text. */
  json?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Where {@link API_KEY_ENV} is looked up; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** An API key and where it came from, for messages. */
export interface KeySource {
  key: string | null;
  from: string;
}

/** The key the CLI sends: {@link API_KEY_ENV}, else `<state>/api-key`. */
export async function findKey(config: Config, env: NodeJS.ProcessEnv): Promise<KeySource> {
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return { key: fromEnv, from: API_KEY_ENV };
  return { key: await readApiKey(config.state), from: apiKeyPath(config.state) };
}

/**
 * A client for the daemon of `config.state`, checked to be that daemon (see
 * {@link findDaemon}), or `null` when none runs for it. Throws when another process holds the
 * state folder or answers in the daemon's place, and when no key is at hand.
 */
export async function daemonClient(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiClient | null> {
  const found = await findDaemon(config);
  if (found.kind === 'none') return null;
  if (found.kind === 'busy') {
    throw new PhotosortdError('STATE_LOCKED', noDaemonMessage(found, config));
  }
  const { key, from } = await findKey(config, env);
  if (key === null) {
    throw new PhotosortdError(
      'API_KEY_MISSING',
      `photosortd is running at ${found.info.url} but no API key was found: ${from} does not ` +
        `exist and ${API_KEY_ENV} is not set. Set ${API_KEY_ENV} to a key listed (by hash) in api.keys`,
    );
  }
  return new ApiClient(found.info.url, key);
}

/**
 * Runs `action` against the daemon of the state folder and turns failures into a message on
 * stderr and an exit status: 1 when no daemon runs or it refused, 2 when the API is disabled.
 */
async function withDaemon(
  options: RemoteOptions,
  action: (client: ApiClient, out: NodeJS.WritableStream) => Promise<number>,
): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const { config } = options;
  if (!config.api.enabled) {
    err.write(
      `The control API is disabled (api.enabled: false${config.file ? ` in ${config.file}` : ''}); ` +
        'enable it to steer the daemon from the command line\n',
    );
    return 2;
  }
  const source = await findKey(config, options.env ?? process.env);
  try {
    const found = await findDaemon(config);
    if (found.kind !== 'daemon') {
      err.write(`${noDaemonMessage(found, config)}\n`);
      return 1;
    }
    return await action(new ApiClient(found.info.url, source.key), out);
  } catch (error) {
    err.write(`${explain(error, config, source)}\n`);
    return 1;
  }
}

/** A failure of a remote command, in words that say what to do. */
export function explain(error: unknown, config: Config, source: KeySource): string {
  if (error instanceof ApiResponseError && error.status === 401) {
    if (source.key === null) {
      return (
        `photosortd refused the request: no API key was found (${source.from} does not exist ` +
        `and ${API_KEY_ENV} is not set). Run the command as the user the daemon runs as, ` +
        `or set ${API_KEY_ENV}`
      );
    }
    const hint =
      source.from !== API_KEY_ENV && config.api.keys.length > 0
        ? `; api.keys is set, so the daemon does not accept ${source.from}: set ${API_KEY_ENV} to one of those keys`
        : '';
    return `photosortd refused the API key from ${source.from}: ${error.message}${hint}`;
  }
  if (error instanceof ApiResponseError && error.status === 403) {
    return `photosortd refused: ${error.message}; use a key with scope admin`;
  }
  return errorMessage(error);
}

function printJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `photosortd status`: state, queue, counters, inboxes and features of the running daemon. */
export function remoteStatus(options: RemoteOptions): Promise<number> {
  return withDaemon(options, async (client, out) => {
    const status = await client.status();
    if (options.json) printJson(out, status);
    else out.write(describeStatus(status, client.url));
    return 0;
  });
}

/** `photosortd pause`: the daemon stops taking new files; files in flight finish. */
export function remotePause(options: RemoteOptions): Promise<number> {
  return withDaemon(options, async (client, out) => {
    const status = await client.pause();
    if (options.json) printJson(out, status);
    else {
      out.write(
        'photosortd is paused: new files stay in the inbox until `photosortd resume`' +
          (status.queue.active > 0
            ? `; ${status.queue.active} file(s) in flight will finish`
            : '') +
          '\n',
      );
    }
    return 0;
  });
}

/** `photosortd resume`: the daemon takes files again, including those that came meanwhile. */
export function remoteResume(options: RemoteOptions): Promise<number> {
  return withDaemon(options, async (client, out) => {
    const status = await client.resume();
    if (options.json) printJson(out, status);
    else {
      const waiting = status.queue.waiting + status.queue.active;
      out.write(`photosortd is running again${waiting > 0 ? `; ${waiting} file(s) queued` : ''}\n`);
    }
    return 0;
  });
}

function describeStatus(status: StatusAnswer, url: string): string {
  const rows: [string, string][] = [
    ['queue', `${status.queue.waiting} waiting, ${status.queue.active} in flight`],
    ['handled', describeHandled(status.handled)],
    [
      'library',
      status.libraryState.present
        ? status.library
        : `${status.library} (unavailable: ${status.libraryState.problem ?? 'missing'}; filing paused, files wait in the inbox)`,
    ],
    ...status.inboxes.map((inbox): [string, string] => [
      'inbox',
      `${inbox.path} (${inbox.watching ? 'watching' : 'not watching'}${inbox.problem ? `: ${inbox.problem}` : ''})`,
    ]),
    ['tagging', feature(status.tagging.enabled, undefined, status.tagging.reason)],
    ['geocode', feature(status.geocode.enabled, status.geocode.provider, status.geocode.reason)],
    ['holding', `${status.holding.count} file(s) left in the inbox on purpose`],
    ...status.holding.files.map((file): [string, string] => ['', `${file.source}: ${file.reason}`]),
    ...(status.cluster ? [['cluster', describeCluster(status.cluster)] as [string, string]] : []),
    ['api', url],
  ];
  const head = `photosortd ${status.version} is ${status.state} (since ${status.startedAt})\n`;
  return head + rows.map(([label, value]) => `  ${label.padEnd(8)} ${value}\n`).join('');
}

function describeCluster(cluster: NonNullable<StatusAnswer['cluster']>): string {
  if (!cluster.reachable) {
    return `${cluster.redis} not answering (${cluster.error ?? 'unknown'}): model work runs here`;
  }
  const workers = cluster.workers.length > 0 ? cluster.workers.join(', ') : 'none';
  const done = Object.entries(cluster.done)
    .map(([who, n]) => `${who} ${n}`)
    .join(', ');
  return (
    `${cluster.redis}; workers: ${workers}; jobs ${cluster.waiting} waiting, ` +
    `${cluster.active} active${done ? `; embedded by ${done}` : ''}`
  );
}

/** `3 filed, 2 duplicates, 1 unsorted, 0 failed` (and `skipped` when there were any). */
function describeHandled(handled: StatusAnswer['handled']): string {
  const parts = [
    `${handled.move} filed`,
    `${handled.duplicate} duplicate${handled.duplicate === 1 ? '' : 's'}`,
    `${handled.unsorted} unsorted`,
    ...(handled.skip > 0 ? [`${handled.skip} skipped`] : []),
    `${handled.error} failed`,
  ];
  return parts.join(', ');
}

function feature(enabled: boolean, detail?: string, reason?: string): string {
  const state = enabled ? `on${detail ? ` (${detail})` : ''}` : 'off';
  return reason ? `${state}: ${reason}` : state;
}

import { ApiClient, DaemonNotRunningError, apiUrl } from '../api/client.js';
import { newChallenge, provesInstance } from '../api/instance.js';
import type { Config } from '../config/load.js';
import { readDaemonInfo, type DaemonInfo } from '../daemon/daemon-file.js';
import { PhotosortdError, errorCode } from '../lib/errors.js';
import { describeHolder, stateLockHolder, type LockHolder } from '../lib/state-lock.js';

/** What the CLI found holding its state folder. */
export type FoundDaemon =
  /** No process holds the state folder: no daemon runs for it. */
  | { kind: 'none'; note: string }
  /** A command other than the daemon (`scan`, `undo`) holds it. */
  | { kind: 'busy'; holder: LockHolder | null }
  /** The daemon holds it, and the process at its URL proved to be that daemon. */
  | { kind: 'daemon'; info: DaemonInfo & { url: string } };

/**
 * Finds the daemon of `config.state` and checks that the process answering at its URL is it,
 * before anyone sends it a key. The state lock says whether a daemon runs (never the
 * leftover `daemon.json` of a crashed one); `daemon.json` says where it listens and holds the
 * secret the daemon proves itself with on `/health?challenge=` (which never carries a key).
 * Nothing is ever sent to `api.listen` on a guess: when no daemon holds the folder, the note
 * only says whether some other process answers there.
 */
export async function findDaemon(config: Config): Promise<FoundDaemon> {
  const held = await stateLockHolder(config.state);
  if (!held) return { kind: 'none', note: await whoElseAnswers(config) };
  const info = await readDaemonInfo(config.state);
  if (!info || info.pid !== held.holder?.pid) {
    if (held.holder?.command !== 'run') return { kind: 'busy', holder: held.holder };
    throw new PhotosortdError(
      'DAEMON_STARTING',
      `${describeHolder(held.holder)} is starting up for the state folder ${config.state}; ` +
        'try again in a moment',
    );
  }
  if (info.url === null) {
    throw new PhotosortdError(
      'API_OFF',
      `photosortd (pid ${info.pid}) runs for the state folder ${config.state} with its ` +
        'control API off (api.enabled: false when it started); enable it and restart the daemon',
    );
  }
  await checkIdentity(info as DaemonInfo & { url: string }, config.state);
  return { kind: 'daemon', info: info as DaemonInfo & { url: string } };
}

/** Throws unless the process at `info.url` proves it is the daemon `info` describes. */
async function checkIdentity(info: DaemonInfo & { url: string }, state: string): Promise<void> {
  const challenge = newChallenge();
  let answer: { pid?: unknown; proof?: unknown };
  try {
    answer = await new ApiClient(info.url, null).identify(challenge);
  } catch (error) {
    if (error instanceof DaemonNotRunningError) {
      throw new PhotosortdError(
        'DAEMON_UNREACHABLE',
        `photosortd (pid ${info.pid}) holds the state folder ${state} but nothing answers at ` +
          `${info.url}; see its log`,
      );
    }
    answer = {};
  }
  if (answer.pid === info.pid && provesInstance(info.secret, challenge, answer.proof)) return;
  throw new PhotosortdError(
    'DAEMON_IMPOSTOR',
    `Another process answers at ${info.url}: it is not the photosortd of the state folder ` +
      `${state} (pid ${info.pid}), so it was sent nothing. See which program holds the port ` +
      "(e.g. `ss -ltnp`), and check the daemon's log",
  );
}

/** A note on whatever answers at `api.listen` when no daemon holds the state folder. */
async function whoElseAnswers(config: Config): Promise<string> {
  if (!config.api.enabled) return '';
  const url = apiUrl(config);
  try {
    await new ApiClient(url, null).identify(newChallenge());
  } catch (error) {
    // Connection refused, or no answer: nothing there to mention.
    const code = errorCode(error);
    if (code === 'DAEMON_NOT_RUNNING' || code === 'API_TIMEOUT' || code === 'API_UNREACHABLE') {
      return '';
    }
  }
  return (
    `; something answers at ${url} (another photosortd, with another state folder, or ` +
    'another program), and it was sent nothing'
  );
}

/** The message for {@link FoundDaemon} `none` or `busy`: why no daemon can be asked. */
export function noDaemonMessage(found: Exclude<FoundDaemon, { kind: 'daemon' }>, config: Config) {
  return found.kind === 'none'
    ? `photosortd is not running for the state folder ${config.state} ` +
        `(start it with \`photosortd run\`)${found.note}`
    : `${describeHolder(found.holder)} holds the state folder ${config.state}; no daemon runs ` +
        'for it now';
}

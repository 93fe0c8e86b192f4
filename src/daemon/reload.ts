import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/load.js';

/**
 * Keys a running daemon cannot take over: the library and state folders (the journal, the
 * library index and daemon.json are open there), the control API's socket and keys, and
 * geocoding and tagging, whose data and model are loaded once per process.
 */
const RESTART_KEYS = ['library', 'state', 'api', 'geocode', 'tagging'] as const;

/**
 * The configuration a reload switches to: `next`, except that the keys of
 * {@link RESTART_KEYS} keep their current values. `restartNeeded` names those that differ, so
 * the daemon can say that they wait for a restart.
 */
export function mergeReload(
  current: Config,
  next: Config,
): { config: Config; restartNeeded: string[] } {
  const restartNeeded = RESTART_KEYS.filter((key) => !isDeepStrictEqual(current[key], next[key]));
  const kept = Object.fromEntries(RESTART_KEYS.map((key) => [key, current[key]]));
  return { config: { ...next, ...kept }, restartNeeded };
}

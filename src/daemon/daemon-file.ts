import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { STATE_FILE_MODE, statePaths } from '../lib/state-paths.js';

/**
 * What a running daemon tells other processes that share its state folder, in
 * `<state>/daemon.json`. Information only: whether a daemon runs is decided by the state
 * lock (`lib/state-lock.ts`), so a record left by a power cut never blocks or misleads.
 */
export interface DaemonInfo {
  pid: number;
  /** The control API's URL, or null when the API is off. */
  url: string | null;
  startedAt: string;
  /**
   * This run's secret: the API proves it holds it on `/health?challenge=`, so the CLI sends
   * its key only to this daemon. The file is 0600, like the API key beside it.
   */
  secret: string;
}

/** The record in `stateDir`, or null when there is none or it cannot be read. */
export async function readDaemonInfo(stateDir: string): Promise<DaemonInfo | null> {
  try {
    const info = JSON.parse(
      await readFile(statePaths(stateDir).daemon, 'utf8'),
    ) as Partial<DaemonInfo>;
    return Number.isInteger(info.pid) && typeof info.secret === 'string'
      ? (info as DaemonInfo)
      : null;
  } catch {
    return null;
  }
}

/** Records this process as the daemon of `stateDir` (written whole, then renamed into place). */
export async function writeDaemonInfo(stateDir: string, info: DaemonInfo): Promise<void> {
  const file = statePaths(stateDir).daemon;
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(info) + '\n', { mode: STATE_FILE_MODE });
  await rename(temporary, file);
}

/** Removes the record at shutdown. */
export async function removeDaemonInfo(stateDir: string): Promise<void> {
  await rm(statePaths(stateDir).daemon, { force: true });
}

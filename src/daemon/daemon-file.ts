import { rm } from 'node:fs/promises';
import { readStateRecord, statePaths, writeStateRecord } from '../lib/state-paths.js';

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
export function readDaemonInfo(stateDir: string): Promise<DaemonInfo | null> {
  return readStateRecord<DaemonInfo>(
    statePaths(stateDir).daemon,
    (info) => Number.isInteger(info.pid) && typeof info.secret === 'string',
  );
}

/** Records this process as the daemon of `stateDir`. */
export function writeDaemonInfo(stateDir: string, info: DaemonInfo): Promise<void> {
  return writeStateRecord(statePaths(stateDir).daemon, info);
}

/** Removes the record at shutdown. */
export async function removeDaemonInfo(stateDir: string): Promise<void> {
  await rm(statePaths(stateDir).daemon, { force: true });
}

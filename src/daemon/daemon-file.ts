import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a running daemon tells other processes that share its state folder. */
export interface DaemonInfo {
  pid: number;
  /** The control API's URL, or null when the API is off. */
  url: string | null;
  startedAt: string;
}

const FILE = 'daemon.json';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The daemon using `stateDir`, if one is running. The CLI finds its daemon here rather than
 * by trying `api.listen`, so it never steers some other daemon that happens to listen there.
 */
export async function readDaemonInfo(stateDir: string): Promise<DaemonInfo | null> {
  try {
    const info = JSON.parse(await readFile(join(stateDir, FILE), 'utf8')) as DaemonInfo;
    return Number.isInteger(info.pid) && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** Records this process as the daemon of `stateDir`. */
export async function writeDaemonInfo(stateDir: string, info: DaemonInfo): Promise<void> {
  await writeFile(join(stateDir, FILE), JSON.stringify(info) + '\n', { mode: 0o644 });
}

/** Removes the record at shutdown. */
export async function removeDaemonInfo(stateDir: string): Promise<void> {
  await rm(join(stateDir, FILE), { force: true });
}

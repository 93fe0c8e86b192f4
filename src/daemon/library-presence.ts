import type { Logger } from '../lib/logger.js';
import { libraryProblem, libraryUnavailable } from '../lib/real-path.js';
import { PRESENCE_INTERVAL_MS } from './inbox-presence.js';

/** The library as `status` shows it. */
interface LibraryState {
  path: string;
  /** Whether files are filed into it: it is there, on the device it was on at start. */
  present: boolean;
  /** Why not: `missing`, `not a folder`, `on another device than at start (unmounted?)`, … */
  problem?: string;
}

/** Options of {@link watchLibrary}. */
export interface LibraryWatchOptions {
  path: string;
  /** `st_dev` of the library root, recorded at start. */
  device: number;
  /** Called when the library goes away (`false`) or comes back (`true`). */
  onChange: (present: boolean) => void;
  logger: Logger;
  presenceIntervalMs?: number;
}

/** The library root, checked every few seconds and right before each move. */
export interface LibraryPresence {
  status(): LibraryState;
  /**
   * Checks now and throws `LIBRARY_UNAVAILABLE` when the library is not there; the mover
   * calls it before making folders, so a change between two periodic checks is caught too.
   */
  verify(): Promise<void>;
  close(): void;
}

/**
 * Watches the library root as inbox-presence.ts watches inboxes: the same examination of the
 * folder, every {@link PRESENCE_INTERVAL_MS}. A root that vanishes, or that is on another
 * device than at start (an unmounted disk leaves its mount point on the parent's device),
 * makes the library absent until it is back on its device; `onChange` tells the daemon, which
 * then holds files in the inbox.
 */
export function watchLibrary(options: LibraryWatchOptions): LibraryPresence {
  const { path, device, logger } = options;
  let problem: string | undefined;

  async function check(): Promise<string | undefined> {
    const found = await libraryProblem(path, device);
    if (found === problem) return found;
    const was = problem;
    problem = found;
    if (found) {
      logger.warn(
        { library: path, problem: found },
        'library unavailable; filing is paused and files stay in the inbox until it is back',
      );
      if (was === undefined) options.onChange(false);
    } else {
      logger.info({ library: path }, 'library is back; filing resumes');
      options.onChange(true);
    }
    return found;
  }

  const timer = setInterval(() => {
    check().catch((error: unknown) => logger.warn({ err: error }, 'checking the library failed'));
  }, options.presenceIntervalMs ?? PRESENCE_INTERVAL_MS);
  timer.unref();

  return {
    status: () => ({ path, present: problem === undefined, ...(problem ? { problem } : {}) }),
    async verify() {
      const found = await check();
      if (found) throw libraryUnavailable(path, found);
    },
    close: () => clearInterval(timer),
  };
}

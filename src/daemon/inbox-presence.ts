import type { Logger } from '../lib/logger.js';
import { examineFolder } from '../lib/real-path.js';
import { isInside } from '../lib/sanitize.js';
import type { InboxWatcher, WatchedInbox } from './watched-inbox.js';
import { watchInbox } from './watcher.js';

/** How often each inbox, and the library, is checked for having vanished or come back. */
export const PRESENCE_INTERVAL_MS = 2000;

/** One inbox as `status` shows it. */
interface InboxState {
  path: string;
  watching: boolean;
  /** Why it is not watched: `missing`, `not a folder`, or the error code of `stat`. */
  problem?: string;
}

/** Options of {@link watchInboxSet}. */
export interface InboxSetOptions {
  inboxes: WatchedInbox[];
  /** Milliseconds a file's size must stay unchanged before it is reported. */
  settle: number;
  /** Called for each settled file, including those already there when watching (re)starts. */
  onFile: (path: string, inbox: string) => void;
  logger: Logger;
  presenceIntervalMs?: number;
}

/** The watched inboxes: they follow the configuration and come back when their folder does. */
export interface InboxSet {
  /** Resolves once the files already in every inbox at start have been reported. */
  ready: Promise<void>;
  /**
   * Watches this list of inboxes from now on: new ones are watched, dropped ones released,
   * and those whose `poll` (or the `settle` time) changed are watched afresh.
   */
  update(inboxes: WatchedInbox[], settle: number): Promise<{ added: string[]; removed: string[] }>;
  status(): InboxState[];
  /**
   * Whether another file of `path`'s group is still settling in the inbox that holds it
   * ({@link InboxWatcher.settling}); `null` when its watcher cannot tell or none watches it.
   */
  settling(path: string): boolean | null;
  close(): Promise<void>;
}

interface Entry {
  inbox: WatchedInbox;
  watcher: InboxWatcher | null;
  /** Device and inode of the folder being watched: a remounted disk or a recreated folder has others. */
  identity: string | null;
  problem?: string;
}

/**
 * Watches each inbox and checks every few seconds that its folder is still the one watched.
 * A watcher (fs.watch or chokidar) goes quiet for a folder that was removed or unmounted,
 * and does not notice it coming back; so a vanished inbox is shown as `missing`, and once a
 * folder is there again (a new inode, or another device after a remount) it is watched anew,
 * and the files it already holds are reported.
 */
export function watchInboxSet(options: InboxSetOptions): InboxSet {
  const { logger } = options;
  const entries = new Map<string, Entry>();
  let settle = options.settle;
  let closed = false;
  // Presence checks and updates both start and stop watchers: one at a time.
  let lock: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = lock.then(work);
    lock = next.catch(() => undefined);
    return next;
  };

  async function release(entry: Entry): Promise<void> {
    const watcher = entry.watcher;
    entry.watcher = null;
    entry.identity = null;
    await watcher?.close();
  }

  /** Brings one entry in line with its folder; resolves once a new watcher is ready. */
  async function check(entry: Entry): Promise<void> {
    const examined = await examineFolder(entry.inbox.path);
    const found =
      'problem' in examined
        ? examined
        : { identity: `${examined.identity.dev}:${examined.identity.ino}` };
    if ('problem' in found) {
      if (entry.problem !== found.problem) {
        logger.warn(
          { inbox: entry.inbox.path, problem: found.problem },
          'inbox unavailable; it is watched again as soon as it is back',
        );
      }
      entry.problem = found.problem;
      await release(entry);
      return;
    }
    if (entry.watcher && entry.identity === found.identity) return;
    const returning = entry.problem !== undefined || entry.identity !== null;
    await release(entry);
    entry.problem = undefined;
    entry.identity = found.identity;
    entry.watcher = watchInbox(entry.inbox, { settle, onFile: options.onFile, logger });
    await entry.watcher.ready;
    if (returning) logger.info({ inbox: entry.inbox.path }, 'inbox is back; watching it again');
  }

  const add = (inbox: WatchedInbox): Promise<void> => {
    const entry: Entry = { inbox, watcher: null, identity: null };
    entries.set(inbox.path, entry);
    return check(entry);
  };

  const ready = serial(() => Promise.all(options.inboxes.map(add))).then(() => undefined);

  const timer = setInterval(() => {
    void serial(async () => {
      if (closed) return;
      await Promise.all([...entries.values()].map(check));
    }).catch((error: unknown) => logger.warn({ err: error }, 'checking the inboxes failed'));
  }, options.presenceIntervalMs ?? PRESENCE_INTERVAL_MS);
  timer.unref();

  return {
    ready,
    update: (inboxes, newSettle) =>
      serial(async () => {
        const settleChanged = newSettle !== settle;
        settle = newSettle;
        const wanted = new Map(inboxes.map((inbox) => [inbox.path, inbox]));
        const removed = [...entries.keys()].filter((path) => !wanted.has(path));
        const added = inboxes.filter((inbox) => !entries.has(inbox.path)).map((i) => i.path);
        for (const path of removed) {
          await release(entries.get(path)!);
          entries.delete(path);
        }
        for (const inbox of inboxes) {
          const entry = entries.get(inbox.path);
          if (!entry) await add(inbox);
          else if (settleChanged || entry.inbox.poll !== inbox.poll) {
            entry.inbox = inbox;
            await release(entry);
            await check(entry);
          }
        }
        return { added, removed };
      }),
    status: () =>
      [...entries.values()].map((entry) => ({
        path: entry.inbox.path,
        watching: entry.watcher !== null,
        ...(entry.problem ? { problem: entry.problem } : {}),
      })),
    settling: (path) => settlingIn([...entries.values()], path),
    close: () =>
      serial(async () => {
        closed = true;
        clearInterval(timer);
        await Promise.all([...entries.values()].map(release));
      }),
  };
}

/** {@link InboxSet.settling} over the watchers of the inboxes that hold `path`. */
function settlingIn(entries: Entry[], path: string): boolean | null {
  let answer: boolean | null = null;
  for (const { inbox, watcher } of entries) {
    if (!watcher || !isInside(inbox.path, path)) continue;
    const settling = watcher.settling(path);
    if (settling === null) return null;
    answer = answer === true || settling;
  }
  return answer;
}

import type { Logger } from '../lib/logger.js';
import { isInProgressName } from './in-progress.js';

/**
 * What both inbox watchers (chokidar in watcher.ts, inotify in fs-watcher.ts) are given and
 * give back, and which names they skip: a module of its own so neither imports the other.
 */

/**
 * Whether a file name belongs to something incomplete or private: a name in
 * `IN_PROGRESS_PATTERNS` (in-progress.ts: partial downloads, sync tools' temp names) or a
 * dotfile.
 */
export function isPartialOrHidden(name: string): boolean {
  return name.startsWith('.') || isInProgressName(name);
}

/** One watched folder. */
export interface WatchedInbox {
  path: string;
  poll: boolean;
}

/** Options of {@link watchInbox}. */
export interface WatchOptions {
  /** Milliseconds a file's size must stay unchanged before it is reported. */
  settle: number;
  /** Called for each settled file, at start for files already there and later for new ones. */
  onFile: (path: string, inbox: string) => void;
  logger: Logger;
}

/** The running watcher of one inbox. */
export interface InboxWatcher {
  /** Resolves once the files already in the inbox have been reported. */
  ready: Promise<void>;
  /**
   * Whether another file of `path`'s group (same folder, same companion stem) has been seen
   * but not reported yet: still being written, or within its settle period. `null` when this
   * watcher cannot tell (chokidar reports a file only once it has settled).
   */
  settling(path: string): boolean | null;
  close(): Promise<void>;
}

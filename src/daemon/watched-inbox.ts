import type { Logger } from '../lib/logger.js';

/**
 * What both inbox watchers (chokidar in watcher.ts, inotify in fs-watcher.ts) are given and
 * give back, and which names they skip: a module of its own so neither imports the other.
 */

/** Extensions of files that are still being downloaded or written by another program. */
const PARTIAL_EXTENSIONS = ['.part', '.crdownload', '.tmp', '.download', '.partial', '.!qb'];

/**
 * Whether a file name belongs to something incomplete or private: partial downloads, temp
 * files of office programs (`~$…`), Syncthing's and rsync's temp names and dotfiles.
 */
export function isPartialOrHidden(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~$')) return true;
  const lower = name.toLowerCase();
  return PARTIAL_EXTENSIONS.some((ext) => lower.endsWith(ext));
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
  close(): Promise<void>;
}

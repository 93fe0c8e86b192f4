import { watch, type FSWatcher } from 'chokidar';
import { basename } from 'node:path';
import { watchWithFsEvents } from './fs-watcher.js';
import {
  isPartialOrHidden,
  type InboxWatcher,
  type WatchedInbox,
  type WatchOptions,
} from './watched-inbox.js';

/**
 * Watches one inbox recursively. Files that exist at start are reported too. Symlinks are
 * not followed: a link in an inbox could point anywhere, and moving what it points to would
 * take a file the user never dropped. On Linux the folders are watched through inotify
 * directly (fs-watcher.ts); a `poll` inbox (a network share, where no events come) and other
 * systems, where that watcher is not tested, use chokidar.
 */
export function watchInbox(inbox: WatchedInbox, options: WatchOptions): InboxWatcher {
  if (!inbox.poll && process.platform === 'linux') return watchWithFsEvents(inbox, options);
  return watchWithChokidar(inbox, options);
}

function watchWithChokidar(inbox: WatchedInbox, options: WatchOptions): InboxWatcher {
  const watcher: FSWatcher = watch(inbox.path, {
    persistent: true,
    ignoreInitial: false,
    followSymlinks: false,
    usePolling: inbox.poll,
    interval: inbox.poll ? 2000 : 100,
    // A top-level ignore keeps chokidar from descending into hidden folders such as
    // `.stfolder` or `.Trash-1000` at all; the inbox itself may live under a dotted path.
    ignored: (path: string) => path !== inbox.path && isPartialOrHidden(basename(path)),
    awaitWriteFinish:
      options.settle > 0
        ? { stabilityThreshold: options.settle, pollInterval: Math.min(100, options.settle) }
        : false,
    alwaysStat: false,
  });
  const report = (path: string) => options.onFile(path, inbox.path);
  watcher.on('add', report);
  watcher.on('change', report);
  watcher.on('error', (error) =>
    options.logger.warn({ inbox: inbox.path, err: error }, 'watching the inbox failed'),
  );
  return {
    ready: new Promise<void>((resolve) => watcher.once('ready', resolve)),
    settling: () => null,
    close: () => watcher.close(),
  };
}

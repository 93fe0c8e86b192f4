import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { REPLACEMENT, renameUndecodable } from '../lib/undecodable-names.js';
import { basename, join, sep } from 'node:path';
import { errorCode } from '../lib/errors.js';
import { SettlingFiles } from './settling-files.js';
import {
  isPartialOrHidden,
  type InboxWatcher,
  type WatchedInbox,
  type WatchOptions,
} from './watched-inbox.js';

/**
 * Watches an inbox with one `fs.watch` per folder (inotify on Linux), whose events name the
 * entry they are about, so each event costs at most one `lstat`. chokidar re-reads the whole
 * folder (an `lstat` per entry) on every burst of events: in a drop of thousands of files
 * into one folder that took more CPU than filing them (BENCHMARKS.md, Burst).
 *
 * A file is reported once no event has come for it for `settle` ms (a file being written
 * sends one with every write), and again after each later change. Folders are watched
 * before they are listed, so a file created while a new folder is being read is not lost;
 * hidden and partial names are skipped, and symbolic links are reported (the pipeline
 * refuses them) but never followed.
 */
export function watchWithFsEvents(inbox: WatchedInbox, options: WatchOptions): InboxWatcher {
  /** Watched folders by path, with the inode watched: a folder made again is another. */
  const folders = new Map<string, { watcher: FSWatcher; ino: number }>();
  const quiet = new SettlingFiles();
  let closed = false;

  const report = (path: string) => {
    quiet.delete(path);
    if (!closed) options.onFile(path, inbox.path);
  };

  /** (Re)starts a file's quiet period: it is reported once `settle` ms pass without an event. */
  const settleLater = (path: string) => {
    clearTimeout(quiet.get(path));
    if (options.settle === 0) return report(path);
    const timer: NodeJS.Timeout = setTimeout(() => void confirm(path, timer), options.settle);
    quiet.set(path, timer);
  };

  /**
   * At the end of a quiet period (`timer`'s): reported if it is still there, or watched if a
   * folder took the file's place meanwhile (its events were taken for writes to the file).
   * It counts as settling until then, so its group waits for it (see `settling`).
   */
  async function confirm(path: string, timer: NodeJS.Timeout): Promise<void> {
    const info = await lstat(path).catch(() => undefined);
    // Written to while it was looked at (or the watcher closed): a new quiet period decides.
    if (quiet.get(path) !== timer) return;
    quiet.delete(path);
    if (info?.isDirectory()) await addFolder(path, info.ino);
    else if (info) report(path);
  }

  /**
   * Watches a folder (`ino` is its inode), then reports what it holds and watches its
   * subfolders. A folder removed and made again under the same path is watched afresh.
   */
  async function addFolder(folder: string, ino: number): Promise<void> {
    if (closed || folders.get(folder)?.ino === ino) return;
    removeFolder(folder);
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: true }, (_event, name) =>
        // Without a name (some platforms, an overflowed queue) only a re-read can tell; a
        // name that is not UTF-8 (U+FFFD in it) names no file, and the re-read renames it.
        name && !name.includes(REPLACEMENT)
          ? void onEntry(join(folder, name.toString()))
          : void list(folder),
      );
    } catch (error) {
      return warnOrForget(folder, error);
    }
    watcher.on('error', (error) => {
      if (folders.get(folder)?.watcher === watcher) removeFolder(folder);
      warnOrForget(folder, error);
    });
    folders.set(folder, { watcher, ino });
    await list(folder);
  }

  async function list(folder: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
      if (entries.some((entry) => entry.name.includes(REPLACEMENT))) {
        for (const { path, shownAs } of await renameUndecodable(folder)) {
          options.logger.warn(
            { inbox: inbox.path, path, was: shownAs },
            'renamed a file whose name is not valid UTF-8 (each bad byte is now %XX)',
          );
        }
        entries = await readdir(folder, { withFileTypes: true });
      }
    } catch (error) {
      return warnOrForget(folder, error);
    }
    await Promise.all(
      entries
        .filter((entry) => !isPartialOrHidden(entry.name))
        .map((entry) => {
          const path = join(folder, entry.name);
          // A folder (or an entry of a type the file system did not say) is looked at.
          return entry.isFile() || entry.isSymbolicLink() ? settleLater(path) : onEntry(path);
        }),
    );
  }

  /** An event about `path`: a file (new or changed), a new folder, or something gone. */
  async function onEntry(path: string): Promise<void> {
    if (closed || isPartialOrHidden(basename(path))) return;
    // A file already waiting for quiet is only written to: no need to look again.
    if (quiet.has(path)) return settleLater(path);
    let info;
    try {
      info = await lstat(path);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') removeFolder(path);
      else options.logger.debug({ path, err: error }, 'inbox entry could not be read');
      return;
    }
    if (info.isDirectory()) await addFolder(path, info.ino);
    else settleLater(path);
  }

  /** Stops watching a folder that went away, and everything below it. */
  function removeFolder(folder: string): void {
    for (const [path, { watcher }] of folders) {
      if (path === folder || path.startsWith(folder + sep)) {
        watcher.close();
        folders.delete(path);
      }
    }
  }

  function warnOrForget(folder: string, error: unknown): void {
    // A folder removed while being read is simply gone; the inbox itself is looked after by
    // inbox-presence.ts.
    const code = errorCode(error);
    if (code === 'ENOENT' || closed) return;
    // inotify's per-user limit on watched folders shows as ENOSPC (or EMFILE).
    const hint =
      code === 'ENOSPC' || code === 'EMFILE'
        ? `; ${folder} is not watched: raise fs.inotify.max_user_watches (sysctl), or set poll: true for this inbox`
        : '';
    options.logger.warn(
      { inbox: inbox.path, folder, err: error },
      `watching the inbox failed${hint}`,
    );
  }

  return {
    // With no settle period a file is reported at its first event: nothing is known to follow.
    settling: (path) => (options.settle === 0 ? null : quiet.besides(path)),
    ready: lstat(inbox.path).then(
      (info) => addFolder(inbox.path, info.ino),
      (error: unknown) => warnOrForget(inbox.path, error),
    ),
    close: async () => {
      closed = true;
      quiet.clear();
      removeFolder(inbox.path);
    },
  };
}

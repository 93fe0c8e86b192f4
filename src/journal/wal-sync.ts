import { closeSync, fdatasync, openSync } from 'node:fs';
import { SharedSync } from '../lib/shared-sync.js';

/**
 * Makes commits written to a SQLite WAL file durable off the event loop, many at a time.
 *
 * With `synchronous = FULL` in WAL mode, SQLite's only extra work per commit is to fsync the
 * WAL file; better-sqlite3 does that on the main thread, so every `planned` row stalled the
 * whole process (exiftool's answers, other files' moves) for the length of an fsync. A commit
 * made with `synchronous = NORMAL` has been written to the WAL all the same, only not synced;
 * syncing that file here, on libuv's thread pool, gives the same durability. Commits that
 * arrive while a sync runs share the next one (group commit, {@link SharedSync}). A
 * checkpoint moving rows into the database file syncs both files itself first, so rows it
 * moved are durable either way.
 */
export class WalSync {
  private fd: number | undefined;
  private readonly shared = new SharedSync(() => this.syncFile());

  /** `walFile` is the database's `-wal` file; it exists once the first commit was written. */
  constructor(private readonly walFile: string) {}

  /** Resolves once every commit written before the call is on disk. */
  durable(): Promise<void> {
    return this.shared.durable();
  }

  /** Closes the file; call it only when no {@link durable} is pending. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private syncFile(): Promise<void> {
    this.fd ??= openSync(this.walFile, 'r');
    const fd = this.fd;
    return new Promise<void>((resolve, reject) =>
      fdatasync(fd, (error) => (error ? reject(error) : resolve())),
    );
  }
}

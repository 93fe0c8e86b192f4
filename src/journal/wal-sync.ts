import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes commits written to a SQLite WAL file durable off the event loop, many at a time.
 *
 * With `synchronous = FULL` in WAL mode, SQLite's only extra work per commit is to fsync the
 * WAL file; better-sqlite3 does that on the main thread, so every `planned` row stalled the
 * whole process (exiftool's answers, other files' moves) for the length of an fsync. A commit
 * made with `synchronous = NORMAL` has been written to the WAL all the same, only not synced;
 * syncing that file here, on libuv's thread pool, gives the same durability. Commits that
 * arrive while a sync runs share the next one (group commit). A checkpoint moving rows into
 * the database file syncs both files itself first, so rows it moved are durable either way.
 */
export class WalSync {
  private fd: number | undefined;
  /** Commits counted so far, and how many of them a finished sync covers. */
  private written = 0;
  private synced = 0;
  private running: Promise<void> | undefined;

  /** `walFile` is the database's `-wal` file; it exists once the first commit was written. */
  constructor(private readonly walFile: string) {}

  /** Resolves once every commit written before the call is on disk. */
  async durable(): Promise<void> {
    const mine = ++this.written;
    while (this.synced < mine) {
      this.running ??= this.syncOnce();
      await this.running;
    }
  }

  /** Closes the file; call it only when no {@link durable} is pending. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async syncOnce(): Promise<void> {
    const upTo = this.written;
    try {
      this.fd ??= openSync(this.walFile, 'r');
      const fd = this.fd;
      await new Promise<void>((resolve, reject) =>
        fdatasync(fd, (error) => (error ? reject(error) : resolve())),
      );
      this.synced = Math.max(this.synced, upTo);
    } finally {
      this.running = undefined;
    }
  }
}

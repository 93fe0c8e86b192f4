import { opendir, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import PQueue from 'p-queue';
import { errorCode } from '../lib/errors.js';
import { hashFile, sampleFile } from '../lib/hash.js';
import type { Journal } from './journal.js';

/** Options of {@link LibraryIndex.build}. */
export interface LibraryIndexOptions {
  /** Absolute paths (files or folders) to leave out, e.g. a trash folder inside the library. */
  ignore?: (path: string) => boolean;
  /** Files stat'ed at once; bounded so a huge library never runs out of handles. */
  concurrency?: number;
}

/** What {@link LibraryIndex.lookup} found. */
export interface ContentMatch {
  /** A library file with the same content that is another file. */
  original?: string;
  /** The library file that the source is, reached under another name. */
  itself?: string;
}

interface IndexRow {
  path: string;
  size: number;
  mtime_ms: number;
  /** `null` until content of the same size arrives and the file is compared (see holdsSize). */
  hash: string | null;
}

/** Errors that leave one file or folder out of the index instead of failing the build. */
const SKIPPABLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR']);

/** Rows written per transaction while building: one fsync per batch, not per file. */
const WRITE_BATCH = 500;

/**
 * What the library holds, so the planner can tell a duplicate from a new file. Kept in the
 * journal's SQLite file (path, size, mtime, hash). A file is hashed only once a file of its
 * size arrives (only equal sizes can be equal content): a library filled by hand costs a
 * walk, not a read of every file, and its hashes are kept while size and mtime hold.
 */
export class LibraryIndex {
  /** Absolute path of the library root. */
  readonly library: string;
  private readonly journal: Journal;

  private constructor(journal: Journal, library: string) {
    this.journal = journal;
    this.library = library;
  }

  /**
   * Walks the library (dotfiles, dot-folders and symlinks are passed by), keeping the stored
   * hashes of unchanged files; new and changed files are recorded unhashed (see
   * {@link hashSize}), and rows of files gone since are dropped.
   * A library folder that does not exist yet is an empty library.
   */
  static async build(
    journal: Journal,
    library: string,
    options: LibraryIndexOptions = {},
  ): Promise<LibraryIndex> {
    const index = new LibraryIndex(journal, resolve(library));
    await index.refresh(options);
    return index;
  }

  /** A library path that still exists and holds content with this hash, if any. */
  find(hash: string): string | undefined {
    return this.lookup(hash).original;
  }

  /**
   * The library files holding this content, seen from the file at `source`: `original`, a
   * library path holding it that is another file, and `itself`, a library path under another
   * name that is the very file at `source` (same device and inode: the library seen through
   * a symlink, bind mount or hard link). A file is never its own duplicate.
   */
  lookup(hash: string, source?: string): ContentMatch {
    const rows = this.journal
      .statement('SELECT path, size FROM library_files WHERE hash = ? ORDER BY path')
      .all(hash) as Pick<IndexRow, 'path' | 'size'>[];
    const own = source ? statSync(source, { throwIfNoEntry: false }) : undefined;
    const match: ContentMatch = {};
    for (const row of rows) {
      const info = statSync(row.path, { throwIfNoEntry: false });
      if (!info?.isFile() || info.size !== row.size) {
        this.remove(row.path);
        continue;
      }
      const same = own !== undefined && own.dev === info.dev && own.ino === info.ino;
      if (!same) match.original ??= row.path;
      else if (row.path !== resolve(source ?? '')) match.itself ??= row.path;
    }
    return match;
  }

  /** Whether a library file has this size: only then can a file of that size be a duplicate. */
  holdsSize(size: number): boolean {
    return this.journal.statement('SELECT 1 FROM library_files WHERE size = ? LIMIT 1').get(size)
      ? true
      : false;
  }

  /**
   * Makes the library files that could hold a file's content comparable by hash, and says
   * whether there are any: those of its size, and when its `sample` (lib/hash.ts
   * sampleFile) is given, only those whose sample matches it (samples are taken first, two
   * small reads a file). A file changed meanwhile is read as it is now; one gone is dropped.
   */
  async hashCandidates(size: number, sample?: string): Promise<boolean> {
    if (sample !== undefined) {
      await this.fill(size, 'sample IS NULL', sampleFile, 'sample');
      const same = this.journal
        .statement('SELECT 1 FROM library_files WHERE size = ? AND sample = ? LIMIT 1')
        .get(size, sample);
      if (!same) return false;
    }
    if (sample === undefined) await this.fill(size, 'hash IS NULL', hashFile, 'hash');
    else await this.fill(size, 'hash IS NULL AND sample = ?', hashFile, 'hash', sample);
    return this.holdsSize(size);
  }

  /** Computes `column` with `read` for the rows of this size that `where` picks. */
  private async fill(
    size: number,
    where: string,
    read: (path: string) => Promise<string>,
    column: 'hash' | 'sample',
    ...parameters: string[]
  ): Promise<void> {
    const rows = this.journal
      .statement(`SELECT path, size, mtime_ms FROM library_files WHERE size = ? AND ${where}`)
      .all(size, ...parameters) as Pick<IndexRow, 'path' | 'size' | 'mtime_ms'>[];
    for (const row of rows) {
      try {
        const before = await stat(row.path);
        const value = await read(row.path);
        if (before.size !== row.size || before.mtimeMs !== row.mtime_ms) {
          // Changed since it was listed: what was known of it no longer holds.
          this.add(row.path, null, before.size, before.mtimeMs);
        }
        this.journal.withoutSync(() =>
          this.journal
            .statement(`UPDATE library_files SET ${column} = ? WHERE path = ?`)
            .run(value, row.path),
        );
      } catch (error) {
        if (!SKIPPABLE.has(errorCode(error))) throw error;
        this.remove(row.path);
      }
    }
  }

  /**
   * Records (or updates) what a library file holds: its hash (`null`: not read yet) and
   * the sample of its ends, when known.
   */
  add(
    path: string,
    hash: string | null,
    size: number,
    mtimeMs: number,
    sample: string | null = null,
  ): void {
    // The index is rebuilt from disk at start, so a row lost in a power cut costs a rehash.
    this.journal.withoutSync(() =>
      this.journal
        .statement(
          `INSERT INTO library_files (path, size, mtime_ms, hash, sample) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
             hash = excluded.hash, sample = excluded.sample`,
        )
        .run(resolve(path), size, mtimeMs, hash, sample),
    );
  }

  /** Forgets a library file (moved away, deleted, undone). */
  remove(path: string): void {
    this.journal.withoutSync(() =>
      this.journal.statement('DELETE FROM library_files WHERE path = ?').run(resolve(path)),
    );
  }

  /** How many files the index holds. */
  count(): number {
    const row = this.journal.statement('SELECT count(*) AS n FROM library_files').get() as {
      n: number;
    };
    return row.n;
  }

  private async refresh(options: LibraryIndexOptions): Promise<void> {
    const db = this.journal.db;
    const known = new Map<string, IndexRow>();
    for (const row of db.prepare('SELECT * FROM library_files').iterate() as Iterable<IndexRow>) {
      known.set(row.path, row);
    }
    const pending: IndexRow[] = [];
    const upsert = db.prepare(
      `INSERT INTO library_files (path, size, mtime_ms, hash) VALUES (@path, @size, @mtime_ms, @hash)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
         hash = excluded.hash, sample = NULL`,
    );
    const flush = db.transaction((rows: IndexRow[]) => {
      for (const row of rows) upsert.run(row);
    });
    const seen = new Set<string>();
    const queue = new PQueue({ concurrency: options.concurrency ?? 4 });
    const ignore = options.ignore ?? (() => false);

    let failure: unknown;

    const visit = async (path: string): Promise<void> => {
      try {
        const info = await stat(path);
        const old = known.get(path);
        if (!old || old.size !== info.size || old.mtime_ms !== info.mtimeMs) {
          pending.push({ path, size: info.size, mtime_ms: info.mtimeMs, hash: null });
          if (pending.length >= WRITE_BATCH)
            this.journal.withoutSync(() => flush(pending.splice(0)));
        }
        seen.add(path);
      } catch (error) {
        // A file deleted during the walk, or one we may not read, cannot be an original
        // worth comparing against: it is left out rather than stopping the daemon.
        if (!SKIPPABLE.has(errorCode(error))) failure ??= error;
      }
    };

    const folders = [this.library];
    while (folders.length > 0) {
      const folder = folders.pop() as string;
      let dir;
      try {
        dir = await opendir(folder);
      } catch (error) {
        if (SKIPPABLE.has(errorCode(error))) continue;
        throw error;
      }
      for await (const entry of dir) {
        if (entry.name.startsWith('.')) continue;
        const path = join(folder, entry.name);
        if (ignore(path)) continue;
        if (entry.isDirectory()) folders.push(path);
        else if (entry.isFile()) {
          await queue.onSizeLessThan(queue.concurrency * 4);
          void queue.add(() => visit(path));
        }
      }
    }
    await queue.onIdle();
    if (failure) throw failure;
    const gone = [...known.keys()].filter((path) => !seen.has(path));
    const drop = db.prepare('DELETE FROM library_files WHERE path = ?');
    this.journal.withoutSync(() => {
      flush(pending.splice(0));
      db.transaction(() => {
        for (const path of gone) drop.run(path);
      })();
    });
  }
}

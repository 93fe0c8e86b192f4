import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Action } from '../lib/media.js';
import { errorMessage, PhotosortdError } from '../lib/errors.js';
import {
  createPrivateFile,
  STATE_DIR_MODE,
  STATE_FILE_MODE,
  STATE_NAMES,
} from '../lib/state-paths.js';
import type { JournalEntry, OperationKind, OperationStatus, UndoSelector } from './types.js';
import { WalSync } from './wal-sync.js';

/** What {@link Journal.begin} records before a file is touched. */
export interface NewOperation {
  batch: string;
  op: OperationKind;
  /** Where the file is now. */
  source: string;
  /** Where it is meant to go (a collision suffix may change it; see {@link Journal.finish}). */
  target: string | null;
  /**
   * SHA-256 (hex) of the content being moved; `null` for a hard link of an unread file,
   * whose identity is its inode (`details.inode`).
   */
  hash: string | null;
  size: number;
  action?: Action | null;
  rule?: string | null;
  undoes?: number | null;
  group?: string | null;
  details?: Record<string, unknown> | null;
}

/** The journal database's file name inside the state folder. */
export const JOURNAL_FILE = STATE_NAMES.journal;

/**
 * Schema steps, applied in order; the version table holds how many have run. A step is never
 * edited once released: a change is a new step, so an existing journal upgrades in place.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE operations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     batch TEXT NOT NULL,
     op TEXT NOT NULL CHECK (op IN ('move', 'undo', 'delete', 'create', 'rewrite')),
     status TEXT NOT NULL CHECK (status IN ('planned', 'done', 'failed', 'undone')),
     source TEXT NOT NULL,
     target TEXT,
     hash TEXT NOT NULL,
     size INTEGER NOT NULL,
     action TEXT,
     rule TEXT,
     undoes INTEGER REFERENCES operations (id),
     undone_by INTEGER REFERENCES operations (id),
     grp TEXT,
     created_at TEXT NOT NULL,
     finished_at TEXT,
     error TEXT,
     details TEXT
   );
   CREATE INDEX operations_status ON operations (status);
   CREATE INDEX operations_batch ON operations (batch);
   CREATE INDEX operations_source ON operations (source);
   CREATE INDEX operations_target ON operations (target);
   CREATE TABLE library_files (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX library_files_hash ON library_files (hash);`,
  // Undo puts a group (a photo and its sidecars, RAW, Live Photo video) back as one.
  `CREATE INDEX operations_grp ON operations (grp);`,
  // A Live Photo's halves find each other by Apple's ContentIdentifier, whatever their names.
  `CREATE INDEX operations_content_id ON operations (json_extract(details, '$.contentId'))
     WHERE json_extract(details, '$.contentId') IS NOT NULL;`,
  // A late sidecar or video finds its file by source path, ignoring ASCII case, as LIKE did
  // by reading every row (57 ms a lookup in a journal of 200,000 moves).
  `CREATE INDEX operations_source_lower ON operations (lower(source));`,
  // Files the daemon left in an inbox (a duplicate under `duplicates: skip`, an occupied name
  // under `onCollision: skip`): remembered with why, so a restart neither hashes nor warns
  // about them again, and `journal` can say why they stayed.
  `CREATE TABLE left_in_inbox (
     source TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     policy TEXT NOT NULL,
     action TEXT NOT NULL,
     reason TEXT NOT NULL,
     at TEXT NOT NULL
   );`,
  // A file moved by hard link is not read (see pipeline/content-hash.ts): its row has no
  // hash, and its inode is its identity. SQLite cannot drop a NOT NULL in place, so both
  // tables are rebuilt (with foreign keys off, as SQLite's ALTER TABLE procedure says).
  `CREATE TABLE operations_v6 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     batch TEXT NOT NULL,
     op TEXT NOT NULL CHECK (op IN ('move', 'undo', 'delete', 'create', 'rewrite')),
     status TEXT NOT NULL CHECK (status IN ('planned', 'done', 'failed', 'undone')),
     source TEXT NOT NULL,
     target TEXT,
     hash TEXT,
     size INTEGER NOT NULL,
     action TEXT,
     rule TEXT,
     undoes INTEGER REFERENCES operations (id),
     undone_by INTEGER REFERENCES operations (id),
     grp TEXT,
     created_at TEXT NOT NULL,
     finished_at TEXT,
     error TEXT,
     details TEXT
   );
   INSERT INTO operations_v6 SELECT * FROM operations;
   DROP TABLE operations;
   ALTER TABLE operations_v6 RENAME TO operations;
   CREATE INDEX operations_status ON operations (status);
   CREATE INDEX operations_batch ON operations (batch);
   CREATE INDEX operations_source ON operations (source);
   CREATE INDEX operations_target ON operations (target);
   CREATE INDEX operations_grp ON operations (grp);
   CREATE INDEX operations_content_id ON operations (json_extract(details, '$.contentId'))
     WHERE json_extract(details, '$.contentId') IS NOT NULL;
   CREATE INDEX operations_source_lower ON operations (lower(source));
   CREATE TABLE library_files_v6 (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     hash TEXT
   );
   INSERT INTO library_files_v6 SELECT path, size, mtime_ms, hash FROM library_files;
   DROP TABLE library_files;
   ALTER TABLE library_files_v6 RENAME TO library_files;
   CREATE INDEX library_files_hash ON library_files (hash);
   CREATE INDEX library_files_size ON library_files (size);`,
  // Library files of one size are told apart by a sample of their ends before any is read
  // whole (see lib/hash.ts sampleFile); `null` until a file of that size arrives.
  `ALTER TABLE library_files ADD COLUMN sample TEXT;
   CREATE INDEX library_files_sample ON library_files (size, sample);`,
];

/** A file the daemon left in its inbox, and why. */
export interface LeftInInbox {
  source: string;
  size: number;
  mtimeMs: number;
  /** The configuration that decided it (e.g. `duplicates: skip`): another one decides anew. */
  policy: string;
  action: string;
  reason: string;
  /** ISO 8601. */
  at: string;
}

interface OperationRow {
  id: number;
  batch: string;
  op: OperationKind;
  status: OperationStatus;
  source: string;
  target: string | null;
  hash: string | null;
  size: number;
  action: Action | null;
  rule: string | null;
  undoes: number | null;
  grp: string | null;
  created_at: string;
  finished_at: string | null;
  error: string | null;
  details: string | null;
}

function toEntry(row: OperationRow): JournalEntry {
  return {
    id: row.id,
    batch: row.batch,
    op: row.op,
    status: row.status,
    source: row.source,
    target: row.target,
    hash: row.hash,
    size: row.size,
    action: row.action,
    rule: row.rule,
    undoes: row.undoes,
    group: row.grp,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    error: row.error,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
  };
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * The durable record of every file operation, in `<state>/journal.sqlite`. A row is written
 * `planned` (and synced) before a file is touched, so a crash always leaves a trace that
 * recovery can reconcile from what is on disk.
 */
export class Journal {
  /** The open database; {@link LibraryIndex} keeps its table in the same file. */
  readonly db: Database.Database;
  /** Absolute path of the database file, for messages. */
  readonly file: string;
  private readonly statements = new Map<string, Database.Statement>();
  /** Depth of nested {@link withoutSync} calls. */
  private relaxed = 0;
  /** Syncs `planned` rows off the event loop; absent when SQLite could not use WAL mode. */
  private readonly walSync: WalSync | undefined;
  /** `planned` rows asked for in this turn of the event loop (see {@link beginTogether}). */
  private plannedQueue: {
    op: NewOperation;
    resolve: (id: number) => void;
    reject: (error: unknown) => void;
  }[] = [];

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
    this.walSync = wal ? new WalSync(`${file}-wal`) : undefined;
  }

  /**
   * Opens (creating when absent) the journal in `stateDir`. An existing file that cannot be
   * used (locked by another process, corrupt, from a newer photosortd) is left exactly as it
   * is and reported as `JOURNAL_UNAVAILABLE`: history is never recreated over. A lock held
   * by another process is waited for up to `busyTimeoutMs` (5 s).
   */
  static open(stateDir: string, options: { busyTimeoutMs?: number } = {}): Journal {
    const file = join(stateDir, JOURNAL_FILE);
    try {
      mkdirSync(stateDir, { recursive: true, mode: STATE_DIR_MODE });
      // Every path, place and tag of the library is in here: for its owner only.
      createPrivateFile(file);
      chmodSync(file, STATE_FILE_MODE);
    } catch (error) {
      throw new PhotosortdError(
        'JOURNAL_UNAVAILABLE',
        `Cannot create the state folder ${stateDir} for the journal (${errorMessage(error)}). ` +
          'Check that the "state" path in the configuration is writable.',
        { cause: error },
      );
    }
    return Journal.connect(
      file,
      () => new Database(file, { timeout: options.busyTimeoutMs ?? 5000 }),
      (db) => {
        // Reading the schema first makes a corrupt file fail before a pragma could write to it.
        db.prepare('SELECT count(*) FROM sqlite_master').get();
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
      },
    );
  }

  /**
   * A private in-memory copy of the journal in `stateDir` (an empty journal when there is none
   * yet), for dry runs: they plan against the real history, and whatever they record goes
   * nowhere. The file is only read, so this needs no lock and never touches what a crash left
   * half-done for recovery.
   */
  static snapshot(stateDir: string): Journal {
    const file = join(stateDir, JOURNAL_FILE);
    return Journal.connect(file, () => {
      if (!existsSync(file)) return new Database(':memory:');
      const disk = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      let image: Buffer;
      try {
        image = disk.serialize();
      } finally {
        disk.close();
      }
      // The header's file-format bytes say WAL, which a database in memory cannot use;
      // 1 is the rollback-journal format, the same pages.
      image[18] = 1;
      image[19] = 1;
      return new Database(image);
    });
  }

  /**
   * Connects with `connect`, prepares with `setup`, brings the schema up to date, and reports
   * any failure as `JOURNAL_UNAVAILABLE` naming `file`, closing what was opened.
   */
  private static connect(
    file: string,
    connect: () => Database.Database,
    setup: (db: Database.Database) => void = () => {},
  ): Journal {
    let db: Database.Database | undefined;
    try {
      db = connect();
      setup(db);
      migrate(db, file);
      return new Journal(db, file);
    } catch (error) {
      db?.close();
      if (error instanceof PhotosortdError) throw error;
      throw new PhotosortdError('JOURNAL_UNAVAILABLE', unavailableMessage(file, error), {
        cause: error,
      });
    }
  }

  /**
   * A prepared statement for `sql`, compiled once per journal: the mover runs the same few
   * statements for every file, and compiling them each time was a measurable share of a scan.
   */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Records an operation as `planned` (durably, before the file is touched); returns its id. */
  begin(op: NewOperation): number {
    return this.insert(op, 'planned');
  }

  /**
   * Records an operation that is already complete (a tag sidecar written, tags embedded):
   * there is nothing for recovery to reconcile, and a row left `planned` would be read as
   * a half-done move.
   */
  record(op: NewOperation): number {
    return this.withoutSync(() => this.insert(op, 'done'));
  }

  private insert(op: NewOperation, status: 'planned' | 'done'): number {
    const result = this.statement(
      `INSERT INTO operations
           (batch, op, status, source, target, hash, size, action, rule, undoes, grp, created_at, details, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      op.batch,
      op.op,
      status,
      op.source,
      op.target,
      op.hash,
      op.size,
      op.action ?? null,
      op.rule ?? null,
      op.undoes ?? null,
      op.group ?? null,
      new Date().toISOString(),
      op.details ? JSON.stringify(op.details) : null,
      status === 'done' ? new Date().toISOString() : null,
    );
    return Number(result.lastInsertRowid);
  }

  /**
   * {@link begin} for the mover: the row is written within this turn of the event loop (see
   * {@link beginTogether}) and the promise resolves once it is on disk, without stalling the
   * event loop meanwhile; rows of files moved at the same time share one sync. If the sync
   * fails the row is marked `failed` and this rejects, so the file is never touched on a row
   * that might not survive a power cut.
   */
  async beginDurably(op: NewOperation): Promise<number> {
    if (!this.walSync) return this.begin(op);
    const id = await this.beginTogether(op);
    try {
      await this.walSync.durable();
    } catch (error) {
      this.fail(id, errorMessage(error));
      throw new PhotosortdError(
        'JOURNAL_UNAVAILABLE',
        `Could not write the journal ${this.file} to disk (${errorMessage(error)}), so ` +
          `${op.source} was left where it is. Check the disk that holds the state folder.`,
        { cause: error },
      );
    }
    return id;
  }

  /**
   * Writes `op`'s `planned` row together with the others asked for in the same turn of the
   * event loop, in one transaction. Each commit writes every page it touched (the table's
   * and each of its indexes') to the WAL, so a burst's rows written together cost a fifth
   * of what they cost one by one (80 against 16 µs a row, BENCHMARKS.md). A row the
   * database refuses fails alone: the others are then written one by one.
   */
  private beginTogether(op: NewOperation): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.plannedQueue.length === 0) setImmediate(() => this.writePlanned());
      this.plannedQueue.push({ op, resolve, reject });
    });
  }

  private writePlanned(): void {
    const queued = this.plannedQueue;
    this.plannedQueue = [];
    try {
      const ids = this.withoutSync(
        this.db.transaction(() => queued.map(({ op }) => this.begin(op))),
      );
      queued.forEach(({ resolve }, i) => resolve(ids[i]!));
    } catch {
      for (const { op, resolve, reject } of queued) {
        try {
          resolve(this.withoutSync(() => this.begin(op)));
        } catch (error) {
          reject(error);
        }
      }
    }
  }

  /** Marks an operation `done`; `target` records where the file really went when it differs. */
  finish(id: number, target?: string): void {
    const finishedAt = new Date().toISOString();
    // Naming `target` only when it changed: SQLite rewrites the index of every column named.
    this.withoutSync(() =>
      target === undefined
        ? this.statement(
            `UPDATE operations SET status = 'done', finished_at = ?, error = NULL WHERE id = ?`,
          ).run(finishedAt, id)
        : this.statement(
            `UPDATE operations SET status = 'done', finished_at = ?, target = ?, error = NULL
             WHERE id = ?`,
          ).run(finishedAt, target, id),
    );
  }

  /** Marks an operation `failed`: abandoned with the source intact. */
  fail(id: number, error: string): void {
    this.withoutSync(() =>
      this.statement(
        `UPDATE operations SET status = 'failed', finished_at = ?, error = ? WHERE id = ?`,
      ).run(new Date().toISOString(), error, id),
    );
  }

  /**
   * How large the journal has grown: operations recorded (rows are never deleted, so the
   * newest id counts them without a table scan) and bytes on disk, database and WAL together.
   */
  size(): { operations: number; bytes: number } {
    const { newest } = this.statement(
      'SELECT coalesce(max(id), 0) AS newest FROM operations',
    ).get() as {
      newest: number;
    };
    const bytes = [this.file, `${this.file}-wal`].reduce((sum, path) => sum + fileSize(path), 0);
    return { operations: newest, bytes };
  }

  /** When a file was last filed into the library (a `move` finished), or null. */
  lastFiledAt(): string | null {
    // Walks back from the newest id and stops at the first match: no scan of the history.
    const row = this.statement(
      `SELECT finished_at AS at FROM operations
       WHERE op = 'move' AND status IN ('done', 'undone') ORDER BY id DESC LIMIT 1`,
    ).get() as { at: string | null } | undefined;
    return row?.at ?? null;
  }

  /** Remembers that `left.source` stays in its inbox, replacing what was known of it. */
  rememberLeft(left: Omit<LeftInInbox, 'at'>): void {
    this.statement(
      `INSERT OR REPLACE INTO left_in_inbox (source, size, mtime_ms, policy, action, reason, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      left.source,
      left.size,
      left.mtimeMs,
      left.policy,
      left.action,
      left.reason,
      new Date().toISOString(),
    );
  }

  /**
   * What was left at `source` under `policy`, if the file there is still the same one (same
   * size and modification time); a changed file, or another policy, is looked at anew.
   */
  leftBefore(
    source: string,
    size: number,
    mtimeMs: number,
    policy: string,
  ): LeftInInbox | undefined {
    const row = this.statement(
      `SELECT source, size, mtime_ms AS mtimeMs, policy, action, reason, at FROM left_in_inbox
       WHERE source = ? AND size = ? AND mtime_ms = ? AND policy = ?`,
    ).get(source, size, mtimeMs, policy) as LeftInInbox | undefined;
    return row;
  }

  /** Forgets `source`: it was filed, or is gone. */
  forgetLeft(source: string): void {
    this.statement('DELETE FROM left_in_inbox WHERE source = ?').run(source);
  }

  /** Files left in inboxes, newest first. */
  leftInInbox(limit: number): LeftInInbox[] {
    return this.statement(
      `SELECT source, size, mtime_ms AS mtimeMs, policy, action, reason, at FROM left_in_inbox
       ORDER BY at DESC LIMIT ?`,
    ).all(Math.max(0, Math.floor(limit))) as LeftInInbox[];
  }

  /** The latest `limit` operations, newest first. */
  recent(limit: number): JournalEntry[] {
    const rows = this.statement('SELECT * FROM operations ORDER BY id DESC LIMIT ?').all(
      Math.max(0, Math.floor(limit)),
    ) as OperationRow[];
    return rows.map(toEntry);
  }

  /** Operations a crash left half-done, oldest first. */
  planned(): JournalEntry[] {
    const rows = this.statement(
      `SELECT * FROM operations WHERE status = 'planned' ORDER BY id`,
    ).all() as OperationRow[];
    return rows.map(toEntry);
  }

  /**
   * Finished moves (not undone) the pipeline decided as `action`, newest first: e.g. the
   * files filed as `unsorted`, which the dashboard lists as needing attention.
   */
  movedAs(action: string, limit: number): JournalEntry[] {
    const rows = this.statement(
      `SELECT * FROM operations WHERE action = ? AND +status = 'done' AND op = 'move'
         ORDER BY id DESC LIMIT ?`,
    ).all(action, Math.max(0, Math.floor(limit))) as OperationRow[];
    return rows.map(toEntry);
  }

  /** The latest finished move (not undone) that put a file at `path`, if any. */
  lastMovedTo(path: string): JournalEntry | undefined {
    const row = this.statement(
      `SELECT * FROM operations WHERE target = ? AND status = 'done' AND op = 'move'
         ORDER BY id DESC LIMIT 1`,
    ).get(path) as OperationRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** The operation with this id, if any. */
  get(id: number): JournalEntry | undefined {
    const row = this.statement('SELECT * FROM operations WHERE id = ?').get(id) as
      OperationRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  /**
   * The operations an undo would reverse, newest first: finished `move`, `delete`, `create`
   * and `rewrite` rows not undone yet, with every other row of their groups. `{ last: N }` takes the N newest
   * groups (a row without a group counts alone), so repeating it walks back.
   */
  forUndo(selector: UndoSelector): JournalEntry[] {
    const base = `SELECT * FROM operations WHERE status = 'done' AND op IN ('move', 'delete', 'create', 'rewrite')`;
    let rows: OperationRow[];
    if ('last' in selector) {
      rows = this.newestGroups(base, Math.max(0, Math.floor(selector.last)));
    } else if ('batch' in selector) {
      rows = this.statement(`${base} AND batch = ? ORDER BY id DESC`).all(
        selector.batch,
      ) as OperationRow[];
    } else if ('ids' in selector) {
      const select = this.statement(`${base} AND id = ?`);
      rows = selector.ids
        .flatMap((id) => (select.get(id) as OperationRow | undefined) ?? [])
        .sort((a, b) => b.id - a.id);
    } else {
      rows = this.statement(`${base} ORDER BY id DESC`).all() as OperationRow[];
    }
    return this.withWholeGroups(base, rows).map(toEntry);
  }

  /** The rows of the `count` newest groups (a row without a group is a group of its own). */
  private newestGroups(base: string, count: number): OperationRow[] {
    const rows: OperationRow[] = [];
    const groups = new Set<string>();
    for (const row of this.statement(
      `${base} ORDER BY id DESC`,
    ).iterate() as IterableIterator<OperationRow>) {
      const key = row.grp ?? `#${row.id}`;
      if (!groups.has(key)) {
        if (groups.size === count) break;
        groups.add(key);
      }
      rows.push(row);
    }
    return rows;
  }

  /**
   * Adds the other undoable rows of every group among `rows` (a sidecar filed after its
   * photo, in a later batch), newest first: a group is put back as one.
   */
  private withWholeGroups(base: string, rows: OperationRow[]): OperationRow[] {
    const groups = [...new Set(rows.flatMap((row) => (row.grp ? [row.grp] : [])))];
    if (groups.length === 0) return rows;
    const byId = new Map(rows.map((row) => [row.id, row]));
    const select = this.statement(`${base} AND grp = ?`);
    for (const group of groups) {
      for (const row of select.all(group) as OperationRow[]) byId.set(row.id, row);
    }
    return [...byId.values()].sort((a, b) => b.id - a.id);
  }

  /**
   * Finished moves (not undone) whose source path starts with `prefix`, ignoring ASCII case,
   * newest first: how a sidecar arriving late finds the file it belongs to.
   */
  movedFrom(prefix: string, limit = 20): JournalEntry[] {
    // SQLite's lower() folds ASCII only; so does this, so both sides agree. `+status` keeps
    // the planner off the status index, which nearly every row matches.
    const from = prefix.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
    const rows = this.statement(
      `SELECT * FROM operations
         WHERE lower(source) >= ? AND lower(source) < ? AND +status = 'done' AND op = 'move'
         ORDER BY id DESC LIMIT ?`,
    ).all(from, `${from}\u{10FFFF}`, limit) as OperationRow[];
    return rows.map(toEntry);
  }

  /**
   * Finished moves (not undone) of files carrying this Apple ContentIdentifier, newest
   * first: how a Live Photo's still and video find each other when their names differ.
   */
  movedWithContentId(contentId: string, limit = 20): JournalEntry[] {
    const rows = this.statement(
      `SELECT * FROM operations
         WHERE json_extract(details, '$.contentId') = ? AND +status = 'done' AND op = 'move'
         ORDER BY id DESC LIMIT ?`,
    ).all(contentId, limit) as OperationRow[];
    return rows.map(toEntry);
  }

  /**
   * Makes the rows of group `from` part of group `into`: a Live Photo's video filed on its
   * own, then brought over to its still, is put back with the still's group as one.
   */
  mergeGroup(from: string, into: string): void {
    this.withoutSync(() =>
      this.statement('UPDATE operations SET grp = ? WHERE grp = ?').run(into, from),
    );
  }

  /** The finished operations of a journal group that were not undone, oldest first. */
  doneInGroup(group: string): JournalEntry[] {
    const rows = this.statement(
      `SELECT * FROM operations WHERE grp = ? AND status = 'done' ORDER BY id`,
    ).all(group) as OperationRow[];
    return rows.map(toEntry);
  }

  /**
   * The undo that put a file at `path`, if nothing has moved it since: when it finished (a
   * file whose inode changed after that is a new copy, not the one undo put back), and the
   * size and hash (or `null`: unread, see `details.unread`) of what it put there.
   */
  restoredAt(
    path: string,
  ): { finishedAt: string; hash: string | null; size: number; entry: JournalEntry } | undefined {
    // Two indexed lookups, not one `target = ? OR source = ?`: with ORDER BY id SQLite
    // walks the whole table for the OR, which grows with every file ever filed.
    const row = this.statement(
      `SELECT * FROM (
         SELECT * FROM operations
           WHERE target = ? AND status IN ('done', 'undone') ORDER BY id DESC LIMIT 1)
       UNION ALL
       SELECT * FROM (
         SELECT * FROM operations
           WHERE source = ? AND status IN ('done', 'undone') ORDER BY id DESC LIMIT 1)
       ORDER BY id DESC LIMIT 1`,
    ).get(path, path) as OperationRow | undefined;
    if (row?.op !== 'undo' || row.target !== path || !row.finished_at) return undefined;
    return { finishedAt: row.finished_at, hash: row.hash, size: row.size, entry: toEntry(row) };
  }

  /**
   * Records that the file a finished `move` or `rewrite` put at `path` changed after it was
   * filed (a writer that had it open through the move kept writing): the newest such row
   * takes the new `hash` and `size`, and its details keep the old ones with `reason`, so
   * that undo checks, and puts back, the file's final bytes. Returns the row's id, or
   * `undefined` when no such row names `path`.
   */
  amendContent(path: string, hash: string, size: number, reason: string): number | undefined {
    const row = this.statement(
      `SELECT id, hash, size, details FROM operations
       WHERE target = ? AND status = 'done' AND op IN ('move', 'rewrite') ORDER BY id DESC LIMIT 1`,
    ).get(path) as Pick<OperationRow, 'id' | 'hash' | 'size' | 'details'> | undefined;
    if (!row) return undefined;
    if (row.hash === hash && row.size === size) return row.id;
    const details =
      row.details === null ? {} : (JSON.parse(row.details) as Record<string, unknown>);
    const earlier = Array.isArray(details.changedAfterFiling) ? details.changedAfterFiling : [];
    const change = { at: new Date().toISOString(), hash: row.hash, size: row.size, reason };
    details.changedAfterFiling = [...earlier, change];
    this.withoutSync(() =>
      this.statement(`UPDATE operations SET hash = ?, size = ?, details = ? WHERE id = ?`).run(
        hash,
        size,
        JSON.stringify(details),
        row.id,
      ),
    );
    return row.id;
  }

  /** Marks an operation `undone` by the `undo` row `undoId`. */
  markUndone(id: number, undoId: number): void {
    this.withoutSync(() =>
      this.statement(`UPDATE operations SET status = 'undone', undone_by = ? WHERE id = ?`).run(
        undoId,
        id,
      ),
    );
  }

  /**
   * Runs writes whose loss in a power cut recovery can make good (closing a row, the
   * library index) without waiting for the disk: in WAL mode they become durable with the
   * next synced commit, which is at the latest the next `begin`. Only `planned` rows must be
   * on disk before a file is touched; this halves the fsyncs per move. SQLite cannot change
   * this setting inside a transaction, so wrap the transaction, not the other way round.
   */
  withoutSync<T>(writes: () => T): T {
    // Prepared once: `db.pragma` compiles its statement anew at each call, twice a write.
    if (this.relaxed++ === 0) this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return writes();
    } finally {
      if (--this.relaxed === 0) this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * A new batch id: local time, sortable and readable, plus random hex so two batches in
   * the same second differ, e.g. `20241124-101500-3f2a`.
   */
  newBatchId(): string {
    const now = new Date();
    const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
    const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
    return `${date}-${time}-${randomBytes(2).toString('hex')}`;
  }

  /** Closes the database; the journal cannot be used afterwards. */
  close(): void {
    this.walSync?.close();
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, file: string): void {
  // A step may rebuild a table that rows refer to; SQLite checks no references meanwhile
  // only with foreign keys off, which cannot change inside a transaction.
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    upgradeSchema(db, file);
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
}

function upgradeSchema(db: Database.Database, file: string): void {
  // Read and upgrade in one write transaction: two processes opening a new journal at once
  // must not both see version 0 and both create the tables.
  const upgrade = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT version FROM schema_version').get() as
      { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new PhotosortdError(
        'JOURNAL_UNAVAILABLE',
        `The journal ${file} was written by a newer photosortd (schema ${current}, this one ` +
          `knows ${MIGRATIONS.length}). Upgrade photosortd, or point "state" at another folder.`,
      );
    }
    if (current === MIGRATIONS.length) return;
    for (let step = current; step < MIGRATIONS.length; step++) db.exec(MIGRATIONS[step] as string);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
  });
  upgrade.immediate();
}

function unavailableMessage(file: string, error: unknown): string {
  const code =
    error && typeof error === 'object' && 'code' in error ? String(error.code) : undefined;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return (
      `The journal ${file} is locked by another process (${errorMessage(error)}). ` +
      'Is another photosortd running with the same "state" folder? Stop it, or use another folder.'
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return (
      `The journal ${file} is damaged (${errorMessage(error)}); it was left untouched. ` +
      'Restore it from a backup, or move it aside to start a new history.'
    );
  }
  return (
    `Cannot open the journal ${file} (${errorMessage(error)}); it was left untouched. ` +
    'Check its permissions and the free space of its folder.'
  );
}

/** A file's size in bytes, 0 when it is absent (no WAL between checkpoints). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

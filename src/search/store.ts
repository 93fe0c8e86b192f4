import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { EmbeddingMatrix } from './matrix.js';
import { quantize } from './quantize.js';
import type { MediaFacts, SearchHit, SearchQuery } from './types.js';
import { STATE_NAMES } from '../lib/state-paths.js';

/** The index's database file inside the state folder, beside the journal. */
const SEARCH_INDEX_FILE = STATE_NAMES.search;

/**
 * Schema steps, applied in order (as the journal's are). Embeddings and facts are keyed by
 * content, so a file moved, renamed or filed twice is embedded once; `files` says which
 * library paths hold which content.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE embeddings (
     hash TEXT NOT NULL,
     model TEXT NOT NULL,
     scale REAL NOT NULL,
     codes BLOB NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (hash, model)
   ) WITHOUT ROWID;
   CREATE TABLE media (
     hash TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     taken_at TEXT,
     camera TEXT,
     place TEXT,
     tags TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE files (
     id INTEGER PRIMARY KEY,
     path TEXT NOT NULL UNIQUE,
     hash TEXT NOT NULL,
     size INTEGER NOT NULL,
     mtime_ms REAL
   );
   CREATE INDEX files_hash ON files (hash);
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
];

/** A library file as the index records it. */
export interface IndexedFile {
  id: number;
  path: string;
  hash: string;
  size: number;
  /** `null` when it came from the journal and has not been looked at on disk since. */
  mtimeMs: number | null;
}

interface MediaRow {
  kind: MediaFacts['kind'];
  taken_at: string | null;
  camera: string | null;
  place: string | null;
  tags: string;
}

const NO_FACTS: MediaFacts = { kind: 'photo', takenAt: null, camera: null, place: null, tags: [] };

function toFacts(row: MediaRow | undefined): MediaFacts {
  if (!row) return NO_FACTS;
  return {
    kind: row.kind,
    takenAt: row.taken_at,
    camera: row.camera,
    place: row.place === null ? null : (JSON.parse(row.place) as MediaFacts['place']),
    tags: JSON.parse(row.tags) as MediaFacts['tags'],
  };
}

/** Options of {@link SearchIndex.open}. */
export interface SearchIndexOptions {
  /** The model fingerprint embeddings are stored and searched under (`ModelFiles.id`). */
  model: string;
  /** The library root: relative folders in filters are below it. */
  library: string;
  /** Waits this long for another process's write to finish (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * The semantic search index in `<state>/search.sqlite`: int8 image embeddings by content
 * hash and model, what is known of each content (kind, date, camera, place, tags), and which
 * library paths hold it. Several processes may have it open (the daemon files, `index`
 * embeds, `search` reads); SQLite orders their writes. Queries run on an in-memory
 * {@link EmbeddingMatrix}, loaded on the first query and reloaded when another connection
 * has written since; this connection's own writes change it in place (so the daemon's API
 * reads the daemon's connection, see `SharedSearch`).
 */
export class SearchIndex {
  readonly file: string;
  readonly model: string;
  readonly library: string;
  private readonly db: Database.Database;
  private matrix: EmbeddingMatrix | null = null;
  private seenVersion = -1;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, file: string, options: SearchIndexOptions) {
    this.db = db;
    this.file = file;
    this.model = options.model;
    this.library = options.library;
  }

  /** Opens (creating when absent) the index in `stateDir`. */
  static open(stateDir: string, options: SearchIndexOptions): SearchIndex {
    const file = join(stateDir, SEARCH_INDEX_FILE);
    let db: Database.Database | undefined;
    try {
      mkdirSync(stateDir, { recursive: true });
      db = new Database(file, { timeout: options.busyTimeoutMs ?? 10_000 });
      db.pragma('journal_mode = WAL');
      // The index can be rebuilt from the library and the journal: a power cut may lose
      // its last writes, never make it lie about files (the journal sync runs again).
      db.pragma('synchronous = NORMAL');
      migrate(db);
      return new SearchIndex(db, file, options);
    } catch (error) {
      db?.close();
      throw new PhotosortdError(
        'SEARCH_INDEX_UNAVAILABLE',
        `Cannot open the search index ${file} (${errorMessage(error)}). Check that the state ` +
          'folder is writable; `photosortd index --rebuild` makes the index anew.',
        { cause: error },
      );
    }
  }

  /** Stores what is known of a content (kind, date, camera, place, tags). */
  putFacts(hash: string, facts: MediaFacts): void {
    this.statement(
      `INSERT INTO media (hash, kind, taken_at, camera, place, tags) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET kind = excluded.kind, taken_at = excluded.taken_at,
         camera = excluded.camera, place = excluded.place, tags = excluded.tags`,
    ).run(
      hash,
      facts.kind,
      facts.takenAt,
      facts.camera,
      facts.place ? JSON.stringify(facts.place) : null,
      JSON.stringify(facts.tags),
    );
    this.refreshContent(hash);
  }

  /** Stores a content's image embedding for the index's model, quantized to int8. */
  putEmbedding(hash: string, embedding: Float32Array): void {
    const { codes, scale } = quantize(embedding);
    this.statement(
      `INSERT INTO embeddings (hash, model, scale, codes, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hash, model) DO UPDATE SET scale = excluded.scale, codes = excluded.codes`,
    ).run(hash, this.model, scale, Buffer.from(codes.buffer), new Date().toISOString());
    this.refreshContent(hash);
  }

  /** Whether this content has an embedding for the index's model. */
  hasEmbedding(hash: string): boolean {
    return (
      this.statement('SELECT 1 FROM embeddings WHERE hash = ? AND model = ?').get(
        hash,
        this.model,
      ) !== undefined
    );
  }

  /** The kind recorded for a content (`video` for one that has facts but no embedding). */
  kindOf(hash: string): MediaFacts['kind'] | undefined {
    const row = this.statement('SELECT kind FROM media WHERE hash = ?').get(hash) as
      { kind: MediaFacts['kind'] } | undefined;
    return row?.kind;
  }

  /** When this content's embedding was stored (ISO 8601), or `null`. */
  embeddedAt(hash: string): string | null {
    const row = this.statement(
      'SELECT created_at FROM embeddings WHERE hash = ? AND model = ?',
    ).get(hash, this.model) as { created_at: string } | undefined;
    return row?.created_at ?? null;
  }

  /** The stored embedding of a content (dequantized), or `null`. */
  embedding(hash: string): Float32Array | null {
    const row = this.statement(
      'SELECT scale, codes FROM embeddings WHERE hash = ? AND model = ?',
    ).get(hash, this.model) as { scale: number; codes: Buffer } | undefined;
    if (!row) return null;
    return Float32Array.from(
      new Int8Array(row.codes.buffer, row.codes.byteOffset, row.codes.length),
      (c) => c * row.scale,
    );
  }

  /** Records that `path` holds `hash` (replacing what was recorded for the path). */
  setFile(path: string, hash: string, size: number, mtimeMs: number | null): void {
    const row = this.statement(
      `INSERT INTO files (path, hash, size, mtime_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, size = excluded.size, mtime_ms = excluded.mtime_ms
       RETURNING id`,
    ).get(path, hash, size, mtimeMs) as { id: number };
    this.refreshFile(row.id);
  }

  /** Forgets a library path (undone, moved away, deleted). */
  removeFile(path: string): void {
    const row = this.statement('DELETE FROM files WHERE path = ? RETURNING id').get(path) as
      { id: number } | undefined;
    if (row) this.matrix?.delete(row.id);
  }

  /** The recorded file at a path, if any. */
  fileAt(path: string): IndexedFile | undefined {
    const row = this.statement(
      'SELECT id, path, hash, size, mtime_ms FROM files WHERE path = ?',
    ).get(path) as (Omit<IndexedFile, 'mtimeMs'> & { mtime_ms: number | null }) | undefined;
    return (
      row && { id: row.id, path: row.path, hash: row.hash, size: row.size, mtimeMs: row.mtime_ms }
    );
  }

  /** The recorded file with this id, if any. */
  fileById(id: number): IndexedFile | undefined {
    const row = this.statement('SELECT path FROM files WHERE id = ?').get(id) as
      { path: string } | undefined;
    return row && this.fileAt(row.path);
  }

  /** Every recorded library path. */
  *files(): IterableIterator<IndexedFile> {
    for (const row of this.db
      .prepare('SELECT id, path, hash, size, mtime_ms FROM files ORDER BY id')
      .iterate() as IterableIterator<Omit<IndexedFile, 'mtimeMs'> & { mtime_ms: number | null }>) {
      yield { id: row.id, path: row.path, hash: row.hash, size: row.size, mtimeMs: row.mtime_ms };
    }
  }

  /** Counts for `index` and `doctor`: files recorded, and how many are searchable. */
  counts(): { files: number; searchable: number } {
    const files = (this.statement('SELECT count(*) AS n FROM files').get() as { n: number }).n;
    const searchable = (
      this.statement(
        'SELECT count(*) AS n FROM files f JOIN embeddings e ON e.hash = f.hash AND e.model = ?',
      ).get(this.model) as { n: number }
    ).n;
    return { files, searchable };
  }

  /** A setting the index keeps for itself (e.g. how far it has read the journal). */
  setting(key: string): string | undefined {
    return (
      this.statement('SELECT value FROM settings WHERE key = ?').get(key) as
        { value: string } | undefined
    )?.value;
  }

  setSetting(key: string, value: string): void {
    this.statement(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }

  /** Runs `writes` in one transaction (one commit for many files). */
  transaction<T>(writes: () => T): T {
    return this.db.transaction(writes)();
  }

  /** Forgets every file and embedding of every model (`index --rebuild`). */
  clear(): void {
    this.db.exec(
      'DELETE FROM files; DELETE FROM embeddings; DELETE FROM media; DELETE FROM settings;',
    );
    this.matrix = null;
  }

  /** The files that best match the query, with what is known of each. */
  query(query: SearchQuery): SearchHit[] {
    const matrix = this.loaded();
    if (matrix.size > 0 && query.vector.length !== matrix.dim) {
      throw new PhotosortdError(
        'SEARCH_MODEL_MISMATCH',
        `the query has ${query.vector.length} dimensions but the index's model ${this.model} has ${matrix.dim}`,
      );
    }
    return matrix.search(query, this.library).flatMap((hit) => {
      const file = this.fileById(hit.id);
      if (!file) return [];
      const facts = toFacts(
        this.statement('SELECT * FROM media WHERE hash = ?').get(file.hash) as MediaRow | undefined,
      );
      return [{ ...facts, id: file.id, path: file.path, hash: file.hash, score: hit.score }];
    });
  }

  /** Bytes the in-memory matrix holds (loading it when needed), for benchmarks and doctor. */
  memoryBytes(): number {
    return this.loaded().bytes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A prepared statement, compiled once: the tag stage and the journal sync repeat a few. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** The matrix, (re)loaded from disk when absent or when another process wrote since. */
  private loaded(): EmbeddingMatrix {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    if (this.matrix && version === this.seenVersion) return this.matrix;
    this.seenVersion = version;
    this.matrix = null;
    const { searchable } = this.counts();
    const rows = this.db
      .prepare(
        `SELECT f.id, f.path, e.scale, e.codes, m.kind, m.taken_at, m.camera, m.place, m.tags
           FROM files f JOIN embeddings e ON e.hash = f.hash AND e.model = ?
           LEFT JOIN media m ON m.hash = f.hash`,
      )
      .iterate(this.model) as IterableIterator<MatrixRow>;
    for (const row of rows) this.addRow(row, searchable);
    this.matrix ??= new EmbeddingMatrix(0);
    return this.matrix;
  }

  private addRow(row: MatrixRow, expected = 0): void {
    const codes = new Int8Array(row.codes.buffer, row.codes.byteOffset, row.codes.length);
    if (!this.matrix || this.matrix.dim === 0) {
      this.matrix = new EmbeddingMatrix(codes.length);
      this.matrix.reserve(expected);
    }
    this.matrix.set({
      id: row.id,
      path: row.path,
      vector: { codes, scale: row.scale },
      facts: toFacts(row.kind === null ? undefined : (row as MediaRow)),
    });
  }

  /**
   * Keeps a loaded matrix in step after this connection changed a content's rows. The data
   * version is left as it was: it moves only with other connections' commits, which a later
   * query must still load.
   */
  private refreshContent(hash: string): void {
    if (!this.matrix) return;
    for (const row of this.matrixRows('f.hash = ?', hash)) this.addRow(row);
  }

  private refreshFile(id: number): void {
    if (!this.matrix) return;
    this.matrix.delete(id);
    for (const row of this.matrixRows('f.id = ?', id)) this.addRow(row);
  }

  private matrixRows(where: string, value: unknown): MatrixRow[] {
    return this.db
      .prepare(
        `SELECT f.id, f.path, e.scale, e.codes, m.kind, m.taken_at, m.camera, m.place, m.tags
           FROM files f JOIN embeddings e ON e.hash = f.hash AND e.model = ?
           LEFT JOIN media m ON m.hash = f.hash WHERE ${where}`,
      )
      .all(this.model, value) as MatrixRow[];
  }
}

interface MatrixRow {
  id: number;
  path: string;
  scale: number;
  codes: Buffer;
  kind: MediaFacts['kind'] | null;
  taken_at: string | null;
  camera: string | null;
  place: string | null;
  tags: string | null;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as
    { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`it was written by a newer photosortd (schema ${current}); upgrade photosortd`);
  }
  if (current === MIGRATIONS.length) return;
  db.transaction(() => {
    for (let step = current; step < MIGRATIONS.length; step++) db.exec(MIGRATIONS[step]!);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
  })();
}

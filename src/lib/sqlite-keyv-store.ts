import Database from 'better-sqlite3';

/** Options of {@link SqliteKeyvStore}. */
export interface SqliteKeyvStoreOptions {
  /** How long a write waits for another process's lock (a scan beside the daemon). */
  busyTimeoutMs?: number;
}

const DEFAULTS = Object.freeze({
  // The daemon and a scan may write the same cache at once; a few seconds covers a burst.
  busyTimeoutMs: 10_000,
});

/**
 * A keyv store on better-sqlite3 — the SQLite binding the journal already uses — so that
 * photosortd installs one native SQLite module, not a second one (`sqlite3`, which
 * @keyv/sqlite needs and which compiles from source where no prebuilt binary fits). It keeps
 * @keyv/sqlite's layout, one `keyv(key, value)` table with namespaced keys, so caches written
 * before are read on. Values are what keyv hands over: serialized strings.
 */
export class SqliteKeyvStore {
  /** Set by keyv: keys arrive as `namespace:key`, and `clear` empties this namespace only. */
  namespace?: string;
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { value: string | null }>;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly removeLike: Database.Statement<[string]>;

  constructor(file: string, options: SqliteKeyvStoreOptions = {}) {
    this.db = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs });
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT)');
    this.select = this.db.prepare('SELECT value FROM keyv WHERE key = ?');
    this.upsert = this.db.prepare(
      'INSERT INTO keyv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.remove = this.db.prepare('DELETE FROM keyv WHERE key = ?');
    this.removeLike = this.db.prepare("DELETE FROM keyv WHERE key LIKE ? ESCAPE '\\'");
  }

  /** The stored (serialized) value, or `undefined`. */
  async get(key: string): Promise<string | undefined> {
    return this.select.get(key)?.value ?? undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.upsert.run(key, typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Whether there was something to delete. */
  async delete(key: string): Promise<boolean> {
    return this.remove.run(key).changes > 0;
  }

  /** Empties the namespace (everything when there is none). */
  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace.replace(/[\\%_]/g, '\\$&')}:` : '';
    this.removeLike.run(`${prefix}%`);
  }

  async disconnect(): Promise<void> {
    this.db.close();
  }
}

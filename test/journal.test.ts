import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  appendFile,
  mkdtemp,
  mkdir,
  readFile,
  readdir,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JOURNAL_FILE, MIGRATIONS, type NewOperation } from '../src/journal/journal.js';
import { moveFile } from '../src/journal/journaled-move.js';
import { LibraryIndex } from '../src/journal/library-index.js';
import { undo } from '../src/journal/undo.js';
import { recordFiledContent } from '../src/pipeline/changed-after-filing.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'psd-journal-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function open(state: string): Journal {
  const journal = Journal.open(state);
  cleanup.push(() => journal.close());
  return journal;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function op(overrides: Partial<NewOperation> = {}): NewOperation {
  return {
    batch: 'b1',
    op: 'move',
    source: '/inbox/a.jpg',
    target: '/library/2024/a.jpg',
    hash: sha256('a'),
    size: 1,
    action: 'move',
    rule: 'default',
    ...overrides,
  };
}

describe('Journal', () => {
  it('creates the state folder and a WAL database with FULL sync', async () => {
    const state = join(await tempDir(), 'nested', '.photosortd');
    const journal = open(state);
    expect(await readdir(state)).toContain(JOURNAL_FILE);
    expect(journal.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('records a move from planned to done, with the final target and details', async () => {
    const journal = open(await tempDir());
    const details = {
      takenAt: '2024-06-12T18:30:00+01:00',
      tags: [{ label: 'beach', score: 0.3 }],
    };
    const id = journal.begin(op({ details, group: 'g1' }));

    expect(journal.planned().map((e) => [e.id, e.status])).toEqual([[id, 'planned']]);
    journal.finish(id, '/library/2024/a (1).jpg');

    const [entry] = journal.recent(10);
    expect(entry).toMatchObject({
      id,
      batch: 'b1',
      op: 'move',
      status: 'done',
      source: '/inbox/a.jpg',
      target: '/library/2024/a (1).jpg',
      hash: sha256('a'),
      size: 1,
      action: 'move',
      rule: 'default',
      undoes: null,
      group: 'g1',
      error: null,
      details,
    });
    expect(Date.parse(entry?.createdAt ?? '')).not.toBeNaN();
    expect(Date.parse(entry?.finishedAt ?? '')).not.toBeNaN();
    expect(journal.planned()).toEqual([]);
  });

  it('writes planned rows asked for together in one go, and a row it refuses fails alone', async () => {
    const journal = open(await tempDir());
    const sources = Array.from({ length: 20 }, (_, i) => `/inbox/IMG_${i}.jpg`);
    // Row 7 undoes a row that does not exist: the foreign key refuses it.
    const begun = await Promise.allSettled(
      sources.map((source, i) =>
        journal.beginDurably(op({ source, ...(i === 7 ? { undoes: 999_999 } : {}) })),
      ),
    );
    expect(begun[7]).toMatchObject({ status: 'rejected' });
    const ids = begun.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(new Set(ids).size).toBe(19);
    const rows = ids.map((id) => journal.get(id));
    expect(rows.map((row) => row?.status)).toEqual(Array(19).fill('planned'));
    expect(rows.map((row) => row?.source)).toEqual(sources.filter((_, i) => i !== 7));
    // Written, and synced: a second connection sees every one of them.
    const other = new Database(journal.file, { readonly: true });
    cleanup.push(() => void other.close());
    expect(
      other.prepare("SELECT count(*) AS n FROM operations WHERE status = 'planned'").get(),
    ).toEqual({
      n: 19,
    });
    expect(journal.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('keeps the planned target when finish gets none, and records failures', async () => {
    const journal = open(await tempDir());
    const kept = journal.begin(op());
    const broken = journal.begin(op({ source: '/inbox/b.jpg' }));
    journal.finish(kept);
    journal.fail(broken, 'Not enough space in /library/2024');

    expect(journal.get(kept)).toMatchObject({ status: 'done', target: '/library/2024/a.jpg' });
    expect(journal.get(broken)).toMatchObject({
      status: 'failed',
      error: 'Not enough space in /library/2024',
    });
  });

  it('finds the moves of a Live Photo by ContentIdentifier, through an index, not the undone ones', async () => {
    const journal = open(await tempDir());
    const still = journal.begin(op({ details: { contentId: 'ID-1' } }));
    const video = journal.begin(op({ source: '/inbox/b.mov', details: { contentId: 'ID-1' } }));
    const other = journal.begin(op({ source: '/inbox/c.jpg', details: { contentId: 'ID-2' } }));
    for (const id of [still, video, other]) journal.finish(id);
    journal.markUndone(still, other);

    expect(journal.movedWithContentId('ID-1').map((e) => e.id)).toEqual([video]);
    expect(journal.movedWithContentId('ID-3')).toEqual([]);
    const plan = journal.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM operations
           WHERE json_extract(details, '$.contentId') = ? AND +status = 'done' AND op = 'move'`,
      )
      .all('ID-1') as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toContain('operations_content_id');
  });

  it('finds moves by the start of their source path, ignoring ASCII case, through an index', async () => {
    const journal = open(await tempDir());
    const ids = [
      '/inbox/IMG_1.JPG',
      '/inbox/img_1.xmp',
      '/inbox/IMG_10.jpg',
      '/inbox/100%_a.jpg',
    ].map((source) => journal.begin(op({ source })));
    for (const id of ids) journal.finish(id);
    const sources = (prefix: string) => journal.movedFrom(prefix).map((e) => e.source);
    expect(sources('/inbox/img_1')).toEqual([
      '/inbox/IMG_10.jpg',
      '/inbox/img_1.xmp',
      '/inbox/IMG_1.JPG',
    ]);
    expect(sources('/INBOX/IMG_1.')).toEqual(['/inbox/img_1.xmp', '/inbox/IMG_1.JPG']);
    // `%` and `_` are characters of a name, not patterns.
    expect(sources('/inbox/100%')).toEqual(['/inbox/100%_a.jpg']);
    expect(sources('/inbox/1_0')).toEqual([]);
    const plan = journal.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM operations
           WHERE lower(source) >= ? AND lower(source) < ? AND +status = 'done' AND op = 'move'`,
      )
      .all('a', 'b') as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toContain('operations_source_lower');
  });

  it('lists recent rows newest first, and survives closing and reopening', async () => {
    const state = await tempDir();
    const first = Journal.open(state);
    const ids = [1, 2, 3].map((n) => first.begin(op({ source: `/inbox/${n}.jpg` })));
    first.close();

    const journal = open(state);
    expect(journal.recent(2).map((e) => e.id)).toEqual([ids[2], ids[1]]);
    expect(journal.recent(10)).toHaveLength(3);
  });

  it('selects what to undo: last N, a batch, or all done moves and deletes, newest first', async () => {
    const journal = open(await tempDir());
    const done = (o: Partial<NewOperation>): number => {
      const id = journal.begin(op(o));
      journal.finish(id);
      return id;
    };
    const a = done({ batch: 'b1', source: '/inbox/a.jpg' });
    const b = done({ batch: 'b1', source: '/inbox/b.jpg', op: 'delete' });
    const failed = journal.begin(op({ batch: 'b2', source: '/inbox/c.jpg' }));
    journal.fail(failed, 'TARGET_EXISTS');
    const d = done({ batch: 'b2', source: '/inbox/d.jpg' });
    const u = done({ batch: 'b3', op: 'undo', undoes: a });

    expect(journal.forUndo({ last: 2 }).map((e) => e.id)).toEqual([d, b]);
    expect(journal.forUndo({ batch: 'b1' }).map((e) => e.id)).toEqual([b, a]);
    expect(journal.forUndo({ all: true }).map((e) => e.id)).toEqual([d, b, a]);

    journal.markUndone(d, u);
    expect(journal.get(d)?.status).toBe('undone');
    expect(journal.forUndo({ last: 2 }).map((e) => e.id)).toEqual([b, a]);
  });

  it('makes sortable, readable batch ids that differ', async () => {
    const journal = open(await tempDir());
    const ids = Array.from({ length: 20 }, () => journal.newBatchId());
    for (const id of ids) expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(new Set(ids).size).toBeGreaterThan(1);
  });

  it('refuses a corrupt journal with JOURNAL_UNAVAILABLE and leaves its bytes as they were', async () => {
    const state = await tempDir();
    const file = join(state, JOURNAL_FILE);
    const garbage = Buffer.from(
      'this is not an SQLite database, but it is somebody’s history\n'.repeat(100),
    );
    await writeFile(file, garbage);

    expect(() => Journal.open(state)).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_UNAVAILABLE',
        message: expect.stringMatching(new RegExp(`${file}.*damaged.*left untouched`)),
      }),
    );
    expect(await readFile(file)).toEqual(garbage);
    expect(await readdir(state)).toEqual([JOURNAL_FILE]);
  });

  it('refuses a journal another process holds locked, naming the file', async () => {
    const state = await tempDir();
    open(state).close();
    const holder = new Database(join(state, JOURNAL_FILE));
    cleanup.push(() => {
      holder.close();
    });
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');

    expect(() => Journal.open(state, { busyTimeoutMs: 100 })).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_UNAVAILABLE',
        message: expect.stringContaining(
          `${join(state, JOURNAL_FILE)} is locked by another process`,
        ),
      }),
    );
  });

  it('upgrades a journal of schema 5 in place, keeping its rows and the links between them', async () => {
    const state = await tempDir();
    await mkdir(state, { recursive: true });
    const db = new Database(join(state, JOURNAL_FILE));
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const step of MIGRATIONS.slice(0, 5)) db.exec(step);
    db.prepare('INSERT INTO schema_version (version) VALUES (5)').run();
    const row = db.prepare(
      `INSERT INTO operations (batch, op, status, source, target, hash, size, undoes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2024-01-01T00:00:00.000Z')`,
    );
    row.run('b1', 'move', 'undone', '/in/a.jpg', '/lib/a.jpg', sha256('a'), 1, null);
    row.run('b2', 'undo', 'done', '/lib/a.jpg', '/in/a.jpg', sha256('a'), 1, 1);
    db.prepare('UPDATE operations SET undone_by = 2 WHERE id = 1').run();
    db.prepare('INSERT INTO library_files VALUES (?, ?, ?, ?)').run(
      '/lib/b.jpg',
      1,
      5,
      sha256('b'),
    );
    db.close();

    const journal = open(state);

    expect(journal.get(1)).toMatchObject({ op: 'move', status: 'undone', hash: sha256('a') });
    expect(journal.get(2)).toMatchObject({ op: 'undo', undoes: 1 });
    expect(journal.db.pragma('foreign_key_check')).toEqual([]);
    expect(journal.db.pragma('foreign_keys', { simple: true })).toBe(1);
    // What schema 6 is for: a row of a file moved unread, by hard link.
    const unread = journal.begin(op({ hash: null }));
    expect(journal.get(unread)?.hash).toBeNull();
    expect(journal.db.prepare('SELECT hash FROM library_files').all()).toEqual([
      { hash: sha256('b') },
    ]);
  });

  it('refuses a journal from a newer photosortd rather than rewriting it', async () => {
    const state = await tempDir();
    open(state).close();
    const db = new Database(join(state, JOURNAL_FILE));
    db.prepare('UPDATE schema_version SET version = 99').run();
    db.close();

    expect(() => Journal.open(state)).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_UNAVAILABLE',
        message: expect.stringContaining('newer'),
      }),
    );
  });
});

describe('LibraryIndex', () => {
  /** Where the index finds `text`, once the library files of its size have been hashed. */
  async function findContent(index: LibraryIndex, text: string): Promise<string | undefined> {
    await index.hashCandidates(Buffer.byteLength(text));
    return index.find(sha256(text));
  }

  async function library(): Promise<{ state: string; root: string }> {
    const base = await tempDir();
    const root = join(base, 'library');
    await mkdir(join(root, '2024', 'Lisbon'), { recursive: true });
    await writeFile(join(root, '2024', 'Lisbon', 'a.jpg'), 'aaa');
    await writeFile(join(root, '2024', 'b.jpg'), 'bbb');
    await writeFile(join(root, '.hidden.jpg'), 'hidden');
    await mkdir(join(root, '.trash'));
    await writeFile(join(root, '.trash', 'c.jpg'), 'ccc');
    await mkdir(join(root, 'Duplicates'));
    await writeFile(join(root, 'Duplicates', 'd.jpg'), 'ddd');
    await symlink(join(root, '2024', 'b.jpg'), join(root, 'link.jpg'));
    return { state: join(base, 'state'), root };
  }

  it('finds library files by content, passing by dotfiles, symlinks and ignored folders', async () => {
    const { state, root } = await library();
    const journal = open(state);
    const index = await LibraryIndex.build(journal, root, {
      ignore: (path) => path === join(root, 'Duplicates'),
    });

    expect(index.holdsSize(3)).toBe(true);
    expect(index.holdsSize(6)).toBe(false);
    expect(await findContent(index, 'aaa')).toBe(join(root, '2024', 'Lisbon', 'a.jpg'));
    expect(await findContent(index, 'bbb')).toBe(join(root, '2024', 'b.jpg'));
    expect(await findContent(index, 'hidden')).toBeUndefined();
    expect(await findContent(index, 'ccc')).toBeUndefined();
    expect(await findContent(index, 'ddd')).toBeUndefined();
    expect(index.count()).toBe(2);
  });

  it('reads no file until one of its size arrives', async () => {
    const { state, root } = await library();
    const a = join(root, '2024', 'Lisbon', 'a.jpg');
    const when = new Date('2024-01-01T00:00:00Z');
    await utimes(a, when, when);
    const index = await LibraryIndex.build(open(state), root);
    // New bytes under the size and mtime the build saw: had it read 'aaa', it would keep
    // that hash for the unchanged-looking file.
    await writeFile(a, 'xyz');
    await utimes(a, when, when);

    expect(await findContent(index, 'aaa')).toBeUndefined();
    expect(await findContent(index, 'xyz')).toBe(a);
  });

  it('after a restart rehashes only changed files and forgets deleted ones', async () => {
    const { state, root } = await library();
    const first = Journal.open(state);
    await LibraryIndex.build(first, root);
    first.close();

    // Same size and mtime as indexed, different bytes: proves the stored hash is reused.
    const a = join(root, '2024', 'Lisbon', 'a.jpg');
    const when = new Date('2024-01-01T00:00:00Z');
    await utimes(a, when, when);
    const again = Journal.open(state);
    await (await LibraryIndex.build(again, root)).hashCandidates(3);
    again.close();
    await writeFile(a, 'AAA');
    await utimes(a, when, when);
    const b = join(root, '2024', 'b.jpg');
    await writeFile(b, 'bbbb');
    await unlink(join(root, 'Duplicates', 'd.jpg'));

    const journal = open(state);
    const index = await LibraryIndex.build(journal, root);
    expect(await findContent(index, 'aaa')).toBe(a);
    expect(await findContent(index, 'bbbb')).toBe(b);
    expect(await findContent(index, 'bbb')).toBeUndefined();
    expect(await findContent(index, 'ddd')).toBeUndefined();
  });

  it('keeps up with add and remove, and drops rows whose file is gone', async () => {
    const { state, root } = await library();
    const journal = open(state);
    const index = await LibraryIndex.build(journal, root);
    const e = join(root, 'e.jpg');
    await writeFile(e, 'eee');
    index.add(e, sha256('eee'), 3, Date.now());
    expect(index.find(sha256('eee'))).toBe(e);
    index.remove(e);
    expect(index.find(sha256('eee'))).toBeUndefined();

    await unlink(join(root, '2024', 'b.jpg'));
    expect(index.find(sha256('bbb'))).toBeUndefined();
  });

  it('treats a library folder that does not exist yet as empty', async () => {
    const base = await tempDir();
    const journal = open(join(base, 'state'));
    const index = await LibraryIndex.build(journal, join(base, 'missing'));
    expect(index.count()).toBe(0);
  });

  it('indexes a library of thousands of files in nested folders', async () => {
    const base = await tempDir();
    const root = join(base, 'library');
    const files = 3000;
    for (let folder = 0; folder < 30; folder++) {
      await mkdir(join(root, String(folder)), { recursive: true });
      await Promise.all(
        Array.from({ length: files / 30 }, (_, i) =>
          writeFile(join(root, String(folder), `${i}.jpg`), `${folder}/${i}`),
        ),
      );
    }
    const journal = open(join(base, 'state'));
    const index = await LibraryIndex.build(journal, root);
    expect(index.count()).toBe(files);
    expect(await findContent(index, '29/99')).toBe(join(root, '29', '99.jpg'));
  });
});

describe('a filed file that changed after filing', () => {
  it('takes its final bytes into the move row and the index, so undo puts those back', async () => {
    const base = await tempDir();
    const inbox = join(base, 'inbox');
    const root = join(base, 'library');
    await mkdir(inbox, { recursive: true });
    await mkdir(root, { recursive: true });
    const journal = open(join(base, 'state'));
    const index = await LibraryIndex.build(journal, root);
    const source = join(inbox, 'a.jpg');
    await writeFile(source, 'first half');
    const moved = await moveFile(journal, {
      batch: journal.newBatchId(),
      op: 'move',
      from: source,
      to: join(root, 'a.jpg'),
      hash: sha256('first half'),
      size: 'first half'.length,
      onExists: 'fail',
    });
    // A writer that held the inode through the rename writes the rest into the library copy.
    await appendFile(moved.target, ', and the rest');
    const final = 'first half, and the rest';

    const recorded = await recordFiledContent(journal, index, moved.target, 'kept writing');
    expect(recorded).toMatchObject({ hash: sha256(final), size: final.length });
    expect(journal.get(moved.id)).toMatchObject({ hash: sha256(final), size: final.length });
    expect(journal.get(moved.id)?.details?.changedAfterFiling).toMatchObject([
      { hash: sha256('first half'), size: 'first half'.length, reason: 'kept writing' },
    ]);
    expect(index.find(sha256(final))).toBe(moved.target);
    expect(index.find(sha256('first half'))).toBeUndefined();

    const undone = await undo(journal, { last: 1 }, { index });
    expect(undone.refused).toEqual([]);
    expect(await readFile(source, 'utf8')).toBe(final);
  });
});

import { createHash } from 'node:crypto';
import {
  copyFile,
  link,
  mkdir,
  readFile,
  readdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recover } from '../src/journal/recover.js';
import { tempPrefix } from '../src/lib/safe-move.js';
import { journalWorld, type JournalWorld as World } from './support/journal-world.js';

/**
 * Each test builds, with real files, the state a crash at one point of a move leaves behind
 * (the journal row still `planned`), then checks what recovery makes of it.
 */

async function world(libraryBase?: string): Promise<World> {
  const w = await journalWorld('psd-recover', libraryBase);
  await mkdir(join(w.library, '2024'));
  return w;
}

const CONTENT = 'the only photo of that day';
const HASH = createHash('sha256').update(CONTENT).digest('hex');

/** An inbox file and its `planned` row, as written just before the move began. */
async function planned(w: World, op: 'move' | 'undo' = 'move', undoes: number | null = null) {
  const source = join(w.inbox, 'IMG_1.jpg');
  const target = join(w.library, '2024', 'IMG_1.jpg');
  await writeFile(source, CONTENT);
  const id = w.journal.begin({
    batch: 'b1',
    op,
    source,
    target,
    hash: HASH,
    size: CONTENT.length,
    action: 'move',
    rule: 'default',
    undoes,
  });
  return { id, source, target, temp: join(dirname(target), `${tempPrefix(target)}1a2b3c4d.tmp`) };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('recover', () => {
  it('rolls back a move that had not started: source kept, row failed', async () => {
    const w = await world();
    const { id, source } = await planned(w);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ total: 1, rolledBack: 1, completed: 0 });
    expect(await readFile(source, 'utf8')).toBe(CONTENT);
    expect(await readdir(join(w.library, '2024'))).toEqual([]);
    expect(w.journal.get(id)?.status).toBe('failed');
    expect(w.journal.planned()).toEqual([]);
  });

  it('removes a partial cross-device copy and keeps the source', async () => {
    const w = await world('/dev/shm');
    const { id, source, temp } = await planned(w);
    await writeFile(temp, CONTENT.slice(0, 5));

    const report = await recover(w.journal);

    expect(report).toMatchObject({ rolledBack: 1, tempFilesRemoved: 1 });
    expect(await exists(temp)).toBe(false);
    expect(await readFile(source, 'utf8')).toBe(CONTENT);
    expect(w.journal.get(id)?.status).toBe('failed');
  });

  it('finishes a same-filesystem move cut between link and unlink', async () => {
    const w = await world();
    const { id, source, target } = await planned(w);
    await link(source, target);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1, rolledBack: 0 });
    expect(await exists(source)).toBe(false);
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
    expect(w.journal.get(id)).toMatchObject({ status: 'done', target });
  });

  it('finishes a cross-device move cut after the link into place', async () => {
    const w = await world('/dev/shm');
    const { id, source, target, temp } = await planned(w);
    await copyFile(source, temp);
    await link(temp, target);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1, tempFilesRemoved: 1 });
    expect(await exists(source)).toBe(false);
    expect(await exists(temp)).toBe(false);
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
    expect(w.journal.get(id)?.status).toBe('done');
  });

  it('marks done a move whose source was already unlinked', async () => {
    const w = await world('/dev/shm');
    const { id, source, target } = await planned(w);
    await copyFile(source, target);
    await unlink(source);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1 });
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
    expect(w.journal.get(id)?.status).toBe('done');
  });

  it('finds the file under its collision suffix and records that target', async () => {
    const w = await world();
    const { id, source, target } = await planned(w);
    await writeFile(target, 'somebody else’s photo');
    const numbered = join(w.library, '2024', 'IMG_1 (1).jpg');
    await link(source, numbered);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1 });
    expect(await exists(source)).toBe(false);
    expect(await readFile(numbered, 'utf8')).toBe(CONTENT);
    expect(await readFile(target, 'utf8')).toBe('somebody else’s photo');
    expect(w.journal.get(id)).toMatchObject({ status: 'done', target: numbered });
  });

  it('puts a verified copy in place when it has become the only copy', async () => {
    const w = await world('/dev/shm');
    const { id, source, target, temp } = await planned(w);
    await copyFile(source, temp);
    await unlink(source);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1 });
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
    expect(await readdir(join(w.library, '2024'))).toEqual(['IMG_1.jpg']);
    expect(w.journal.get(id)?.status).toBe('done');
  });

  it('keeps a source whose content changed after the copy was placed', async () => {
    const w = await world('/dev/shm');
    const { id, source, target } = await planned(w);
    await copyFile(source, target);
    await writeFile(source, 'edited meanwhile');

    const report = await recover(w.journal);

    expect(report).toMatchObject({ completed: 1, keptSource: 1 });
    expect(await readFile(source, 'utf8')).toBe('edited meanwhile');
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
    expect(w.journal.get(id)?.status).toBe('done');
  });

  it('touches nothing when both ends are gone, and says so', async () => {
    const w = await world();
    const { id, source } = await planned(w);
    await unlink(source);

    const report = await recover(w.journal);

    expect(report).toMatchObject({ missing: 1, completed: 0, rolledBack: 0 });
    expect(w.journal.get(id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('neither'),
    });
  });

  it('completing an interrupted undo marks the row it reversed as undone', async () => {
    const w = await world();
    const original = w.journal.begin({
      batch: 'b0',
      op: 'move',
      source: join(w.inbox, 'IMG_1.jpg'),
      target: join(w.library, '2024', 'IMG_1.jpg'),
      hash: HASH,
      size: CONTENT.length,
    });
    w.journal.finish(original);
    const { source, target } = await planned(w, 'undo', original);
    await link(source, target);
    await unlink(source);

    await recover(w.journal);

    expect(w.journal.get(original)?.status).toBe('undone');
    expect(await readFile(target, 'utf8')).toBe(CONTENT);
  });

  describe('of a file filed unread (no hash: its row records its inode)', () => {
    /** The planned row moveFile writes for a file it links without reading. */
    async function plannedUnread(w: World) {
      const source = join(w.inbox, 'IMG_2.jpg');
      const target = join(w.library, '2024', 'IMG_2.jpg');
      await writeFile(source, CONTENT);
      const info = await stat(source, { bigint: true });
      const unread = {
        dev: String(info.dev),
        ino: String(info.ino),
        mtimeNs: String(info.mtimeNs),
      };
      const id = w.journal.begin({
        batch: 'b1',
        op: 'move',
        source,
        target,
        hash: null,
        size: CONTENT.length,
        details: { unread },
      });
      return { id, source, target };
    }

    it('finishes a link cut before the source was unlinked', async () => {
      const w = await world();
      const { id, source, target } = await plannedUnread(w);
      await link(source, target);

      const report = await recover(w.journal);

      expect(report).toMatchObject({ completed: 1, keptSource: 0 });
      expect(await exists(source)).toBe(false);
      expect(await readFile(target, 'utf8')).toBe(CONTENT);
      expect(w.journal.get(id)?.status).toBe('done');
    });

    it('finds the linked file by its inode once the source name is gone', async () => {
      const w = await world();
      const { id, source, target } = await plannedUnread(w);
      await link(source, target);
      await unlink(source);

      const report = await recover(w.journal);

      expect(report).toMatchObject({ completed: 1, missing: 0 });
      expect(await readFile(target, 'utf8')).toBe(CONTENT);
      expect(w.journal.get(id)?.status).toBe('done');
    });

    it('keeps both when another file with the same bytes sits at the target', async () => {
      const w = await world();
      const { id, source, target } = await plannedUnread(w);
      // Not the inode the row recorded, and no hash to compare: neither name may go.
      await copyFile(source, target);

      const report = await recover(w.journal);

      expect(report).toMatchObject({ rolledBack: 1 });
      expect(await readFile(source, 'utf8')).toBe(CONTENT);
      expect(await readFile(target, 'utf8')).toBe(CONTENT);
      expect(w.journal.get(id)?.status).toBe('failed');
    });
  });
});

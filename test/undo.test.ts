import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { undo } from '../src/journal/undo.js';
import { createMoveStage } from '../src/pipeline/move.js';
import type { FileJob, Plan } from '../src/pipeline/job.js';
import { journalWorld, type JournalWorld } from './support/journal-world.js';

/** The journal's world plus the batch the next move joins (tests switch it). */
type World = JournalWorld & { batch: string };

async function world(): Promise<World> {
  const w = await journalWorld('psd-undo');
  await mkdir(join(w.inbox, 'phone'));
  return { ...w, batch: 'b1' };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Drops `name` into the inbox and files it to `to` (relative to the library) through the move stage. */
async function file(w: World, name: string, content: string, plan: Partial<Plan> & { to: string }) {
  const source = join(w.inbox, name);
  await mkdir(dirname(source), { recursive: true });
  await writeFile(source, content);
  const info = await stat(source);
  const job: FileJob = {
    source,
    root: w.inbox,
    size: info.size,
    mtimeMs: info.mtimeMs,
    hash: sha256(content),
    plan: {
      action: plan.action ?? 'move',
      rule: 'default',
      target: join(w.library, plan.to),
      ...(plan.duplicateOf ? { duplicateOf: plan.duplicateOf } : {}),
    },
  };
  const out = await createMoveStage({
    journal: w.journal,
    index: w.index,
    batch: () => w.batch,
    onCollision: 'suffix',
    duplicates: 'delete',
    trashDir: w.trash,
    dryRun: false,
  })(job);
  expect(out.error ?? null).toBeNull();
  return { source, target: out.plan?.target as string };
}

/** Every file under `dir` with its content, as `relative path → text`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = await readFile(path, 'utf8');
  }
  return out;
}

describe('undo', () => {
  it('--last N puts the newest N files back byte for byte and removes emptied folders', async () => {
    const w = await world();
    await file(w, 'phone/a.jpg', 'A', { to: '2023/2023-01-01/a.jpg' });
    await file(w, 'phone/b.jpg', 'B', { to: '2024/2024-06-12 Lisbon/b.jpg' });
    await file(w, 'c.jpg', 'C', { to: '2024/2024-06-13/c.jpg' });

    const result = await undo(w.journal, { last: 2 }, { index: w.index });

    expect(result.refused).toEqual([]);
    expect(result.undone.map((i) => relative(w.inbox, i.to))).toEqual(['c.jpg', 'phone/b.jpg']);
    expect(await tree(w.inbox)).toEqual({ 'c.jpg': 'C', 'phone/b.jpg': 'B' });
    expect(await tree(w.library)).toEqual({ '2023/2023-01-01/a.jpg': 'A' });
    expect(await readdir(w.library)).toEqual(['2023']);
    expect(w.index.find(sha256('B'))).toBeUndefined();
    expect(w.index.find(sha256('A'))).toBe(join(w.library, '2023/2023-01-01/a.jpg'));

    const rows = w.journal.recent(10);
    expect(rows.filter((r) => r.op === 'undo')).toEqual([
      expect.objectContaining({ batch: result.batch, status: 'done', undoes: rows[3]?.id }),
      expect.objectContaining({ batch: result.batch, status: 'done', undoes: rows[2]?.id }),
    ]);
    expect(rows.filter((r) => r.op === 'move').map((r) => r.status)).toEqual([
      'undone',
      'undone',
      'done',
    ]);
  });

  it('repeating --last 1 walks back through history, and the library root stays', async () => {
    const w = await world();
    await file(w, 'a.jpg', 'A', { to: '2023/a.jpg' });
    await file(w, 'b.jpg', 'B', { to: '2024/b.jpg' });

    await undo(w.journal, { last: 1 }, { index: w.index });
    await undo(w.journal, { last: 1 }, { index: w.index });
    const third = await undo(w.journal, { last: 1 }, { index: w.index });

    expect(third.undone).toEqual([]);
    expect(await tree(w.inbox)).toEqual({ 'a.jpg': 'A', 'b.jpg': 'B' });
    expect(await readdir(w.library)).toEqual([]);
  });

  it('--batch undoes exactly one batch', async () => {
    const w = await world();
    await file(w, 'a.jpg', 'A', { to: '2023/a.jpg' });
    w.batch = 'b2';
    await file(w, 'b.jpg', 'B', { to: '2024/b.jpg' });
    await file(w, 'c.jpg', 'C', { to: '2024/c.jpg' });
    w.batch = 'b3';
    await file(w, 'd.jpg', 'D', { to: '2025/d.jpg' });

    const result = await undo(w.journal, { batch: 'b2' }, { index: w.index });

    expect(result.undone).toHaveLength(2);
    expect(await tree(w.inbox)).toEqual({ 'b.jpg': 'B', 'c.jpg': 'C' });
    expect(await tree(w.library)).toEqual({ '2023/a.jpg': 'A', '2025/d.jpg': 'D' });
  });

  it('--all restores every file, including one moved to the trash as a duplicate', async () => {
    const w = await world();
    const big = 'x'.repeat(100_000);
    const { target: original } = await file(w, 'phone/IMG_1.jpg', big, { to: '2024/IMG_1.jpg' });
    await file(w, 'IMG_1 copy.jpg', big, {
      to: 'unused',
      action: 'duplicate',
      duplicateOf: original,
    });
    await file(w, 'phone/IMG_2.jpg', 'two', { to: '2024/IMG_1.jpg' });
    expect(await tree(w.inbox)).toEqual({});

    const result = await undo(w.journal, { all: true }, { index: w.index });

    expect(result.refused).toEqual([]);
    expect(result.undone).toHaveLength(3);
    expect(await tree(w.inbox)).toEqual({
      'phone/IMG_1.jpg': big,
      'IMG_1 copy.jpg': big,
      'phone/IMG_2.jpg': 'two',
    });
    expect(await readdir(w.library)).toEqual([]);
    expect(await tree(w.trash)).toEqual({});
  });

  it('refuses a file changed since it was filed, and moves it back with force', async () => {
    const w = await world();
    const { source, target } = await file(w, 'a.jpg', 'as filed', { to: '2024/a.jpg' });
    await writeFile(target, 'edited in the library');

    const refused = await undo(w.journal, { last: 1 });
    expect(refused.undone).toEqual([]);
    expect(refused.refused).toEqual([
      expect.objectContaining({
        from: target,
        to: source,
        reason: expect.stringMatching(/changed.*--force/),
      }),
    ]);
    expect(await readFile(target, 'utf8')).toBe('edited in the library');
    expect(w.journal.recent(5).filter((r) => r.op === 'undo')).toEqual([]);

    const forced = await undo(w.journal, { last: 1 }, { force: true });
    expect(forced.undone).toHaveLength(1);
    expect(await readFile(source, 'utf8')).toBe('edited in the library');
    expect(w.journal.recent(1)[0]).toMatchObject({
      op: 'undo',
      hash: sha256('edited in the library'),
    });
  });

  it('refuses when the original path is occupied again, without overwriting it', async () => {
    const w = await world();
    const { source, target } = await file(w, 'a.jpg', 'filed', { to: '2024/a.jpg' });
    await writeFile(source, 'a new photo with the same name');

    const result = await undo(w.journal, { last: 1 }, { force: true });

    expect(result.refused[0]?.reason).toMatch(/occupied/);
    expect(await readFile(source, 'utf8')).toBe('a new photo with the same name');
    expect(await readFile(target, 'utf8')).toBe('filed');
  });

  it('refuses a file that is gone from the library', async () => {
    const w = await world();
    const { target } = await file(w, 'a.jpg', 'filed', { to: '2024/a.jpg' });
    await unlink(target);

    const result = await undo(w.journal, { last: 1 });

    expect(result.refused[0]?.reason).toMatch(/no longer there/);
    expect(w.journal.recent(1)[0]?.status).toBe('done');
  });

  it('in a dry run lists what would go back without touching files or the journal', async () => {
    const w = await world();
    const { source, target } = await file(w, 'a.jpg', 'filed', { to: '2024/a.jpg' });
    const before = w.journal.recent(10);

    const result = await undo(w.journal, { all: true }, { dryRun: true, index: w.index });

    expect(result.undone).toEqual([expect.objectContaining({ from: target, to: source })]);
    expect(await readFile(target, 'utf8')).toBe('filed');
    expect(await tree(w.inbox)).toEqual({});
    expect(w.journal.recent(10)).toEqual(before);
  });
});

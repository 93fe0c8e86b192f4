import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileJob, Plan } from '../src/pipeline/job.js';
import { createMoveStage, type MoveStageOptions } from '../src/pipeline/move.js';
import { journalWorld, type JournalWorld as World } from './support/journal-world.js';
import { captureDate, photoMeta } from './support/records.js';

function world(libraryBase?: string): Promise<World> {
  return journalWorld('psd-movestage', libraryBase);
}

function stage(w: World, overrides: Partial<MoveStageOptions> = {}) {
  return createMoveStage({
    journal: w.journal,
    index: w.index,
    batch: () => 'batch-1',
    onCollision: 'suffix',
    duplicates: 'skip',
    trashDir: w.trash,
    dryRun: false,
    ...overrides,
  });
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file in the inbox and the job the earlier stages would have built for it. */
async function inboxJob(w: World, name: string, content: string, plan: Plan): Promise<FileJob> {
  const source = join(w.inbox, name);
  await writeFile(source, content);
  const info = await stat(source);
  return {
    source,
    root: w.inbox,
    size: info.size,
    mtimeMs: info.mtimeMs,
    hash: sha256(content),
    kind: 'photo',
    meta: photoMeta({
      fileType: 'JPEG',
      mimeType: 'image/jpeg',
      takenAt: captureDate({ offsetMinutes: 60 }),
      camera: { make: 'Apple', model: 'iPhone 8' },
      gps: { lat: 38.72, lon: -9.14 },
      orientation: 1,
      width: 4032,
      height: 3024,
    }),
    place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
    tags: [{ label: 'beach', score: 0.31 }],
    plan,
    error: null,
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('move stage', () => {
  it('files the photo, journals it with its facts and indexes its content', async () => {
    const w = await world();
    const target = join(w.library, '2024', '2024-06-12 Lisbon', 'IMG_1.jpg');
    const job = await inboxJob(w, 'IMG_1.jpg', 'photo one', {
      action: 'move',
      rule: 'default',
      target,
    });

    const out = await stage(w)(job);

    expect(out.plan).toEqual({ action: 'move', rule: 'default', target });
    expect(out.error).toBeNull();
    expect(await readFile(target, 'utf8')).toBe('photo one');
    expect(await exists(job.source)).toBe(false);
    expect(w.index.find(sha256('photo one'))).toBe(target);
    expect(w.journal.recent(5)).toEqual([
      expect.objectContaining({
        batch: 'batch-1',
        op: 'move',
        status: 'done',
        source: job.source,
        target,
        hash: sha256('photo one'),
        action: 'move',
        rule: 'default',
        details: {
          takenAt: '2024-06-12T18:30:00+01:00',
          dateSource: 'ExifIFD:DateTimeOriginal',
          place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
          tags: [{ label: 'beach', score: 0.31 }],
          root: w.inbox,
        },
      }),
    ]);
  });

  it('moves across filesystems too (library on /dev/shm)', async () => {
    const w = await world('/dev/shm');
    const target = join(w.library, 'Unsorted', 'notes.bin');
    const job = await inboxJob(w, 'notes.bin', 'not a photo', {
      action: 'unsorted',
      rule: null,
      target,
      reason: 'not a photo',
    });

    const out = await stage(w)(job);

    expect(out.plan?.target).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('not a photo');
    expect(await exists(job.source)).toBe(false);
    expect(await readdir(dirname(target))).toEqual(['notes.bin']);
  });

  it('numbers a file whose name is taken by different content, and journals the real target', async () => {
    const w = await world();
    const target = join(w.library, '2024', 'IMG_1.jpg');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, 'someone else');
    const job = await inboxJob(w, 'IMG_1.jpg', 'mine', { action: 'move', rule: 'default', target });

    const out = await stage(w)(job);

    const numbered = join(w.library, '2024', 'IMG_1 (1).jpg');
    expect(out.plan?.target).toBe(numbered);
    expect(await readFile(numbered, 'utf8')).toBe('mine');
    expect(await readFile(target, 'utf8')).toBe('someone else');
    expect(w.journal.recent(1)[0]).toMatchObject({ status: 'done', target: numbered });
  });

  it("with onCollision 'skip' leaves the file in the inbox and says why", async () => {
    const w = await world();
    const target = join(w.library, 'IMG_1.jpg');
    await writeFile(target, 'someone else');
    const job = await inboxJob(w, 'IMG_1.jpg', 'mine', { action: 'move', rule: 'default', target });

    const out = await stage(w, { onCollision: 'skip' })(job);

    expect(out.plan).toMatchObject({ action: 'skip', target: null });
    expect(out.plan?.reason).toContain(target);
    expect(await readFile(job.source, 'utf8')).toBe('mine');
    expect(await readFile(target, 'utf8')).toBe('someone else');
    expect(await readdir(w.library)).toEqual(['IMG_1.jpg']);
  });

  it('in a dry run changes nothing but shows where the file would go, suffix included', async () => {
    const w = await world();
    const target = join(w.library, 'IMG_1.jpg');
    await writeFile(target, 'someone else');
    const job = await inboxJob(w, 'IMG_1.jpg', 'mine', { action: 'move', rule: 'default', target });

    const out = await stage(w, { dryRun: true })(job);

    expect(out.plan).toEqual({
      action: 'move',
      rule: 'default',
      target: join(w.library, 'IMG_1 (1).jpg'),
    });
    expect(await readFile(job.source, 'utf8')).toBe('mine');
    expect(await readdir(w.library)).toEqual(['IMG_1.jpg']);
    expect(w.journal.recent(10)).toEqual([]);
  });

  it('reports a failed move as an error of the move stage, with the source still in the inbox', async () => {
    const w = await world();
    const target = join(w.library, '2024', 'IMG_1.jpg');
    const job = await inboxJob(w, 'IMG_1.jpg', 'as read', {
      action: 'move',
      rule: 'default',
      target,
    });
    await writeFile(job.source, 'edited after it was read');

    const out = await stage(w)(job);

    expect(out.plan).toMatchObject({ action: 'error', target: null });
    expect(out.error).toMatchObject({ code: 'SOURCE_CHANGED', stage: 'move' });
    expect(out.error?.message).toContain(job.source);
    expect(await readFile(job.source, 'utf8')).toBe('edited after it was read');
    expect(await exists(target)).toBe(false);
    expect(w.journal.recent(1)[0]).toMatchObject({ status: 'failed', error: out.error?.message });
  });

  it('leaves skip and error plans alone', async () => {
    const w = await world();
    const job = await inboxJob(w, 'a.part', 'x', {
      action: 'skip',
      rule: null,
      target: null,
      reason: 'partial download',
    });
    expect(await stage(w)(job)).toEqual(job);
    expect(await readFile(job.source, 'utf8')).toBe('x');
  });
});

describe('move stage with duplicates', () => {
  async function withOriginal(w: World): Promise<string> {
    const original = join(w.library, '2024', 'IMG_1.jpg');
    await mkdir(dirname(original), { recursive: true });
    await writeFile(original, 'same bytes');
    const info = await stat(original);
    w.index.add(original, sha256('same bytes'), info.size, info.mtimeMs);
    return original;
  }

  const duplicatePlan = (original: string, target: string | null = null): Plan => ({
    action: 'duplicate',
    rule: null,
    target,
    duplicateOf: original,
    reason: `same content as ${original}`,
  });

  it("'skip' leaves the copy in the inbox", async () => {
    const w = await world();
    const original = await withOriginal(w);
    const job = await inboxJob(w, 'copy.jpg', 'same bytes', duplicatePlan(original));

    const out = await stage(w, { duplicates: 'skip' })(job);

    expect(out.plan).toMatchObject({ action: 'duplicate', target: null, duplicateOf: original });
    expect(await readFile(job.source, 'utf8')).toBe('same bytes');
    expect(w.journal.recent(10)).toEqual([]);
  });

  it("'delete' compares every byte, then moves the copy to the trash as a journaled delete", async () => {
    const w = await world();
    const original = await withOriginal(w);
    const job = await inboxJob(w, 'copy.jpg', 'same bytes', duplicatePlan(original));

    const out = await stage(w, { duplicates: 'delete' })(job);

    const trashed = join(w.trash, 'batch-1', 'copy.jpg');
    expect(out.plan).toMatchObject({ action: 'duplicate', target: trashed, duplicateOf: original });
    expect(await exists(job.source)).toBe(false);
    expect(await readFile(trashed, 'utf8')).toBe('same bytes');
    expect(await readFile(original, 'utf8')).toBe('same bytes');
    expect(w.journal.recent(1)[0]).toMatchObject({
      op: 'delete',
      status: 'done',
      source: job.source,
      target: trashed,
      action: 'duplicate',
    });
  });

  it("'delete' keeps the file when the original's bytes no longer match", async () => {
    const w = await world();
    const original = await withOriginal(w);
    const job = await inboxJob(w, 'copy.jpg', 'same bytes', duplicatePlan(original));
    await writeFile(original, 'SAME BYTES');

    const out = await stage(w, { duplicates: 'delete' })(job);

    expect(out.plan).toMatchObject({ action: 'skip', target: null });
    expect(out.plan?.reason).toContain('was not deleted');
    expect(await readFile(job.source, 'utf8')).toBe('same bytes');
    expect(await exists(w.trash)).toBe(false);
  });

  it("'delete' in a dry run only says where the copy would go", async () => {
    const w = await world();
    const original = await withOriginal(w);
    const job = await inboxJob(w, 'copy.jpg', 'same bytes', duplicatePlan(original));

    const out = await stage(w, { duplicates: 'delete', dryRun: true })(job);

    expect(out.plan?.target).toBe(join(w.trash, 'batch-1', 'copy.jpg'));
    expect(await readFile(job.source, 'utf8')).toBe('same bytes');
    expect(await exists(w.trash)).toBe(false);
  });

  it('a duplicates folder receives the copy at the planned target', async () => {
    const w = await world();
    const original = await withOriginal(w);
    const target = join(w.library, 'Duplicates', 'copy.jpg');
    const job = await inboxJob(w, 'copy.jpg', 'same bytes', duplicatePlan(original, target));

    const out = await stage(w, { duplicates: { folder: true } })(job);

    expect(out.plan).toMatchObject({ action: 'duplicate', target });
    expect(await readFile(target, 'utf8')).toBe('same bytes');
    expect(await exists(job.source)).toBe(false);
    expect(w.index.find(sha256('same bytes'))).toBe(original);
  });
});

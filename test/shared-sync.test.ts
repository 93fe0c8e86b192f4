import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SharedSync } from '../src/lib/shared-sync.js';
import { tempDir } from './support/fs.js';

/** A real fsync of `dir`, counted, that can be held open until `release` is called. */
function countedFolderSync(dir: string) {
  const seen = { syncs: 0 };
  let gate: Promise<void> | undefined;
  let release = () => {};
  return {
    seen,
    hold: () => (gate = new Promise<void>((resolve) => (release = resolve))),
    release: () => release(),
    sync: async () => {
      seen.syncs += 1;
      const handle = await open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await gate;
    },
  };
}

describe('SharedSync: one fsync for everyone who asked before it began', () => {
  it('twenty requests made together cost two syncs: the one under way and the one after', async () => {
    const dir = await tempDir();
    const counted = countedFolderSync(dir);
    const shared = new SharedSync(counted.sync);
    for (let i = 0; i < 20; i++) await writeFile(join(dir, `IMG_${i}.jpg`), 'x');
    await Promise.all(Array.from({ length: 20 }, () => shared.durable()));
    // The first request starts a sync at once; the other nineteen came while it ran, so it
    // cannot cover what they wrote, and they share the next.
    expect(counted.seen.syncs).toBe(2);
    expect(shared.idle).toBe(true);
  });

  it('a request made while a sync runs waits for a sync that began after it', async () => {
    const dir = await tempDir();
    const counted = countedFolderSync(dir);
    const shared = new SharedSync(counted.sync);
    counted.hold();
    const first = shared.durable();
    let laterDone = false;
    const later = shared.durable().then(() => (laterDone = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counted.seen.syncs).toBe(1);
    expect(laterDone).toBe(false);
    counted.release();
    await Promise.all([first, later]);
    expect(counted.seen.syncs).toBe(2);
  });

  it('a sync the disk refuses fails those who shared it, and the next request tries again', async () => {
    let fail = true;
    let syncs = 0;
    const shared = new SharedSync(async () => {
      syncs += 1;
      if (fail) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    await expect(shared.durable()).rejects.toThrow(/EIO/);
    fail = false;
    await expect(shared.durable()).resolves.toBeUndefined();
    expect(syncs).toBe(2);
    expect(shared.idle).toBe(true);
  });
});

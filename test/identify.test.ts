import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile, sameBytes } from '../src/lib/hash.js';
import { identify } from '../src/pipeline/identify.js';
import type { FileJob } from '../src/pipeline/job.js';
import { fileJob } from './support/records.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'photosortd-identify-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const job = (source: string): FileJob => fileJob(source, { root: tmp, size: 0 });

describe('identify', () => {
  it('records size, mtime and the SHA-256 of a real photo', async () => {
    const file = path.join(tmp, 'photo.jpg');
    const bytes = await readFile(path.join(FIXTURES, 'et_Google.jpg'));
    await writeFile(file, bytes);
    const when = new Date('2024-06-12T18:30:00Z');
    await utimes(file, when, when);
    const j = await identify(job(file));
    expect(j.error).toBeUndefined();
    expect(j.size).toBe(bytes.length);
    expect(j.mtimeMs).toBe(when.getTime());
    expect(j.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a symlink, even to a good file', async () => {
    const link = path.join(tmp, 'link.jpg');
    await symlink(path.join(FIXTURES, 'et_Google.jpg'), link);
    const j = await identify(job(link));
    expect(j.error).toMatchObject({ code: 'NOT_A_FILE', stage: 'identify' });
    expect(j.error?.message).toContain(link);
    expect(j.hash).toBeUndefined();
  });

  it('refuses a directory', async () => {
    const dir = path.join(tmp, 'album.jpg');
    await mkdir(dir);
    expect((await identify(job(dir))).error?.code).toBe('NOT_A_FILE');
  });

  it('refuses an empty file', async () => {
    const file = path.join(tmp, 'empty.jpg');
    await writeFile(file, '');
    const j = await identify(job(file));
    expect(j.error).toMatchObject({ code: 'EMPTY_FILE', stage: 'identify' });
    expect(j.size).toBe(0);
  });

  it('reports a file that is gone', async () => {
    const j = await identify(job(path.join(tmp, 'missing.jpg')));
    expect(j.error?.code).toBe('NOT_FOUND');
  });

  it('reports a file it may not read', async () => {
    if (process.getuid?.() === 0) {
      // root reads any file, so the permission fault cannot be made for real here.
      const j = await identify(job(path.join(tmp, 'missing.jpg')));
      expect(j.error?.code).toBe('NOT_FOUND');
      return;
    }
    const file = path.join(tmp, 'secret.jpg');
    await writeFile(file, 'x', { mode: 0o000 });
    const j = await identify(job(file));
    expect(j.error?.code).toBe('UNREADABLE');
  });

  it('leaves a job that already failed untouched', async () => {
    const failed: FileJob = {
      ...job(path.join(FIXTURES, 'et_Google.jpg')),
      error: { code: 'X', stage: 'watch', message: 'x' },
    };
    expect(await identify(failed)).toBe(failed);
  });
});

describe('hash', () => {
  it('hashes content as SHA-256 hex', async () => {
    const file = path.join(tmp, 'abc.txt');
    await writeFile(file, 'abc');
    expect(await hashFile(file)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('hashes a file of several read buffers to its end', async () => {
    const file = path.join(tmp, 'big.bin');
    const bytes = Buffer.alloc(2 * 1024 * 1024 + 5, 3);
    bytes[bytes.length - 1] = 9;
    await writeFile(file, bytes);
    expect(await hashFile(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('compares files byte by byte, over more than one chunk', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const a = path.join(tmp, 'a.bin');
    const b = path.join(tmp, 'b.bin');
    const c = path.join(tmp, 'c.bin');
    const d = path.join(tmp, 'd.bin');
    await writeFile(a, big);
    await writeFile(b, big);
    const lastByteDiffers = Buffer.from(big);
    lastByteDiffers[lastByteDiffers.length - 1] = 8;
    await writeFile(c, lastByteDiffers);
    await writeFile(d, big.subarray(1));
    expect(await sameBytes(a, b)).toBe(true);
    expect(await sameBytes(a, c)).toBe(false);
    expect(await sameBytes(a, d)).toBe(false);
  });
});

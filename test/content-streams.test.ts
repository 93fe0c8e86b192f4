import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_STREAMS, contentStreams, withContentStream } from '../src/lib/content-streams.js';
import { hashFile } from '../src/lib/hash.js';
import { tempDir } from './support/fs.js';

describe('content streams: few whole files read or copied at once', () => {
  it('runs at most CONTENT_STREAMS at once, every one to its end, a failure freeing its slot', async () => {
    let running = 0;
    let most = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        withContentStream(async () => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          if (i === 3) throw new Error('disk gone');
          return i;
        }),
      ),
    );
    expect(most).toBe(CONTENT_STREAMS);
    expect(results[3]).toMatchObject({ status: 'rejected' });
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => r.value)).toEqual(
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 3),
    );
    expect(contentStreams()).toEqual({ running: 0, waiting: 0 });
  });

  it('hashes forty 2 MiB files asked together, each right, eight at a time', async () => {
    const dir = await tempDir();
    const files = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const bytes = randomBytes(2 << 20);
        const path = join(dir, `VID_${i}.mp4`);
        await writeFile(path, bytes);
        return { path, expected: createHash('sha256').update(bytes).digest('hex') };
      }),
    );
    const hashes = Promise.all(files.map(({ path }) => hashFile(path)));
    // The opens and stats come first; then all but eight wait for a stream.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = contentStreams();
    expect(await hashes).toEqual(files.map(({ expected }) => expected));
    expect(during.running).toBeLessThanOrEqual(CONTENT_STREAMS);
    expect(contentStreams()).toEqual({ running: 0, waiting: 0 });
  });
});

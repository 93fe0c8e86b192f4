import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { PhotosortdError } from './errors.js';
import { withContentStream } from './content-streams.js';
import { closeFd, fstatFd, openFd, readFd } from './fd.js';

const CHUNK = 1 << 20;

/** Bytes read from each end of a file for its {@link sampleFile}; a hash keeps as many. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * What a read for a hash or a sample saw of a file: its size, and its first (for a sample,
 * also its last) bytes at their offsets. The tag reader starts from them instead of opening
 * the file again, so a small photo's tags cost no I/O and a large one's mostly none: a
 * JPEG's, a TIFF's and most videos' metadata lie in those ends.
 */
export interface SeenBytes {
  size: number;
  blocks: { at: number; bytes: Buffer }[];
}

/**
 * SHA-256 of a file's content, read to its end, as lowercase hex. The buffer is sized to the
 * file (one byte more, so that a file that grew is read on), up to 1 MB: a small photo is
 * hashed in one read without a 1 MB allocation, and a video with flat memory.
 */
export async function hashFile(path: string): Promise<string> {
  return (await hashFileSeeing(path)).hash;
}

/** {@link hashFile}, with the first 64 KiB it read (see {@link SeenBytes}). */
export async function hashFileSeeing(path: string): Promise<{ hash: string; seen: SeenBytes }> {
  const fd = await openFd(path, 'r');
  try {
    const stats = await fstatFd(fd);
    // A name swapped for a device or FIFO since it was checked would never end or never answer.
    if (!stats.isFile()) {
      throw new PhotosortdError(
        'NOT_A_FILE',
        `${path} is no longer a regular file (it was replaced while being read); it was left alone.`,
      );
    }
    const read = (): Promise<HashedToEnd> => hashToEnd(fd, stats.size);
    // A small file is one read; a larger one waits for a stream (see CONTENT_STREAMS).
    const { hash, head, size } = await (stats.size < CHUNK ? read() : withContentStream(read));
    return { hash, seen: { size, blocks: [{ at: 0, bytes: head }] } };
  } finally {
    await closeFd(fd);
  }
}

/** What {@link hashToEnd} read: the hash, the first 64 KiB and how many bytes in all. */
interface HashedToEnd {
  hash: string;
  head: Buffer;
  size: number;
}

/**
 * Reads `fd` from where it stands to its end, hashing. The buffer is sized to the file (one
 * byte more than `expected`, so that a file that grew is read on), up to 1 MiB.
 */
async function hashToEnd(fd: number, expected: number): Promise<HashedToEnd> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(expected + 1, CHUNK));
  let head: Buffer | undefined;
  let size = 0;
  for (;;) {
    const { bytesRead } = await readFd(fd, buffer, 0, buffer.length, null);
    const bytes = buffer.subarray(0, bytesRead);
    hash.update(bytes);
    size += bytesRead;
    // A read short of the buffer is the end of a regular file.
    if (bytesRead < buffer.length) {
      return { hash: hash.digest('hex'), head: head ?? bytes.subarray(0, SAMPLE_BYTES), size };
    }
    // The buffer is read into again: what is kept of it is copied.
    head ??= Buffer.from(bytes.subarray(0, SAMPLE_BYTES));
  }
}

/**
 * SHA-256 of a file's size, first 64 KiB and last 64 KiB: what tells apart, at the cost of
 * two small reads, files of one size that are not the same (uncompressed RAW or TIFF files
 * of one camera all have one size, but not one header: it holds the moment, the exposure,
 * the shot number). Equal samples say nothing for sure; only the full hash does.
 */
export async function sampleFile(path: string): Promise<string> {
  return (await sampleFileSeeing(path)).sample;
}

/**
 * {@link sampleFile}, with the two ends it read (see {@link SeenBytes}). `knownSize`, the
 * size of a stat taken right before (identify's, with the content stamp), spares one call:
 * should the file change in between, its stamp no longer holds, and a file whose stamp does
 * not hold is never moved unread (safe-move.ts), so a sample of the old size decides nothing.
 */
export async function sampleFileSeeing(
  path: string,
  knownSize?: number,
): Promise<{ sample: string; seen: SeenBytes }> {
  const hash = createHash('sha256');
  const fd = await openFd(path, 'r');
  let seen: SeenBytes;
  try {
    const size = knownSize ?? (await fstatFd(fd)).size;
    hash.update(`${size}:`);
    const buffer = Buffer.allocUnsafe(Math.min(size, 2 * SAMPLE_BYTES));
    const head = Math.min(size, SAMPLE_BYTES);
    const tail = Math.min(size - head, SAMPLE_BYTES);
    const { bytesRead: first } = await readFd(fd, buffer, 0, head, 0);
    const { bytesRead: last } = await readFd(fd, buffer, first, tail, size - tail);
    hash.update(buffer.subarray(0, first + last));
    seen = {
      size,
      blocks: [
        { at: 0, bytes: buffer.subarray(0, first) },
        { at: size - tail, bytes: buffer.subarray(first, first + last) },
      ],
    };
  } finally {
    await closeFd(fd);
  }
  return { sample: hash.digest('hex'), seen };
}

/**
 * Whether two files hold exactly the same bytes. Compared byte by byte rather than by hash,
 * because this is the last check before a duplicate is deleted.
 */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    while (true) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, CHUNK), fb.read(bb, 0, CHUNK)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

import { createHash } from 'node:crypto';
import { close, fstat, open as openFd, read } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { PhotosortdError } from './errors.js';

const CHUNK = 1 << 20;

// The callback API on a plain descriptor: FileHandle and stream calls cost about a third
// more CPU per call, which shows when every small file is hashed twice (read, then verified).
const openAsync = promisify(openFd);
const fstatAsync = promisify(fstat);
const readAsync = promisify(read);
const closeAsync = promisify(close);

/**
 * SHA-256 of a file's content, read to its end, as lowercase hex. The buffer is sized to the
 * file (one byte more, so that a file that grew is read on), up to 1 MB: a small photo is
 * hashed in one read without a 1 MB allocation, and a video with flat memory.
 */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fd = await openAsync(path, 'r');
  try {
    const stats = await fstatAsync(fd);
    // A name swapped for a device or FIFO since it was checked would never end or never answer.
    if (!stats.isFile()) {
      throw new PhotosortdError(
        'NOT_A_FILE',
        `${path} is no longer a regular file (it was replaced while being read); it was left alone.`,
      );
    }
    const { size } = stats;
    const buffer = Buffer.allocUnsafe(Math.min(size + 1, CHUNK));
    for (;;) {
      const { bytesRead } = await readAsync(fd, buffer, 0, buffer.length, null);
      hash.update(buffer.subarray(0, bytesRead));
      // A read short of the buffer is the end of a regular file.
      if (bytesRead < buffer.length) break;
    }
  } finally {
    await closeAsync(fd);
  }
  return hash.digest('hex');
}

/** Bytes read from each end of a file for its {@link sampleFile}. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * SHA-256 of a file's size, first 64 KiB and last 64 KiB: what tells apart, at the cost of
 * two small reads, files of one size that are not the same (uncompressed RAW or TIFF files
 * of one camera all have one size, but not one header: it holds the moment, the exposure,
 * the shot number). Equal samples say nothing for sure; only the full hash does.
 */
export async function sampleFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fd = await openAsync(path, 'r');
  try {
    const { size } = await fstatAsync(fd);
    hash.update(`${size}:`);
    const buffer = Buffer.allocUnsafe(Math.min(size, 2 * SAMPLE_BYTES));
    const head = Math.min(size, SAMPLE_BYTES);
    const tail = Math.min(size - head, SAMPLE_BYTES);
    const { bytesRead: first } = await readAsync(fd, buffer, 0, head, 0);
    const { bytesRead: last } = await readAsync(fd, buffer, first, tail, size - tail);
    hash.update(buffer.subarray(0, first + last));
  } finally {
    await closeAsync(fd);
  }
  return hash.digest('hex');
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

import { closeFd, fstatFd, openFd, readFd } from '../fd.js';
import type { SeenBytes } from '../hash.js';

/** How much a read asks for at least: one read covers a JPEG's or TIFF's metadata mostly. */
const BLOCK = 64 * 1024;

/**
 * Blocks kept, oldest dropped first: a PNG's chunk walk must not hold the whole file, and a
 * TIFF's parse needs no more ranges at once than tiff-file.ts loads (head, tail and 16 more).
 */
const MAX_BLOCKS = 24;

/**
 * A file read through positioned reads on one descriptor, never whole: a reader asks for the
 * ranges it needs, and reads of a range already loaded cost nothing. Started from the bytes
 * a hash or sample saw, the file is opened only for a range they lack.
 */
export class FileBytes {
  private readonly blocks: { at: number; bytes: Buffer }[];
  private fd: Promise<number> | undefined;

  private constructor(
    private readonly path: string,
    /** The file's size in bytes. */
    readonly size: number,
    seen: SeenBytes['blocks'] = [],
  ) {
    this.blocks = seen.filter((block) => block.bytes.length > 0);
  }

  /** Opens `path` for reading; {@link close} it when done. */
  static async open(path: string): Promise<FileBytes> {
    const fd = await openFd(path, 'r');
    try {
      const file = new FileBytes(path, (await fstatFd(fd)).size);
      file.fd = Promise.resolve(fd);
      return file;
    } catch (error) {
      await closeFd(fd);
      throw error;
    }
  }

  /** The file `seen` was read from, starting from those bytes; {@link close} it when done. */
  static from(path: string, seen: SeenBytes): FileBytes {
    return new FileBytes(path, seen.size, seen.blocks);
  }

  /** The bytes at `at` already loaded, `length` of them, or `null`. */
  loaded(at: number, length: number): Buffer | null {
    for (const block of this.blocks) {
      if (at >= block.at && at + length <= block.at + block.bytes.length) {
        return block.bytes.subarray(at - block.at, at - block.at + length);
      }
    }
    return null;
  }

  /** `length` bytes at `at` (fewer at the end of the file), loading a block around them. */
  async read(at: number, length: number): Promise<Buffer> {
    const available = Math.min(length, this.size - at);
    if (available <= 0) return Buffer.alloc(0);
    const ready = this.loaded(at, available);
    if (ready) return ready;
    this.fd ??= openFd(this.path, 'r');
    const fd = await this.fd;
    const want = Math.max(0, Math.min(Math.max(length, BLOCK), this.size - at));
    const bytes = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await readFd(fd, bytes, got, want - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const block = { at, bytes: bytes.subarray(0, got) };
    this.blocks.push(block);
    if (this.blocks.length > MAX_BLOCKS) this.blocks.shift();
    return block.bytes.subarray(0, Math.min(length, got));
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd) await closeFd(await fd);
  }
}

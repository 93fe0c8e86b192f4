import { open, type FileHandle } from 'node:fs/promises';

/** How much a read asks for at least: one read covers a JPEG's or TIFF's metadata mostly. */
const BLOCK = 64 * 1024;

/**
 * A file read through positioned reads on one handle, never whole: a reader asks for the
 * ranges it needs, and reads of a range already loaded cost nothing.
 */
export class FileBytes {
  private readonly blocks: { at: number; bytes: Buffer }[] = [];

  private constructor(
    private readonly handle: FileHandle,
    /** The file's size in bytes. */
    readonly size: number,
  ) {}

  /** Opens `path` for reading; {@link close} it when done. */
  static async open(path: string): Promise<FileBytes> {
    const handle = await open(path, 'r');
    try {
      return new FileBytes(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
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
    const ready = this.loaded(at, length);
    if (ready) return ready;
    const want = Math.max(0, Math.min(Math.max(length, BLOCK), this.size - at));
    const bytes = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(bytes, got, want - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const block = { at, bytes: bytes.subarray(0, got) };
    this.blocks.push(block);
    return block.bytes.subarray(0, Math.min(length, got));
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

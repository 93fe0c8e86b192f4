import { ensure } from './unsure.js';

/**
 * Boxes of ISO base media files (ISO/IEC 14496-12: MP4, QuickTime MOV, 3GP, HEIF): a walker
 * over positioned reads, so that a 250 MB video costs a read of each top-level box header and
 * of the small boxes that hold its tags, never of its media data. Every function here returns
 * null for a structure it cannot vouch for (a box crossing its parent's end, a size smaller
 * than its header, a file ending inside a box): the caller then declines the file.
 */

/** Where bytes come from: a FileBytes (positioned reads on one handle), or a wrapper of one. */
export interface ByteSource {
  /** Size in bytes of the whole file. */
  readonly size: number;
  /** `length` bytes at `position`; fewer only where the file ends. */
  read(position: number, length: number): Promise<Buffer>;
}

/** One box: its four-character type and where it and its body lie in the file or buffer. */
export interface Box {
  type: string;
  /** Offset of the box's first header byte. */
  start: number;
  /** Offset of the first byte of its body (after size, type and any 64-bit size). */
  bodyStart: number;
  /** Offset just past its last byte. */
  end: number;
  /** Its size field was 0: it runs to the end of the file. */
  toEnd: boolean;
}

/**
 * The box whose header starts at `start` of `header` (the bytes at that offset, at least 8
 * and up to 16 of them), inside a parent ending at `limit`. `toEnd` allows size 0, which
 * means "to the parent's end" (only a file's last top-level box may say so).
 */
function parseHeader(header: Buffer, start: number, limit: number, toEnd: boolean): Box | null {
  if (header.length < 8) return null;
  const size32 = header.readUInt32BE(0);
  const type = header.toString('latin1', 4, 8);
  let bodyStart = start + 8;
  let end: number;
  if (size32 === 1) {
    if (header.length < 16) return null;
    const size64 = header.readBigUInt64BE(8);
    if (size64 > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    bodyStart = start + 16;
    end = start + Number(size64);
  } else if (size32 === 0) {
    if (!toEnd) return null;
    end = limit;
  } else {
    end = start + size32;
  }
  if (end < bodyStart || end > limit) return null;
  return { type, start, bodyStart, end, toEnd: size32 === 0 };
}

/**
 * The top-level boxes of a file, reading only their headers (16 bytes each). Null when a box
 * runs past the end of the file, or bytes too few for a header trail the last box.
 */
async function topLevelBoxes(source: ByteSource): Promise<Box[] | null> {
  const boxes: Box[] = [];
  let position = 0;
  while (position < source.size) {
    const header = await source.read(position, 16);
    const box = parseHeader(header, position, source.size, true);
    if (!box) return null;
    boxes.push(box);
    position = box.end;
  }
  return boxes;
}

/**
 * The boxes inside a box body, positions relative to it; Unsure unless they tile it exactly
 * (size 0, "to the end of the file", is only for the top level).
 */
export function boxesIn(body: Buffer): Box[] {
  const boxes: Box[] = [];
  let position = 0;
  while (position < body.length) {
    const box = parseHeader(body.subarray(position, position + 16), position, body.length, false);
    ensure(box, 'malformed box structure');
    boxes.push(box);
    position = box.end;
  }
  return boxes;
}

/** The body of a box found by {@link boxesIn} in `buffer`. */
export function boxBody(buffer: Buffer, box: Box): Buffer {
  return buffer.subarray(box.bodyStart, box.end);
}

/** A top-level box's body, read from the file; {@link Unsure} if the file ends first. */
export async function readBox(source: ByteSource, box: Box): Promise<Buffer> {
  const body = await source.read(box.bodyStart, box.end - box.bodyStart);
  ensure(body.length === box.end - box.bodyStart, 'file shorter than its boxes');
  return body;
}

/** An ISO-BMFF file as the format readers get it: its top-level boxes and its ftyp. */
export interface BmffFile {
  source: ByteSource;
  /** All top-level boxes, `ftyp` first. */
  boxes: Box[];
  /** The ftyp box's body: major brand, minor version, compatible brands. */
  ftyp: Buffer;
  /** The major brand. */
  brand: string;
}

/** The layout of an ISO-BMFF file ({@link Unsure} unless its boxes tile it, ftyp first). */
export async function openBmff(source: ByteSource): Promise<BmffFile> {
  const boxes = await topLevelBoxes(source);
  ensure(boxes, 'top-level boxes that do not tile the file');
  ensure(boxes[0]?.type === 'ftyp', 'no ftyp box first');
  const ftyp = await readBox(source, boxes[0]);
  ensure(ftyp.length >= 4, 'short ftyp');
  return { source, boxes, ftyp, brand: ftyp.toString('latin1', 0, 4) };
}

/** Largest free/skip box read to see that it is padding; cameras write a few kB at most. */
const MAX_PADDING_BYTES = 64 * 1024;

/**
 * Whether a top-level free/skip box is empty padding (all zero bytes). exiftool looks inside
 * some (Kodak, Canon, Pittasoft data) for tags; padding holds none.
 */
export async function isPadding(source: ByteSource, box: Box): Promise<boolean> {
  if (box.end - box.bodyStart > MAX_PADDING_BYTES) return false;
  return (await readBox(source, box)).every((byte) => byte === 0);
}

import type { FileBytes } from './file-bytes.js';
import type { FoundTag } from './found-tag.js';
import { readTiffTags } from './tiff.js';

/** The header some writers put before an EXIF chunk's TIFF stream, as exiftool matches it. */
const EXIF_HEADER = /^Exif\0\0(II\x2a\0|MM\0\x2a)/;

/** A WebP's image size as exiftool takes it, and whether the frame is lossless (VP8L). */
interface Frame {
  width: number;
  height: number;
  /** exiftool's tag priority: VP8X's canvas (1) outranks a frame header's (0). */
  priority: number;
  lossless: boolean;
}

/**
 * The tags of a still WebP as exiftool reads it: the canvas (VP8X) or frame (VP8, VP8L) size
 * as Composite:ImageSize, an EXIF chunk's EXIF (without an ImageWidth of its own, which would
 * outrank the canvas), FileType as exiftool names the variant. `null` for XMP, animation,
 * unknown chunks, truncation or bytes past the RIFF.
 */
export async function readWebpTags(file: FileBytes): Promise<FoundTag[] | null> {
  const riff = await file.read(0, 12);
  if (riff.toString('latin1', 8, 12) !== 'WEBP') return null;
  const riffEnd = riff.readUInt32LE(4) + 8;
  // exiftool reads chunks to the end of the file, past the RIFF's own end.
  if (riffEnd + (riffEnd & 1) !== file.size && riffEnd !== file.size) return null;
  const tags: FoundTag[] = [];
  const composite: FoundTag[] = [];
  let extended = false;
  let frame: Frame | null = null;
  let exif = false;
  for (let at = 12; at < file.size;) {
    const head = await file.read(at, 8);
    if (head.length < 8) return null;
    const type = head.toString('latin1', 0, 4);
    const length = head.readUInt32LE(4);
    const end = at + 8 + length + (length & 1);
    if (length === 0 || at + 8 + length > file.size) return null;
    const data = (n: number): Promise<Buffer> => file.read(at + 8, Math.min(n, length));
    if (type === 'VP8X') {
      const x = await data(10);
      if (extended || x.length < 10) return null;
      extended = true;
      frame = better(frame, {
        width: (x.readUInt32LE(4) & 0xffffff) + 1,
        height: (x.readUInt32LE(6) >>> 8) + 1,
        priority: 1,
        lossless: false,
      });
    } else if (type === 'VP8 ') {
      const v = await data(10);
      if (v.length < 10 || v[3] !== 0x9d || v[4] !== 0x01 || v[5] !== 0x2a) return null;
      frame = better(frame, {
        width: v.readUInt16LE(6) & 0x3fff,
        height: v.readUInt16LE(8) & 0x3fff,
        priority: 0,
        lossless: false,
      });
    } else if (type === 'VP8L') {
      const l = await data(6);
      if (l.length < 6 || l[0] !== 0x2f) return null;
      frame = better(frame, {
        width: (l.readUInt16LE(1) & 0x3fff) + 1,
        height: ((l.readUInt32LE(2) >>> 6) & 0x3fff) + 1,
        priority: 0,
        lossless: true,
      });
    } else if (type === 'EXIF') {
      // libwebp writes an `Exif\0\0` header before the TIFF stream; exiftool skips it with a
      // minor warning (which exiftool-vendored's -ignoreMinorErrors drops).
      const bytes = await data(length);
      const tiff = readTiffTags(
        bytes.subarray(EXIF_HEADER.test(bytes.toString('latin1', 0, 10)) ? 6 : 0),
      );
      if (exif || !tiff || tiff.tags.some((t) => /^Image(Width|Height)$/.test(t.name))) {
        return null;
      }
      exif = true;
      tags.push(...tiff.tags);
      composite.push(...tiff.composite);
    } else if (type !== 'ICCP' && type !== 'ALPH') {
      return null;
    }
    at = end;
  }
  if (!frame) return null;
  const kind = `${extended ? 'Extended WEBP' : 'WEBP'}${frame.lossless ? ' (lossless)' : ''}`;
  return [
    { group: 'File', name: 'FileType', value: kind },
    { group: 'File', name: 'MIMEType', value: 'image/webp' },
    ...tags,
    ...composite,
    { group: 'Composite', name: 'ImageSize', value: `${frame.width} ${frame.height}` },
  ];
}

/**
 * The size exiftool keeps when another is found: the later one unless it has a lower priority.
 * A lossless frame marks the file as such whichever size is kept.
 */
function better(kept: Frame | null, found: Frame): Frame {
  if (!kept) return found;
  const lossless = kept.lossless || found.lossless;
  return found.priority >= kept.priority ? { ...found, lossless } : { ...kept, lossless };
}

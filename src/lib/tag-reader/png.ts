import type { FileBytes } from './file-bytes.js';
import type { FoundTag } from './found-tag.js';
import { readTiffTags } from './tiff.js';

/**
 * Chunks whose tags exiftool names otherwise than anything asked for (palette, transparency,
 * gamma, chromaticities, sRGB, ICC profile, physical pixel size, significant bits, background,
 * histogram) or that hold the image itself. Text chunks (tEXt, zTXt, iTXt: any keyword, XMP,
 * raw profiles), APNG, Apple's CgBI and every other chunk make the reader decline.
 */
const PLAIN_CHUNKS = new Set([
  'PLTE',
  'IDAT',
  'tRNS',
  'gAMA',
  'cHRM',
  'sRGB',
  'iCCP',
  'pHYs',
  'sBIT',
  'bKGD',
  'hIST',
]);

/** The largest chunk length PNG allows; exiftool stops at a longer one, with a warning. */
const MAX_CHUNK = 0x7fffffff;

/**
 * The tags of a PNG as exiftool reads them: every chunk up to IEND (exiftool's `-fast` still
 * walks them all), IHDR's size as Composite:ImageSize, tIME as PNG:ModifyDate, an eXIf chunk's
 * EXIF (without an ImageWidth of its own, which would outrank IHDR's), File:FileType/MIMEType.
 * `null` for anything else, a truncated file or bytes after IEND (exiftool reads a trailer).
 */
export async function readPngTags(file: FileBytes): Promise<FoundTag[] | null> {
  const tags: FoundTag[] = [];
  const composite: FoundTag[] = [];
  let size: string | null = null;
  let exif = false;
  for (let at = 8; ;) {
    const head = await file.read(at, 8);
    if (head.length < 8) return null;
    const length = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    const end = at + 8 + length + 4;
    if (length > MAX_CHUNK || end > file.size) return null;
    if (size === null && type !== 'IHDR') return null;
    if (type === 'IEND') return end === file.size ? fileTags(tags, composite, size) : null;
    if (type === 'IHDR') {
      const ihdr = await file.read(at + 8, 8);
      if (size !== null || length !== 13) return null;
      size = `${ihdr.readUInt32BE(0)} ${ihdr.readUInt32BE(4)}`;
    } else if (type === 'tIME') {
      if (length !== 7) return null;
      const t = await file.read(at + 8, 7);
      const two = (n: number | undefined): string => String(n).padStart(2, '0');
      const date = `${String(t.readUInt16BE(0)).padStart(4, '0')}:${two(t[2])}:${two(t[3])}`;
      const value = `${date} ${two(t[4])}:${two(t[5])}:${two(t[6])}`;
      tags.push({ group: 'PNG', name: 'ModifyDate', value });
    } else if (type === 'eXIf') {
      const tiff = readTiffTags(await file.read(at + 8, length));
      // A second eXIf, or one whose ImageWidth/Height would decide ImageSize, is left to exiftool.
      if (exif || !tiff || tiff.tags.some((t) => /^Image(Width|Height)$/.test(t.name))) {
        return null;
      }
      exif = true;
      tags.push(...tiff.tags);
      composite.push(...tiff.composite);
    } else if (!PLAIN_CHUNKS.has(type)) {
      return null;
    }
    at = end;
  }
}

function fileTags(tags: FoundTag[], composite: FoundTag[], size: string | null): FoundTag[] {
  return [
    { group: 'File', name: 'FileType', value: 'PNG' },
    { group: 'File', name: 'MIMEType', value: 'image/png' },
    ...tags,
    ...composite,
    ...(size === null ? [] : [{ group: 'Composite', name: 'ImageSize', value: size }]),
  ];
}

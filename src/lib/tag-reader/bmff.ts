import type { FoundTag } from './found-tag.js';
import { readHeifTags } from './heif.js';
import { type ByteSource, openBmff } from './iso-bmff.js';
import { readMovieTags } from './quicktime.js';
import { Unsure, ensure } from './unsure.js';

/** Major brands of HEIF still images (exiftool: HEIC for `heic`, AVIF for `avif`, else HEIF). */
const HEIF_BRANDS = new Set(['heic', 'mif1', 'heix', 'avif']);

/**
 * The tags photosortd asks exiftool for, of an ISO base media file (a file starting with an
 * `ftyp` box): HEIF images by their item metadata, QuickTime-family videos by their movie box.
 * In the order exiftool finds them, Composite tags last; null when the reader cannot be sure
 * to give exactly what exiftool would (then ask exiftool). Reads box headers, the metadata
 * boxes and the Exif item through `source`, never the media data. `extension` is the file's,
 * lower-cased with its dot.
 */
export async function readIsoBmffTags(
  source: ByteSource,
  extension: string,
): Promise<FoundTag[] | null> {
  try {
    const file = await openBmff(source);
    const found = HEIF_BRANDS.has(file.brand)
      ? await readHeifTags(file)
      : await readMovieTags(file, extension);
    // exiftool would print both under one JSON key; which a JSON parser keeps is its affair.
    const keys = new Set(found.map((tag) => `${tag.group}:${tag.name}`));
    ensure(keys.size === found.length, 'one tag found twice in one group');
    return found;
  } catch (error) {
    if (error instanceof Unsure || error instanceof RangeError) return null;
    throw error;
  }
}

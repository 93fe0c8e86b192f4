import { extname } from 'node:path';
import type { RawTags } from '../exiftool.js';
import type { SeenBytes } from '../hash.js';
import { readIsoBmffTags } from './bmff.js';
import { FileBytes } from './file-bytes.js';
import type { FoundTag } from './found-tag.js';
import { readJpegTags } from './jpeg.js';
import { readPngTags } from './png.js';
import { requestedTags, toRawTags } from './raw-tags.js';
import { readTiffFileTags } from './tiff-file.js';
import { readWebpTags } from './webp.js';

/**
 * A format the native reader knows: how its content starts, the extensions exiftool names it
 * by from content alone (another extension can change exiftool's FileType, or add a warning,
 * so such a file is left to it), and the reader that returns its tags in file order.
 */
interface Format {
  magic: (head: Buffer) => boolean;
  extensions: ReadonlySet<string>;
  /** `extension` is the file's, lower-cased with its dot (exiftool names some types by it). */
  read: (file: FileBytes, extension: string) => Promise<FoundTag[] | null>;
}

const startsWith =
  (...signatures: string[]) =>
  (head: Buffer): boolean =>
    signatures.some((s) => head.toString('latin1', 0, s.length) === s);

/** The formats read natively, by magic bytes. */
const FORMATS: readonly Format[] = Object.freeze([
  {
    magic: startsWith('\xff\xd8\xff'),
    extensions: new Set(['.jpg', '.jpeg']),
    read: readJpegTags,
  },
  {
    magic: startsWith('\x89PNG\r\n\x1a\n'),
    extensions: new Set(['.png']),
    read: readPngTags,
  },
  {
    magic: startsWith('RIFF'),
    extensions: new Set(['.webp']),
    read: readWebpTags,
  },
  {
    magic: startsWith('II*\0', 'MM\0*'),
    extensions: new Set(['.tif', '.tiff']),
    read: readTiffFileTags,
  },
  {
    // ISO base media: exiftool names these by the ftyp brand (the extensions are those the
    // equivalence test has files of).
    magic: (head: Buffer) => head.toString('latin1', 4, 8) === 'ftyp',
    extensions: new Set(['.mov', '.mp4', '.m4v', '.m4a', '.3gp', '.heic', '.heif', '.avif']),
    read: readIsoBmffTags,
  },
]);

/**
 * The tags `exiftool <readArgs> -json <path>` would give (its `-G1 -a` JSON, keys in its
 * order, without `SourceFile`), read in-process; or `null` when the reader cannot guarantee
 * exactly that for this file (a format, segment, tag or argument it does not know, anything
 * damaged), in which case ask exiftool. A file it reads carries no exiftool Warning or Error:
 * whatever would make exiftool warn makes it decline instead. Reads only the bytes it needs,
 * through positioned reads on one descriptor, starting from `seen` (what identify's hash or
 * sample read of the same file) when given. Rejects only when the file cannot be opened or
 * read.
 */
export async function readTagsNatively(
  path: string,
  readArgs: readonly string[],
  seen?: SeenBytes,
): Promise<RawTags | null> {
  const requested = requestedTags(readArgs);
  if (!requested) return null;
  const file = seen ? FileBytes.from(path, seen) : await FileBytes.open(path);
  try {
    const head = await file.read(0, 16);
    const format = FORMATS.find((f) => f.magic(head));
    const extension = extname(path).toLowerCase();
    if (!format || !format.extensions.has(extension)) return null;
    const found = await format.read(file, extension);
    return found && toRawTags(found, requested);
  } finally {
    await file.close();
  }
}

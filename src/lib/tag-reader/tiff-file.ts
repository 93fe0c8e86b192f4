/* eslint-disable no-control-regex -- binary signatures are matched as latin1 text, as exiftool's Perl matches them */
import type { FileBytes } from './file-bytes.js';
import type { FoundTag } from './found-tag.js';
import { MissingBytes, readSparseTiffTags, type TiffBytes } from './tiff.js';

/** Ranges a TIFF's IFDs may send the parser to before it gives up on a scattered file. */
const MAX_LOADS = 16;

/**
 * TIFF compression schemes that are not a RAW maker's: with any other in a TIFF file, exiftool
 * may name the file after the RAW format (its `IdentifyRawFile`).
 */
const PLAIN_COMPRESSION = new Set([1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946]);

/**
 * Trailers exiftool looks for in a TIFF file's last 64 bytes even with `-fast` (its
 * `IdentifyTrailer`): AFCP (IPTC), FotoStation, PhotoMechanic, CanonVRD, MIE, Samsung,
 * Insta360, Nikon App, Vivo, OnePlus. A file ending in one is left to exiftool.
 */
const TRAILERS: readonly RegExp[] = Object.freeze([
  /AXS(!|\*).{8}$/s,
  /\xa1\xb2\xc3\xd4$/,
  /cbipcbbl$/,
  /^CANON OPTIONAL DATA\0/,
  /~\0\x04\0zmie~\0\0\x06.{4}[\x10\x18]\x04$/s,
  /~\0\x04\0zmie~\0\0\x0a.{8}[\x10\x18]\x08$/s,
  /\0\0(QDIOBS|SEFT)$/,
  /8db42d694ccc418790edff439fe026bf$/s,
  /\0{6}\/NIKON APP$/,
  /\xff{4}\x1b\*9HWfu\x84\x93\xa2\xb1$/,
  /jxrs...\0$/s,
]);

/**
 * The tags of a plain TIFF file (named .tif/.tiff, which the caller checks) as exiftool reads
 * them, the IFDs and values fetched by positioned reads wherever they lie. `null` for a TIFF
 * exiftool would name otherwise (Canon's CR2 header, RAW compression, DNG, a trailer), one
 * whose image size is not IFD0's alone, or one {@link readSparseTiffTags} declines.
 */
export async function readTiffFileTags(file: FileBytes): Promise<FoundTag[] | null> {
  const head = await file.read(0, 16);
  // CR2 and Canon 1D RAW headers, and exiftool's own EXIF files, follow the TIFF header.
  if (/^(CR\x02\0|\xba\xb0\xac\xbb|ExifMeta)/.test(head.toString('latin1', 8, 16))) return null;
  const tail = await file.read(Math.max(0, file.size - 64), Math.min(64, file.size));
  if (TRAILERS.some((trailer) => trailer.test(tail.toString('latin1')))) return null;

  const view: TiffBytes = {
    length: file.size,
    get: (at, length) => {
      const bytes = file.loaded(at, length);
      if (!bytes) throw new MissingBytes(at, length);
      return bytes;
    },
  };
  for (let load = 0; load < MAX_LOADS; load++) {
    try {
      const tiff = readSparseTiffTags(view);
      return tiff && fileTags(tiff.tags, tiff.composite);
    } catch (error) {
      if (!(error instanceof MissingBytes)) throw error;
      await file.read(error.at, error.length);
    }
  }
  return null;
}

function fileTags(tags: FoundTag[], composite: FoundTag[]): FoundTag[] | null {
  if (tags.some((t) => t.name === 'Compression' && !PLAIN_COMPRESSION.has(Number(t.value)))) {
    return null;
  }
  // exiftool's ImageSize takes the ImageWidth/Height of highest priority: in a TIFF, the last
  // IFD's. With one IFD holding them the answer is plain.
  const widths = tags.filter((t) => t.name === 'ImageWidth');
  const heights = tags.filter((t) => t.name === 'ImageHeight');
  if (widths.length > 1 || heights.length > 1) return null;
  const [width] = widths;
  const [height] = heights;
  const size =
    width && height && width.group === height.group
      ? [{ group: 'Composite', name: 'ImageSize', value: `${width.value} ${height.value}` }]
      : [];
  if ((width || height) && size.length === 0) return null;
  return [
    { group: 'File', name: 'FileType', value: 'TIFF' },
    { group: 'File', name: 'MIMEType', value: 'image/tiff' },
    ...tags,
    ...composite,
    ...size,
  ];
}

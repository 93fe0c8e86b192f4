import type { FileBytes } from './file-bytes.js';
import type { FoundTag } from './found-tag.js';
import { readTiffTags } from './tiff.js';
import { xmpHoldsNothingAsked } from './xmp-packet.js';

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** What starts a standard XMP APP1 segment; extended XMP has another header and declines. */
const XMP_HEADER = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');

/**
 * APPn segments whose tags exiftool names otherwise than anything asked for (JFIF, ICC
 * profile, MPF, Adobe), by marker and the header that identifies them. Any other APPn (IPTC,
 * FlashPix, extended XMP, vendor data, a second Exif) makes the reader decline; a standard
 * XMP segment is passed over only when it names nothing asked for (xmp-packet.ts).
 */
const HARMLESS_APP: readonly { marker: number; header: string }[] = Object.freeze([
  { marker: 0xe0, header: 'JFIF\0' },
  { marker: 0xe0, header: 'JFXX\0' },
  { marker: 0xe2, header: 'ICC_PROFILE\0' },
  { marker: 0xe2, header: 'MPF\0' },
  { marker: 0xee, header: 'Adobe' },
]);

/** Start-of-frame markers, as exiftool takes them: SOF0..SOF15 but DHT, JPG and DAC. */
const isSof = (m: number): boolean => (m & 0xf0) === 0xc0 && (m === 0xc0 || (m & 0x03) !== 0);

/** Markers without tags: DHT, DAC, DQT, DRI, COM (its Comment is not asked for). */
const PLAIN = new Set([0xc4, 0xcc, 0xdb, 0xdd, 0xfe]);

/**
 * The tags of a JPEG as exiftool reads them with `-fast` (which stops at the start of scan):
 * the Exif APP1's, Composite:ImageSize from the first SOF, and File:FileType/MIMEType. `null`
 * when a segment is truncated, the markers are not back to back, or a segment holds what the
 * reader does not parse (see {@link HARMLESS_APP}).
 */
export async function readJpegTags(file: FileBytes): Promise<FoundTag[] | null> {
  let at = 2;
  let exif: FoundTag[] | null = null;
  let composite: FoundTag[] = [];
  let size: string | null = null;
  let xmp = false;
  for (;;) {
    const head = await file.read(at, 4);
    if (head.length < 2 || head[0] !== 0xff) return null;
    const marker = head[1] ?? 0;
    if (marker === 0xda) break; // SOS: -fast reads no further
    if (head.length < 4) return null;
    const length = head.readUInt16BE(2);
    if (length < 2 || at + 2 + length > file.size) return null;
    const body = (): Promise<Buffer> => file.read(at + 4, length - 2);
    if (isSof(marker)) {
      const sof = await body();
      // exiftool takes the first SOF only, and none shorter than 6 bytes.
      if (size === null && sof.length >= 6) size = `${sof.readUInt16BE(3)} ${sof.readUInt16BE(1)}`;
    } else if (marker === 0xe1) {
      const segment = await body();
      if (segment.subarray(0, XMP_HEADER.length).equals(XMP_HEADER)) {
        // A phone's XMP of its camera mode names nothing asked for; any other XMP declines.
        if (xmp || !xmpHoldsNothingAsked(segment.subarray(XMP_HEADER.length))) return null;
        xmp = true;
      } else {
        if (exif || size !== null || !segment.subarray(0, 6).equals(EXIF_HEADER)) return null;
        const tiff = readTiffTags(segment.subarray(6));
        if (!tiff) return null;
        exif = tiff.tags;
        composite = tiff.composite;
      }
    } else if (marker >= 0xe0 && marker <= 0xef) {
      const segment = await body();
      const known = HARMLESS_APP.some(
        (app) =>
          app.marker === marker && segment.toString('latin1', 0, app.header.length) === app.header,
      );
      if (!known) return null;
    } else if (!PLAIN.has(marker)) {
      return null;
    }
    at += 2 + length;
  }
  // Without a frame header exiftool would take ImageSize from elsewhere (or give none).
  if (size === null) return null;
  return [
    { group: 'File', name: 'FileType', value: 'JPEG' },
    { group: 'File', name: 'MIMEType', value: 'image/jpeg' },
    ...(exif ?? []),
    ...composite,
    { group: 'Composite', name: 'ImageSize', value: size },
  ];
}

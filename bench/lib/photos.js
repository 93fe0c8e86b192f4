// Generated inputs shared by the benchmarks.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** The capture date the i-th generated photo carries, spread over years, months and days. */
export function dateOf(i) {
  const year = 2010 + (i % 14);
  const month = String((i % 12) + 1).padStart(2, '0');
  const day = String((i % 28) + 1).padStart(2, '0');
  return `${year}:${month}:${day} 12:00:00`;
}

/**
 * An XMP packet with the photo's date, as an editor writes it: a JPEG carrying one is read by
 * exiftool (the in-process reader declines XMP that names a date), not in-process.
 */
const xmpWithDate = (i) =>
  `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
  `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="${dateOf(i).replace(/^(\d+):(\d+):(\d+) /, '$1-$2-$3T')}"/>` +
  `</rdf:RDF></x:xmpmeta>`;

/**
 * A small real JPEG (160×120, about 10 kB, like a phone thumbnail) unique to `i`; with
 * `xmp`, it also carries an XMP date, so that exiftool reads its tags.
 */
export function photo(i, { xmp = false } = {}) {
  const image = sharp({
    create: {
      width: 160,
      height: 120,
      channels: 3,
      background: { r: i & 0xff, g: (i >> 8) & 0xff, b: 90 + ((i >> 16) & 0x3f) },
    },
  })
    .jpeg({ quality: 85 })
    .withExif({ IFD0: { Make: 'BenchCam', Model: 'B1' }, IFD2: { DateTimeOriginal: dateOf(i) } });
  return (xmp ? image.withXmp(xmpWithDate(i)) : image).toBuffer();
}

/** The file name of the i-th generated photo. */
export const photoName = (i) => `IMG_${String(i).padStart(5, '0')}.jpg`;

/**
 * Writes photos `from`..`from + count - 1` into `dir`, with distinct content and dates;
 * with `padTo`, each padded after its end-of-image marker to that many bytes (exiftool reads
 * it as before), to stand for camera-sized photos without the cost of encoding them; with
 * `xmpEvery` n, every n-th also carries an XMP date, so that exiftool reads those.
 */
export async function generate(dir, count, from = 0, padTo = 0, xmpEvery = 0) {
  await mkdir(dir, { recursive: true });
  for (let i = from; i < from + count; i++) {
    const bytes = await photo(i, { xmp: xmpEvery > 0 && i % xmpEvery === 0 });
    const padding = Buffer.alloc(Math.max(0, padTo - bytes.length), i & 0xff);
    await writeFile(join(dir, photoName(i)), Buffer.concat([bytes, padding]));
  }
}

/** The daemon / scan configuration the benchmarks use: no AI, no places, API off. */
export function benchConfig({ concurrency, settle = 200, api = false } = {}) {
  return [
    'library: ./library',
    // Each run's library is a new folder: consent to making it.
    'createLibrary: true',
    'inboxes: [./inbox]',
    'state: ./state',
    `settle: ${settle}`,
    ...(concurrency ? [`concurrency: ${concurrency}`] : []),
    'geocode: { enabled: false }',
    'tagging: { enabled: false }',
    `api: { enabled: ${api} }`,
    'rules: [{ name: default, to: "{year}/{date}/{name}{ext}" }]',
    '',
  ].join('\n');
}

/**
 * A 12 MP JPEG (4000×3000, about 3.7 MB at quality 90) like a phone's: smooth noise scaled
 * up, so that it compresses like a photo rather than a flat colour or pure noise.
 */
export async function largePhoto(i) {
  return sharp(noise(500, 375, i), { raw: { width: 500, height: 375, channels: 3 } })
    .resize(4000, 3000, { kernel: 'cubic' })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'BenchCam', Model: 'B1' }, IFD2: { DateTimeOriginal: dateOf(i) } })
    .toBuffer();
}

/**
 * A file the size of a camera's RAW (3000×2800 8-bit RGB, uncompressed TIFF: 25 MB) with
 * its capture date in EXIF, as DNG and most RAW formats keep it (TIFF structure).
 */
export async function rawSizedPhoto(i) {
  return sharp(noise(300, 280, i), { raw: { width: 300, height: 280, channels: 3 } })
    .resize(3000, 2800, { kernel: 'cubic' })
    .tiff({ compression: 'none' })
    .withExif({ IFD0: { Make: 'BenchCam', Model: 'R1' }, IFD2: { DateTimeOriginal: dateOf(i) } })
    .toBuffer();
}

/** Pseudo-random RGB bytes, the same for the same seed. */
function noise(width, height, seed) {
  const bytes = Buffer.alloc(width * height * 3);
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let k = 0; k < bytes.length; k++) {
    s = (s * 1103515245 + 12345) >>> 0;
    bytes[k] = s >>> 24;
  }
  return bytes;
}

/** Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01. */
const QUICKTIME_EPOCH = 2_082_844_800;

/**
 * Writes an MP4 of `megabytes` MB to `path`: `ftyp`, a `moov` whose `mvhd` carries the
 * recording time (the QuickTime CreateDate a camera writes, in UTC) and an `mdat` of
 * pseudo-random bytes standing for the stream. exiftool reads it as any phone's MP4.
 */
export async function writeVideo(path, i, megabytes) {
  const box = (type, ...parts) => {
    const body = Buffer.concat(parts);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const [date, time] = dateOf(i).split(' ');
  const unix = Date.parse(`${date.replaceAll(':', '-')}T${time}Z`) / 1000;
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(unix + QUICKTIME_EPOCH, 4);
  mvhd.writeUInt32BE(unix + QUICKTIME_EPOCH, 8);
  mvhd.writeUInt32BE(1000, 12);
  mvhd.writeUInt32BE(60_000, 16);
  mvhd.writeUInt32BE(0x00010000, 20);
  mvhd.writeUInt16BE(0x0100, 24);
  for (const [at, value] of [
    [36, 0x00010000],
    [52, 0x00010000],
    [68, 0x40000000],
  ])
    mvhd.writeUInt32BE(value, at);
  mvhd.writeUInt32BE(2, 96);
  const head = Buffer.concat([
    box('ftyp', Buffer.from('isom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isommp41')),
    box('moov', box('mvhd', mvhd)),
  ]);
  const chunk = noise(1 << 18, 4, i);
  const size = megabytes * 1_000_000;
  const mdatHead = Buffer.alloc(8);
  mdatHead.writeUInt32BE(8 + size, 0);
  mdatHead.write('mdat', 4, 'latin1');
  const out = await open(path, 'w');
  try {
    await out.write(head);
    await out.write(mdatHead);
    for (let written = 0; written < size; written += chunk.length) {
      await out.write(chunk, 0, Math.min(chunk.length, size - written));
    }
  } finally {
    await out.close();
  }
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** What a generated photo carries. */
export interface PhotoSpec {
  /** `YYYY:MM:DD HH:MM:SS`, written as ExifIFD:DateTimeOriginal when given. */
  date?: string;
  /** Written as ExifIFD:OffsetTimeOriginal, e.g. `+01:00`. */
  offset?: string;
  make?: string;
  model?: string;
  /** Seeds the pixel colour, so that different seeds give different content. */
  seed?: number;
  width?: number;
  height?: number;
}

/**
 * A real JPEG made with sharp, with the EXIF tags of `spec`. Different seeds give different
 * bytes, so generated photos are never each other's duplicates.
 */
export async function makeJpeg(spec: PhotoSpec = {}): Promise<Buffer> {
  const seed = spec.seed ?? 0;
  const exifIfd: Record<string, string> = {};
  if (spec.date) exifIfd.DateTimeOriginal = spec.date;
  if (spec.offset) exifIfd.OffsetTimeOriginal = spec.offset;
  const ifd0: Record<string, string> = {};
  if (spec.make) ifd0.Make = spec.make;
  if (spec.model) ifd0.Model = spec.model;
  // The seed spreads over three channels and the image size, so 16 million seeds differ.
  const background = { r: seed & 0xff, g: (seed >> 8) & 0xff, b: (seed >> 16) & 0xff };
  return sharp({
    create: {
      width: spec.width ?? 32 + (seed % 7),
      height: spec.height ?? 24,
      channels: 3,
      background,
    },
  })
    .jpeg({ quality: 80 })
    .withExif({ IFD0: ifd0, IFD2: exifIfd })
    .toBuffer();
}

/** Writes a generated JPEG to `path`, creating folders. */
export async function writeJpeg(path: string, spec: PhotoSpec = {}): Promise<Buffer> {
  const bytes = await makeJpeg(spec);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return bytes;
}

/**
 * Writes a generated JPEG padded after its end-of-image marker to `size` bytes (2 MiB by
 * default): a photo as large as a camera's, above the size photosortd hashes on sight,
 * that exiftool reads like any JPEG. The padding follows the seed, so seeds differ.
 */
export async function writeLargeJpeg(
  path: string,
  spec: PhotoSpec = {},
  size = 2 << 20,
): Promise<Buffer> {
  const photo = await makeJpeg(spec);
  const padding = Buffer.alloc(size - photo.length);
  for (let i = 0; i < padding.length; i++) padding[i] = (i * 131 + (spec.seed ?? 0) * 17) & 0xff;
  const bytes = Buffer.concat([photo, padding]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return bytes;
}

/**
 * Writes at `target` a copy of the AVCHD fixture `et_M2TS.mts` whose recording date has the
 * camera's daylight-saving flag set (bit 0x40 of the time-zone byte of its H.264 MDPM date),
 * as a Sony camera writes it in summer: exiftool then prints `2008:12:31 23:16:24+01:00 DST`.
 * exiftool cannot write H.264 tags, so the one byte is set here.
 */
export async function writeAvchdWithDst(target: string): Promise<string> {
  const bytes = await readFile(join(import.meta.dirname, '..', 'fixtures', 'et_M2TS.mts'));
  // Tag 0x18: zone byte, 2008-12; tag 0x19: day 31, 23:16:24 (BCD).
  const date = Buffer.from([0x20, 0x08, 0x12, 0x19, 0x31, 0x23, 0x16, 0x24]);
  const zone = bytes.indexOf(date) - 1;
  if (zone < 1 || bytes[zone - 1] !== 0x18) throw new Error('et_M2TS.mts: no H.264 date found');
  bytes[zone] = bytes[zone]! | 0x40;
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, bytes);
  return target;
}

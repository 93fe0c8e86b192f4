import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

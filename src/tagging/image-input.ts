import type { ExifTool } from 'exiftool-vendored';
import type { Sharp } from 'sharp';
import sharp from 'sharp';
import type { PhotoMeta } from '../lib/media.js';
import { errorMessage } from '../lib/errors.js';
import type { ImageSpec } from './model-files.js';

/** File types libvips (as sharp ships it) decodes itself; others go through a preview. */
const DECODABLE = new Set(['JPEG', 'PNG', 'WEBP', 'GIF', 'TIFF', 'AVIF']);

/** Embedded JPEGs exiftool can extract, largest useful first. */
export const PREVIEW_TAGS = ['PreviewImage', 'JpgFromRaw', 'OtherImage', 'ThumbnailImage'];

/**
 * What tagging reads of a file: where it is, its content hash (the embedding cache's key) and
 * what exiftool found. The pipeline's `FileJob` is one; tagging does not know the pipeline.
 */
export interface TaggableFile {
  source: string;
  hash?: string;
  meta?: Pick<PhotoMeta, 'fileType' | 'orientation'>;
}

/**
 * Applies an EXIF orientation (1–8) to an image whose own bytes carry none, as RAW and HEIC
 * previews do; the main image's orientation is what the camera meant.
 */
export function orient(image: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.rotate(90).flop();
    case 6:
      return image.rotate(90);
    case 7:
      return image.rotate(270).flop();
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}

/**
 * What the vision tower is given for one image, before normalisation: RGB bytes, `size` ×
 * `size` × 3, row-major. Small (150 KB at 224 px) and free of paths, so it can be sent to a
 * worker on another machine that has the model but not the photo.
 */
export interface ModelInput {
  size: number;
  rgb: Uint8Array;
}

/**
 * Decodes an image into the model's square: resized so the short side fits (JPEG
 * shrink-on-load does most of the work), centre-cropped, EXIF orientation applied.
 */
async function decodeModelInput(
  input: string | Buffer,
  spec: ImageSpec,
  fallbackOrientation: number | null = null,
): Promise<ModelInput> {
  let image = sharp(input, { failOn: 'error', sequentialRead: true });
  const { orientation } = await image.metadata();
  image =
    orientation !== undefined && orientation > 1
      ? image.rotate()
      : orient(image, fallbackOrientation ?? 1);
  const { data, info } = await image
    .resize(spec.size, spec.size, { fit: 'cover', position: 'centre', kernel: 'cubic' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== spec.size || info.height !== spec.size) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, not RGB`);
  }
  return { size: spec.size, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * The model's `pixel_values` for a decoded image, channel-first, normalised with the
 * processor's mean and std.
 */
export function pixelValues(input: ModelInput, spec: ImageSpec): Float32Array {
  if (input.size !== spec.size || input.rgb.length !== 3 * spec.size * spec.size) {
    throw new Error(
      `the model takes ${spec.size}×${spec.size}×3 RGB, not ${input.size}×${input.size}`,
    );
  }
  const plane = spec.size * spec.size;
  const data = input.rgb;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const scale = spec.rescale / spec.std[c]!;
    const shift = spec.mean[c]! / spec.std[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = data[i * 3 + c]! * scale - shift;
  }
  return out;
}

/** {@link decodeModelInput} then {@link pixelValues}: the model's input for an image file. */
export async function preparePixels(
  input: string | Buffer,
  spec: ImageSpec,
  fallbackOrientation: number | null = null,
): Promise<Float32Array> {
  return pixelValues(await decodeModelInput(input, spec, fallbackOrientation), spec);
}

/** One place a photo's pixels may be decoded from: the file, or an embedded preview. */
export interface ImageCandidate {
  input: string | Buffer;
  /** `file`, or the exiftool tag of the preview. */
  from: string;
  /** The orientation to apply when the input carries none (a preview of a rotated photo). */
  orientation: number | null;
}

/**
 * Where a photo's pixels may come from, best first: the file itself when sharp can decode
 * its type (or the type is unknown), then each JPEG preview exiftool extracts (HEIC, RAW).
 * Lazy: a preview is extracted only when the ones before it did not decode.
 */
export async function* imageCandidates(
  job: Pick<TaggableFile, 'source' | 'meta'>,
  exiftool: ExifTool,
): AsyncGenerator<ImageCandidate> {
  const fileType = job.meta?.fileType ?? null;
  const orientation = job.meta?.orientation ?? null;
  if (fileType === null || DECODABLE.has(fileType.toUpperCase())) {
    yield { input: job.source, from: 'file', orientation: null };
  }
  for (const tag of PREVIEW_TAGS) {
    let preview: Buffer;
    try {
      preview = await exiftool.extractBinaryTagToBuffer(tag, job.source);
    } catch {
      continue;
    }
    yield { input: preview, from: tag, orientation };
  }
}

/**
 * The model input for a photo: the first of {@link imageCandidates} that decodes. Never throws; says
 * why on failure.
 */
export async function pixelsForJob(
  job: TaggableFile,
  spec: ImageSpec,
  exiftool: ExifTool,
): Promise<{ ok: true; input: ModelInput; from: string } | { ok: false; reason: string }> {
  const fileType = job.meta?.fileType ?? null;
  const problems: string[] = [];
  for await (const candidate of imageCandidates(job, exiftool)) {
    try {
      const input = await decodeModelInput(candidate.input, spec, candidate.orientation);
      return { ok: true, input, from: candidate.from };
    } catch (error) {
      problems.push(
        `${candidate.from === 'file' ? (fileType ?? 'file') : candidate.from}: ${errorMessage(error)}`,
      );
    }
  }
  const why =
    problems.length > 0
      ? `no decodable image (${problems.join('; ')})`
      : `sharp cannot decode ${fileType ?? 'this file'} and it holds no embedded JPEG preview`;
  return { ok: false, reason: why };
}

import type { ExifTool } from 'exiftool-vendored';
import type { Sharp } from 'sharp';
import sharp from 'sharp';
import type { PhotoMeta } from '../lib/media.js';
import { errorMessage } from '../lib/errors.js';
import type { RawImage } from './heif-decode.js';
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
function orient(image: Sharp, orientation: number): Sharp {
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
 * An upright image in the model's square: resized so the short side fits (JPEG
 * shrink-on-load does most of the work), centre-cropped.
 */
async function modelInput(image: Sharp, spec: ImageSpec): Promise<ModelInput> {
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

/** The model's input for an image file or encoded bytes, EXIF orientation applied. */
export async function preparePixels(
  input: string | Buffer,
  spec: ImageSpec,
  fallbackOrientation: number | null = null,
): Promise<Float32Array> {
  const image = await uprightImage({ input, orientation: fallbackOrientation });
  return pixelValues(await modelInput(image, spec), spec);
}

/**
 * One place a photo's pixels may be decoded from: the file, an embedded preview, or the
 * pixels of a HEIF file decoded by libheif.
 */
export interface ImageCandidate {
  /** A path or encoded bytes for sharp, or a function giving decoded pixels. */
  input: string | Buffer | (() => Promise<RawImage>);
  /** `file`, the exiftool tag of the preview, or `HEVC`. */
  from: string;
  /** The orientation to apply when the input carries none (a preview of a rotated photo). */
  orientation: number | null;
}

/**
 * A candidate opened in sharp and turned upright: by the orientation the image carries
 * itself, else by the candidate's. The one place the tagger and the thumbnailer open a
 * photo's pixels. Throws when the input does not decode.
 */
export async function uprightImage(
  candidate: Pick<ImageCandidate, 'input' | 'orientation'>,
): Promise<Sharp> {
  if (typeof candidate.input === 'function') {
    // libheif has applied the HEIF transformations: these pixels are upright already.
    const { data, width, height, channels } = await candidate.input();
    return sharp(data, { raw: { width, height, channels } });
  }
  const image = sharp(candidate.input, { failOn: 'error', sequentialRead: true });
  const { orientation } = await image.metadata();
  return orientation !== undefined && orientation > 1
    ? image.rotate()
    : orient(image, candidate.orientation ?? 1);
}

/**
 * Where a photo's pixels may come from, best first: the file itself when sharp can decode
 * its type (or the type is unknown), then each JPEG preview exiftool extracts (HEIC, RAW),
 * then, for a HEIF file, its HEVC image decoded in-process (slower: about 0.5–0.8 s per
 * 12 MP photo, in a worker thread). Lazy: each is tried only when the ones before it did not
 * decode, and the HEVC decoder is loaded only then.
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
  const heif = await heifCandidate(job.source);
  if (heif) yield heif;
}

/**
 * A HEIF file's own image as a candidate, decoded in-process when opened (heic-decode in a
 * worker thread: HEVC, which sharp's libvips cannot decode); null for any other file. The
 * decoder's module is loaded only here.
 */
export async function heifCandidate(path: string): Promise<ImageCandidate | null> {
  const heif = await import('./heif-decode.js');
  if (!(await heif.isHeif(path).catch(() => false))) return null;
  return { input: () => heif.decodeHeif(path), from: 'HEVC', orientation: null };
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
      const input = await modelInput(await uprightImage(candidate), spec);
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

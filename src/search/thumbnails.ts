import type { ExifTool } from 'exiftool-vendored';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { PREVIEW_TAGS, imageCandidates, orient } from '../tagging/image-input.js';

/** Thumbnail settings, each with its reason. */
export const THUMBNAIL_DEFAULTS = Object.freeze({
  /** Longest side in pixels: sharp on a dashboard grid of ~180 px cells, on 2× screens too. */
  size: 360,
  /** JPEG quality: small files; thumbnails are looked at, not studied. */
  quality: 75,
  /** A thumbnail is named by its content hash, so a browser may keep it for a day. */
  maxAgeSeconds: 86_400,
});

/** A thumbnail ready to serve. */
export interface Thumbnail {
  bytes: Buffer;
  /** Strong ETag: the content's hash and the thumbnail size. */
  etag: string;
}

/** Where a content's thumbnail is cached: `<state>/thumbs/<hash>-<size>.jpg`. */
function thumbnailPath(stateDir: string, hash: string, size = THUMBNAIL_DEFAULTS.size): string {
  return join(stateDir, 'thumbs', `${hash}-${size}.jpg`);
}

/**
 * A small JPEG of a library photo, made once per content and then read from the cache:
 * from the file when sharp decodes it, else from the largest preview exiftool finds in it
 * (HEIC, RAW), turned upright. Throws `THUMBNAIL_UNAVAILABLE` when no image decodes, saying
 * why; there is no stand-in picture, which would pass for the photo.
 */
export async function thumbnail(
  file: { path: string; hash: string },
  options: { stateDir: string; exiftool: ExifTool },
): Promise<Thumbnail> {
  const { size, quality } = THUMBNAIL_DEFAULTS;
  const cached = thumbnailPath(options.stateDir, file.hash);
  const etag = `"${file.hash.slice(0, 32)}-${size}"`;
  const hit = await readFile(cached).catch(() => null);
  if (hit) return { bytes: hit, etag };
  const problems: string[] = [];
  for await (const candidate of imageCandidates({ source: file.path }, options.exiftool)) {
    try {
      let image = sharp(candidate.input, { failOn: 'error' });
      const { orientation } = await image.metadata();
      image =
        orientation && orientation > 1 ? image.rotate() : orient(image, candidate.orientation ?? 1);
      const bytes = await image
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality, mozjpeg: false })
        .toBuffer();
      await mkdir(join(options.stateDir, 'thumbs'), { recursive: true });
      // Written aside and renamed, so a reader never sees half a thumbnail.
      const partial = `${cached}.${process.pid}.part`;
      await writeFile(partial, bytes);
      await rename(partial, cached);
      return { bytes, etag };
    } catch (error) {
      problems.push(`${candidate.from}: ${lastLine(errorMessage(error))}`);
    }
  }
  throw new PhotosortdError(
    'THUMBNAIL_UNAVAILABLE',
    `no thumbnail for ${file.path}: ${await whyNoImage(file.path, problems)}`,
  );
}

/**
 * Why no image of a file decodes, for a person: a HEIC whose every image is HEVC (an iPhone's,
 * most often) gets its own sentence, as nothing is wrong with it.
 */
async function whyNoImage(path: string, problems: string[]): Promise<string> {
  const meta = await sharp(path)
    .metadata()
    .catch(() => null);
  if (meta?.format === 'heif' && meta.compression === 'hevc') {
    return (
      'its images are HEVC-compressed, which the image library photosortd bundles (libvips as ' +
      'sharp ships it) cannot decode, and it holds no JPEG preview (exiftool finds no ' +
      `${PREVIEW_TAGS.join(', ')}). The photo itself is intact; a JPEG copy of it would get a ` +
      'thumbnail'
    );
  }
  return problems.length > 0 ? problems.join('; ') : 'no image in it that sharp can decode';
}

/** libvips prefixes its reason with lines of detail (`bad seek to …`); the last line says it. */
function lastLine(message: string): string {
  return message.trim().split('\n').pop()!;
}

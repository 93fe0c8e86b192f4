import { stat } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { isInside } from '../lib/sanitize.js';
import { heifCandidate, uprightImage } from '../tagging/image-input.js';

/** Thumbnail settings, each with the reason for its value. */
const THUMBNAIL_DEFAULTS = Object.freeze({
  /** Longest edge in pixels: sharp enough for a feed row at twice the CSS size. */
  size: 160,
  /** JPEG quality: a thumbnail is looked at for a second, not printed. */
  quality: 70,
});

/** A small JPEG of a photo and the tag that names this version of it. */
export interface Thumbnail {
  jpeg: Buffer;
  etag: string;
}

/**
 * Renders a thumbnail of `path` when it lies under one of `roots` (library, inboxes, trash);
 * `undefined` for anything else or anything that does not decode (a video, a sidecar). The
 * search work serves `/thumb/:id` from its index; this serves files by path for the pages.
 */
export async function thumbnailOf(
  path: string,
  roots: readonly string[],
): Promise<Thumbnail | undefined> {
  if (!roots.some((root) => isInside(root, path))) return undefined;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const jpeg = await small(sharp(path, { failOn: 'none' }).rotate())
    .catch(async () => {
      // An iPhone HEIC: HEVC, which sharp cannot decode, so decoded as tagging decodes it.
      const heif = await heifCandidate(path);
      return heif ? small(await uprightImage(heif)) : undefined;
    })
    .catch(() => undefined);
  if (!jpeg) return undefined;
  return { jpeg, etag: `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"` };
}

/** The feed's JPEG of an upright image. */
function small(image: Sharp): Promise<Buffer> {
  return image
    .resize(THUMBNAIL_DEFAULTS.size, THUMBNAIL_DEFAULTS.size, { fit: 'inside' })
    .jpeg({ quality: THUMBNAIL_DEFAULTS.quality })
    .toBuffer();
}

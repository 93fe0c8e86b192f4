import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { isInside } from '../lib/sanitize.js';

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
 * `undefined` for anything else or anything sharp cannot read (a video, a sidecar). The
 * search work serves `/thumb/:id` from its index; this serves files by path for the pages.
 */
export async function thumbnailOf(
  path: string,
  roots: readonly string[],
): Promise<Thumbnail | undefined> {
  if (!roots.some((root) => isInside(root, path))) return undefined;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  try {
    const jpeg = await sharp(path, { failOn: 'none' })
      .rotate()
      .resize(THUMBNAIL_DEFAULTS.size, THUMBNAIL_DEFAULTS.size, { fit: 'inside' })
      .jpeg({ quality: THUMBNAIL_DEFAULTS.quality })
      .toBuffer();
    return { jpeg, etag: `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"` };
  } catch {
    return undefined;
  }
}

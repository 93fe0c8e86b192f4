import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PhotosortdError, errorCode } from '../lib/errors.js';
import { hashFile } from '../lib/hash.js';
import type { ImageEmbedder } from '../tagging/tagger.js';
import type { SearchIndex } from './store.js';

/** Sum of unit vectors minus others, scaled back to unit length: "beach" + this photo. */
export function combineVectors(plus: Float32Array[], minus: Float32Array[] = []): Float32Array {
  const dim = (plus[0] ?? minus[0])?.length ?? 0;
  const sum = new Float32Array(dim);
  for (const [vectors, sign] of [
    [plus, 1],
    [minus, -1],
  ] as const) {
    for (const vector of vectors) for (let i = 0; i < dim; i++) sum[i]! += sign * vector[i]!;
  }
  const norm = Math.hypot(...sum);
  if (norm < 1e-9) {
    throw new PhotosortdError(
      'SEARCH_EMPTY_QUERY',
      'the query parts cancel out; search with fewer or other parts',
    );
  }
  return sum.map((v) => v / norm);
}

/**
 * The image embedding of a file for `similar`: the index's own when the library file is
 * indexed, else (with an `embedder`) the stored one of the same content or one made now (a
 * photo from elsewhere, an upload). Without an embedder only indexed library files are
 * taken, and nothing else is read. Throws with what to do when the file cannot be read or
 * embedded; `shown` names the file in those messages (an upload's temporary path means
 * nothing to its sender).
 */
export async function imageVector(
  index: SearchIndex,
  file: string,
  embedder: (() => Promise<ImageEmbedder>) | null,
  shown: string = resolve(file),
): Promise<{ vector: Float32Array; hash: string; path: string }> {
  const path = resolve(file);
  const known = index.fileAt(path);
  const knownVector = known ? index.embedding(known.hash) : null;
  if (known && knownVector) return { vector: knownVector, hash: known.hash, path };
  if (!embedder) {
    throw new PhotosortdError(
      'NOT_INDEXED',
      `${shown} is not in the search index; give the path of an indexed library file`,
    );
  }
  try {
    const info = await lstat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
  } catch (error) {
    throw new PhotosortdError(
      'SEARCH_BAD_IMAGE',
      `${shown} cannot be read (${errorCode(error)}); give the path of a photo`,
      { cause: error },
    );
  }
  const hash = await hashFile(path);
  const stored = index.embedding(hash);
  if (stored) return { vector: stored, hash, path };
  const made = await (await embedder()).embed({ source: path, hash });
  if (!made) {
    throw new PhotosortdError(
      'SEARCH_BAD_IMAGE',
      `${shown} holds no image the model can read (not a photo, or damaged); use a JPEG, ` +
        'PNG, WebP, HEIC, TIFF or a RAW with an embedded preview',
    );
  }
  return { vector: made, hash, path };
}

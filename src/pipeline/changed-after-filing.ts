import { stat } from '../lib/metadata.js';
import type { Journal } from '../journal/journal.js';
import type { LibraryIndex } from '../journal/library-index.js';
import { hashFile } from '../lib/hash.js';

/** A filed file's content as it was last hashed. */
export interface FiledContent {
  hash: string;
  size: number;
  mtimeMs: number;
}

/**
 * Hashes a filed file again and records its bytes as the ones filed: the journal row that
 * put it at `path` takes the new hash and size (its details keep the old ones with
 * `reason`; see `Journal.amendContent`), and the library index finds it by its new content.
 * A writer that had the file open through a rename or link can go on writing into the
 * library copy; without this, duplicate detection would look for bytes no longer there and
 * undo would refuse the file as changed. Returns `undefined` when the file is gone, or when
 * it changed again while it was read (the caller waits for it to settle and asks again).
 */
export async function recordFiledContent(
  journal: Journal,
  index: LibraryIndex,
  path: string,
  reason: string,
): Promise<FiledContent | undefined> {
  const before = await stat(path).catch(() => undefined);
  if (!before) return undefined;
  const hash = await hashFile(path).catch(() => undefined);
  const after = await stat(path).catch(() => undefined);
  if (!hash || !after || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    return undefined;
  }
  journal.amendContent(path, hash, after.size, reason);
  index.add(path, hash, after.size, after.mtimeMs);
  return { hash, size: after.size, mtimeMs: after.mtimeMs };
}

import type { BigIntStats } from 'node:fs';
import { lstat } from '../lib/metadata.js';
import type { Journal } from '../journal/journal.js';
import { stillUnreadFile } from '../journal/journaled-move.js';
import type { JournalEntry } from '../journal/types.js';
import { withHash } from './content-hash.js';
import type { FileJob, Stage } from './job.js';

/** The error code of a file left in the inbox because undo put it there. */
const RESTORED_BY_UNDO = 'RESTORED_BY_UNDO';

const RESTORED =
  'put back here by undo and untouched since; it is filed again once it changes, is copied ' +
  'in anew, or with `photosortd scan`';

/**
 * For the daemon, whose inboxes undo restores into: leaves alone the very file an undo put
 * back — same path and content, and an inode unchanged since that undo finished (a link,
 * a copy or a write sets its ctime later). The same photos copied in again after an undo
 * are a new drop (new inode, later ctime) and are filed.
 */
export function createRestoredStage(journal: Journal): Stage {
  return async (job: FileJob): Promise<FileJob> => {
    if (job.error) return job;
    const restored = journal.restoredAt(job.source);
    if (!restored || restored.size !== job.size) return job;
    const info = await lstat(job.source, { bigint: true }).catch(() => undefined);
    // The journal's time has whole milliseconds; the inode's may have a fraction more.
    if (!info || Math.floor(Number(info.ctimeNs / 1_000_000n)) > Date.parse(restored.finishedAt)) {
      return job;
    }
    if (!(await sameContent(job, restored.hash, restored.entry, info))) return job;
    return { ...job, error: { code: RESTORED_BY_UNDO, stage: 'restored', message: RESTORED } };
  };
}

/**
 * Whether the file holds what the undo put back: the same hash, or for a file undo moved
 * unread by hard link, the inode, size and mtime its row recorded.
 */
async function sameContent(
  job: FileJob,
  hash: string | null,
  entry: JournalEntry,
  info: BigIntStats,
): Promise<boolean> {
  if (hash !== null) return (await withHash(job).catch(() => job)).hash === hash;
  return stillUnreadFile(entry, info);
}

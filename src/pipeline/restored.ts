import { lstat } from 'node:fs/promises';
import type { Journal } from '../journal/journal.js';
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
    if (!job.hash || job.error) return job;
    const at = journal.restoredAt(job.source, job.hash);
    if (!at) return job;
    const info = await lstat(job.source).catch(() => undefined);
    // The journal's time has whole milliseconds; the inode's may have a fraction more.
    if (!info || Math.floor(info.ctimeMs) > Date.parse(at)) return job;
    return { ...job, error: { code: RESTORED_BY_UNDO, stage: 'restored', message: RESTORED } };
  };
}

import { lstat } from '../lib/metadata.js';
import type { Config } from '../config/load.js';
import type { Journal } from '../journal/journal.js';
import type { Stage } from './job.js';

/**
 * The settings that decide whether a file stays in the inbox: a file left under them is
 * remembered with them, and looked at again when they change.
 */
export function leavingPolicy(config: Config): string {
  return `duplicates: ${config.duplicates}; onCollision: ${config.onCollision}`;
}

/**
 * A stage before `identify`: a file the daemon left in the inbox before (the journal's
 * `left_in_inbox`), unchanged since and under the same policy, is left again without being
 * hashed or read — a restart does not redo, or warn about, what it decided already.
 */
export function createLeftBeforeStage(journal: Journal, policy: string): Stage {
  return async (job) => {
    if (job.error) return job;
    const info = await lstat(job.source).catch(() => undefined);
    if (!info?.isFile()) return job;
    const left = journal.leftBefore(job.source, info.size, info.mtimeMs, policy);
    if (!left) return job;
    const message = `left in the inbox before, unchanged since: ${left.reason}`;
    return {
      ...job,
      size: info.size,
      mtimeMs: info.mtimeMs,
      error: { code: 'LEFT_BEFORE', stage: 'left', message },
    };
  };
}

import type { ExifTool } from 'exiftool-vendored';
import { constants } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Journal } from '../journal/journal.js';
import { errorCode, errorMessage } from '../lib/errors.js';
import { exists } from '../lib/exists.js';
import { hashFile } from '../lib/hash.js';
import { sidecarPath, writeTags } from '../tagging/write-tags.js';
import type { FileJob, Stage } from './job.js';

/** Options of {@link createWriteTagsStage}. */
export interface WriteTagsOptions {
  mode: 'sidecar' | 'embed';
  exiftool: ExifTool;
  journal: Journal;
  batch: () => string;
  /** Where `embed` keeps each file's untouched bytes, by content hash, for undo. */
  originalsDir: string;
}

/**
 * Runs after the move: writes the file's AI tags where photo managers read them, on the
 * library copy. What it writes is journaled in the file's group, so undo takes it back
 * with the file: a sidecar it created is put in the trash, and an embedded file is
 * replaced by its untouched bytes before it is moved back.
 */
export function createWriteTagsStage(options: WriteTagsOptions): Stage {
  const { mode, exiftool, journal, batch, originalsDir } = options;

  return async (job) => {
    const target = job.plan?.action === 'move' ? job.plan.target : null;
    if (!target || !job.hash || !job.tags || job.tags.length === 0) return job;
    try {
      const sidecarExisted = await exists(sidecarPath(target));
      const original = mode === 'embed' ? await keepOriginal(job.hash, target) : null;
      const { written } = await writeTags(target, job.tags, mode, exiftool);
      if (written && !sidecarExisted) await recordCreated(job, written);
      if (original) await recordRewritten(job, target, original);
      return job;
    } catch (error) {
      // The file is filed; only its tags are missing. That is worth saying, not an error.
      const reason = `filed, but its tags were not written: ${errorMessage(error)}`;
      return { ...job, plan: { ...job.plan!, reason } };
    }
  };

  /** A copy of the file as it was filed, named by its hash (the same bytes are kept once). */
  async function keepOriginal(hash: string, file: string): Promise<string> {
    await mkdir(originalsDir, { recursive: true });
    const copy = join(originalsDir, hash + extname(file).toLowerCase());
    try {
      await copyFile(file, copy, constants.COPYFILE_EXCL);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    return copy;
  }

  async function recordCreated(job: FileJob, sidecar: string): Promise<void> {
    journal.record({
      batch: batch(),
      op: 'create',
      source: sidecar,
      target: sidecar,
      hash: await hashFile(sidecar),
      size: (await stat(sidecar)).size,
      action: 'move',
      rule: job.plan?.rule ?? null,
      group: job.group ?? null,
      details: { tags: job.tags },
    });
  }

  async function recordRewritten(job: FileJob, file: string, original: string): Promise<void> {
    const hash = await hashFile(file);
    if (hash === job.hash) return;
    journal.record({
      batch: batch(),
      op: 'rewrite',
      source: original,
      target: file,
      hash,
      size: (await stat(file)).size,
      action: 'move',
      rule: job.plan?.rule ?? null,
      group: job.group ?? null,
      details: { originalHash: job.hash, tags: job.tags },
    });
  }
}

import type { ExifTool } from 'exiftool-vendored';
import { writeTags } from '../tagging/index.js';
import type { Stage } from './job.js';

/**
 * Runs after the move: writes the file's AI tags where photo managers read them (an XMP
 * sidecar beside the filed photo, or embedded). It works on the library copy, never the
 * inbox file, so the journal's record of the original bytes stays true.
 */
export function createWriteTagsStage(mode: 'sidecar' | 'embed', exiftool: ExifTool): Stage {
  return async (job) => {
    const target = job.plan?.action === 'move' ? job.plan.target : null;
    if (!target || !job.tags || job.tags.length === 0) return job;
    await writeTags(target, job.tags, mode, exiftool);
    return job;
  };
}

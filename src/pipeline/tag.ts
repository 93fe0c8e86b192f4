import type { Tagger } from '../tagging/tagger.js';
import type { Stage } from './job.js';

/**
 * CLIP zero-shot tags. Photos get their tags (an empty list when no label scores
 * high enough); videos, and photos whose pixels cannot be read, get `null` — videos are not
 * tagged for now. A job that already failed passes through untouched. Never throws.
 */
export function createTagStage(tagger: Tagger): Stage {
  return async (job) => {
    if (job.error) return job;
    if (job.kind !== 'photo') return { ...job, tags: null };
    return { ...job, tags: await tagger.tag(job) };
  };
}

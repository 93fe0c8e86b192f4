import { formatCaptureDate } from '../lib/capture-date.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { MediaFacts, SearchIndex } from '../search/index.js';
import type { Tagger } from '../tagging/tagger.js';
import type { Tag } from '../lib/media.js';
import { withHash } from './content-hash.js';
import type { FileJob, Stage } from './job.js';

/** What the search index keeps of a file's content: kind, date, camera, place and tags. */
export function mediaFacts(job: FileJob, tags: Tag[]): MediaFacts {
  const { make, model } = job.meta?.camera ?? { make: null, model: null };
  const camera = [make, model].filter((part) => part).join(' ');
  return {
    kind: job.kind ?? 'other',
    takenAt: job.meta?.takenAt ? formatCaptureDate(job.meta.takenAt) : null,
    camera: camera || null,
    place: job.place ?? null,
    tags,
  };
}

/**
 * CLIP zero-shot tags. Photos get their tags (an empty list when no label scores
 * high enough); videos, and photos whose pixels cannot be read, get `null` — videos are not
 * tagged for now. With a search index, the image embedding the tags came from is stored
 * there by content hash (no second model run); the journal says later where the file went.
 * A job that already failed passes through untouched. Never throws.
 */
export function createTagStage(
  tagger: Tagger,
  options: { index?: SearchIndex | null; logger?: Logger } = {},
): Stage {
  return async (unread) => {
    if (unread.error) return unread;
    if (unread.kind !== 'photo') return { ...unread, tags: null };
    // The model reads every byte anyway; the hash keys its cache and the search index. A
    // file that cannot be read now is left to the tagger, which says so.
    const job = await withHash(unread).catch(() => unread);
    const result = await tagger.analyse(job);
    if (result && job.hash && options.index) {
      try {
        options.index.putEmbedding(job.hash, result.embedding);
        options.index.putFacts(job.hash, mediaFacts(job, result.tags));
      } catch (error) {
        // Filing goes on; `photosortd index` embeds what the index missed.
        options.logger?.warn(
          { file: job.source },
          `not indexed for search: ${errorMessage(error)}`,
        );
      }
    }
    return { ...job, tags: result?.tags ?? null };
  };
}

/**
 * CLIP zero-shot tagging: the tagger. Its label list (`labels.ts`) and where tags are written
 * (`write-tags.ts`) are imported from their modules, so that the start-up checks and the
 * write-tags stage do not load the tagger, sharp and the model runtime.
 */
export { createTagger, type Tagger } from './tagger.js';

/** CLIP zero-shot tagging: the tagger, its label list and where tags are written. */
export { createTagger, type Tagger } from './tagger.js';
export { loadLabels } from './labels.js';
export { sidecarPath, writeTags } from './write-tags.js';

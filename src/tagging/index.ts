/** CLIP zero-shot tagging: the tagger, its label list and where tags are written. */
export {
  createDisabledTagger,
  createTagger,
  type Tagger,
  type TaggerOptions,
  type TaggerStats,
  type TaggerStatus,
} from './tagger.js';
export { DEFAULT_LABELS_FILE, loadLabels, parseLabelList, promptFor } from './labels.js';
export { sidecarPath, writeTags, type TagWriteMode } from './write-tags.js';
export { inspectModelDir, type ImageSpec, type ModelFiles } from './model-files.js';

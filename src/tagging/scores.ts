import type { Tag } from '../lib/media.js';

/**
 * CLIP's learnt temperature (exp of its logit scale, clamped at 100 in training): cosine
 * similarities are multiplied by it before the softmax, as the full model does.
 */
const CLIP_LOGIT_SCALE = 100;

/** Scales a vector to unit length; a zero vector stays zero (it matches nothing). */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  return norm > 1e-12 ? vector.map((v) => v / norm) : new Float32Array(vector.length);
}

/**
 * Zero-shot scores: softmax over the labels of the scaled cosine similarity between the image
 * and each label's text embedding (all given unit length). Sums to 1 over the labels.
 */
export function labelScores(image: Float32Array, labels: Float32Array[]): number[] {
  const logits = labels.map((text) => {
    let dot = 0;
    for (let i = 0; i < text.length; i++) dot += text[i]! * (image[i] ?? 0);
    return CLIP_LOGIT_SCALE * dot;
  });
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** The best labels scoring at least `minScore`, at most `maxTags`, best first. */
export function pickTags(
  labels: string[],
  scores: number[],
  minScore: number,
  maxTags: number,
): Tag[] {
  return labels
    .map((label, i) => ({ label, score: Math.round((scores[i] ?? 0) * 1e4) / 1e4 }))
    .filter((tag) => tag.score >= minScore && tag.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, maxTags);
}

/**
 * Embeddings are kept as int8 codes with one scale per vector: 4× smaller than float32, and
 * on unit vectors the rounding moves a cosine by well under 0.01 (BENCHMARKS.md: recall@10
 * against exact float32 search).
 */

/** Largest int8 code; codes are symmetric so that zero stays exactly zero. */
const CODE_MAX = 127;
/**
 * Largest query component: int16 keeps the query nearly exact, and 127 × 16383 summed over
 * 4096 components cannot overflow the kernel's int32 lanes.
 */
const QUERY_MAX = 16_383;

/** An embedding quantized to int8: `value[i] ≈ codes[i] * scale`. */
export interface QuantizedVector {
  codes: Int8Array;
  scale: number;
}

function largestMagnitude(vector: Float32Array): number {
  let max = 0;
  for (const v of vector) max = Math.max(max, Math.abs(v));
  return max;
}

/** Quantizes a vector to int8 codes with one scale (a zero vector gets scale 0). */
export function quantize(vector: Float32Array): QuantizedVector {
  const max = largestMagnitude(vector);
  const codes = new Int8Array(vector.length);
  if (max === 0) return { codes, scale: 0 };
  const factor = CODE_MAX / max;
  for (let i = 0; i < vector.length; i++) codes[i] = Math.round(vector[i]! * factor);
  return { codes, scale: max / CODE_MAX };
}

/** The float vector a quantized one stands for. */
export function dequantize(vector: QuantizedVector): Float32Array {
  return Float32Array.from(vector.codes, (code) => code * vector.scale);
}

/** A query as the kernel takes it: int16 components, padded to `stride`, and its scale. */
export function quantizeQuery(
  vector: Float32Array,
  stride: number,
): { codes: Int16Array; scale: number } {
  const max = largestMagnitude(vector);
  const codes = new Int16Array(stride);
  if (max === 0) return { codes, scale: 0 };
  const factor = QUERY_MAX / max;
  for (let i = 0; i < vector.length; i++) codes[i] = Math.round(vector[i]! * factor);
  return { codes, scale: max / QUERY_MAX };
}

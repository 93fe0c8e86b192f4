import type { ModelInput } from '../tagging/image-input.js';

/**
 * One image's model work as it travels through Redis: the model it needs (a fingerprint of
 * the model files, so a worker with another model refuses it) and the prepared RGB input.
 * No path, no name, no secret: a worker needs neither the inbox nor the library.
 */
export interface EmbedJobData {
  /** Format version of this record. */
  v: 1;
  model: string;
  size: number;
  /** `size` × `size` × 3 bytes, base64. */
  rgb: string;
}

/** A worker's answer: who did the work and the embedding (float32, base64). */
export interface EmbedJobResult {
  worker: string;
  embedding: string;
}

/** The job record for `input` under model `fingerprint`. */
export function encodeJob(fingerprint: string, input: ModelInput): EmbedJobData {
  return {
    v: 1,
    model: fingerprint,
    size: input.size,
    rgb: Buffer.from(input.rgb.buffer, input.rgb.byteOffset, input.rgb.byteLength).toString(
      'base64',
    ),
  };
}

/** The model input a job carries; throws when the record is not one photosortd wrote. */
export function decodeJob(data: EmbedJobData): ModelInput {
  if (data.v !== 1 || !Number.isInteger(data.size) || typeof data.rgb !== 'string') {
    throw new Error('not an embedding job of this photosortd version');
  }
  const rgb = Buffer.from(data.rgb, 'base64');
  if (rgb.length !== data.size * data.size * 3) {
    throw new Error(`the job's input has ${rgb.length} bytes, not ${data.size}×${data.size}×3`);
  }
  return { size: data.size, rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length) };
}

/** A float32 vector as base64 (exact, 4 bytes per value). */
export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

/** The inverse of {@link encodeVector}. */
export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new Error('not a float32 vector');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

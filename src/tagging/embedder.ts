import { basename } from 'node:path';
import { pixelValues, type ModelInput } from './image-input.js';
import type { ModelFiles } from './model-files.js';
import { configureOffline, type Transformers } from './text-encoder.js';

/**
 * Runs the vision tower: a prepared image in, its image embedding out (as the model gives
 * it, not yet unit length). The local one runs onnxruntime in this process; a cluster's
 * sends the input to a worker and falls back to the local one.
 */
export interface Embedder {
  /** Rejects when the model fails on this input. */
  embed(input: ModelInput): Promise<Float32Array>;
  /** Lets queued work finish, then releases what the embedder holds. */
  close(): Promise<void>;
}

/** Options of {@link loadLocalEmbedder}. */
export interface LocalEmbedderOptions {
  /** Most images per vision tower run (default 8). */
  maxBatch?: number;
  /**
   * How many inputs are still being decoded by the caller: a batch waits for them (so that
   * files in flight together share one run) unless it is full.
   */
  preparing?: () => number;
}

/** The local embedder with its counters, for the tagger's stats. */
export interface LocalEmbedder extends Embedder {
  readonly stats: { embedded: number; batches: number };
  /** Starts a waiting batch now; the caller calls it when it stopped preparing an input. */
  poke(): void;
}

type VisionModel = Awaited<
  ReturnType<Transformers['CLIPVisionModelWithProjection']['from_pretrained']>
>;

interface Pending {
  pixels: Float32Array;
  resolve: (embedding: Float32Array) => void;
  reject: (error: unknown) => void;
}

/** Loads the vision tower of `files` and batches concurrent `embed` calls into one run. */
export async function loadLocalEmbedder(
  files: ModelFiles,
  options: LocalEmbedderOptions = {},
): Promise<LocalEmbedder> {
  const transformers = await import('@huggingface/transformers');
  configureOffline(transformers, files.dir);
  const vision = await transformers.CLIPVisionModelWithProjection.from_pretrained(
    basename(files.dir),
    { dtype: files.dtype, local_files_only: true },
  );
  return batchingEmbedder(transformers, vision, files, options);
}

function batchingEmbedder(
  transformers: Transformers,
  vision: VisionModel,
  files: ModelFiles,
  options: LocalEmbedderOptions,
): LocalEmbedder {
  const maxBatch = options.maxBatch ?? 8;
  const preparing = options.preparing ?? (() => 0);
  const side = files.image.size;
  const plane = 3 * side * side;
  const stats = { embedded: 0, batches: 0 };
  const queue: Pending[] = [];
  let running: Promise<void> | null = null;

  async function runBatch(batch: Pending[]): Promise<void> {
    const pixels = new Float32Array(batch.length * plane);
    batch.forEach((item, i) => pixels.set(item.pixels, i * plane));
    try {
      const input = new transformers.Tensor('float32', pixels, [batch.length, 3, side, side]);
      const { image_embeds: embeds } = await vision({ pixel_values: input });
      const width = embeds.dims[1] as number;
      const data = embeds.data as Float32Array;
      stats.batches += 1;
      stats.embedded += batch.length;
      batch.forEach((item, i) => item.resolve(data.slice(i * width, (i + 1) * width)));
    } catch (error) {
      batch.forEach((item) => item.reject(error));
    }
  }

  // A batch waits while other files are still being decoded, so that files in flight
  // together share one vision run; it goes as soon as it is full or nobody else is coming.
  function maybeRun(): void {
    if (running || queue.length === 0) return;
    if (queue.length < maxBatch && preparing() > 0) return;
    running = runBatch(queue.splice(0, maxBatch)).finally(() => {
      running = null;
      maybeRun();
    });
  }

  return {
    stats,
    poke: maybeRun,
    embed(input) {
      let pixels: Float32Array;
      try {
        pixels = pixelValues(input, files.image);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      return new Promise((resolve, reject) => {
        queue.push({ pixels, resolve, reject });
        maybeRun();
      });
    },
    async close() {
      while (running) await running;
      await vision.dispose();
    },
  };
}

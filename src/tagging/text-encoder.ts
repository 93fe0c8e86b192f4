import { basename, dirname } from 'node:path';
import { PhotosortdError } from '../lib/errors.js';
import { promptFor } from './labels.js';
import { inspectModelDir, type ModelFiles } from './model-files.js';
import { normalise } from './scores.js';

/** The transformers.js module, imported only when a model runs (it costs ≈ 80 MB). */
export type Transformers = typeof import('@huggingface/transformers');

/** Texts per text tower run. */
const TEXT_BATCH = 32;

/** transformers.js must only ever read this directory, never reach for the network. */
export function configureOffline(transformers: Transformers, dir: string): void {
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.localModelPath = `${dirname(dir)}/`;
}

/** A loaded text tower: texts in, unit-length embeddings out. */
export interface TextTower {
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Loads the tokenizer and text tower of a model directory. */
export async function loadTextTower(
  transformers: Transformers,
  files: ModelFiles,
): Promise<TextTower> {
  const name = basename(files.dir);
  const tokenizer = await transformers.AutoTokenizer.from_pretrained(name, {
    local_files_only: true,
  });
  const model = await transformers.CLIPTextModelWithProjection.from_pretrained(name, {
    dtype: files.textDtype,
    local_files_only: true,
  });
  return {
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += TEXT_BATCH) {
        const chunk = texts.slice(start, start + TEXT_BATCH);
        const inputs = tokenizer(chunk, { padding: true, truncation: true });
        const { text_embeds: embeds } = await model(inputs);
        const width = embeds.dims[1] as number;
        const data = embeds.data as Float32Array;
        for (let i = 0; i < chunk.length; i++)
          out.push(normalise(data.slice(i * width, (i + 1) * width)));
      }
      return out;
    },
    async dispose() {
      await model.dispose();
    },
  };
}

/** Text queries to embeddings, for search: the model's fingerprint and its text tower. */
export interface TextEncoder {
  readonly model: string;
  /** The embedding of a query, put through the labels' prompt template first. */
  embedQuery(text: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens the text side of a model for search queries. Throws `SEARCH_NO_MODEL` with what to
 * do when the model directory is missing or incomplete.
 */
export async function openTextEncoder(modelDir: string, prompt: string): Promise<TextEncoder> {
  const inspected = await inspectModelDir(modelDir);
  if (!inspected.ok) {
    throw new PhotosortdError(
      'SEARCH_NO_MODEL',
      `search needs the tagging model: ${inspected.reason}`,
    );
  }
  const transformers = await import('@huggingface/transformers');
  configureOffline(transformers, inspected.files.dir);
  const tower = await loadTextTower(transformers, inspected.files);
  return {
    model: inspected.files.id,
    embedQuery: async (text) => (await tower.embed([promptFor(prompt, text)]))[0]!,
    close: () => tower.dispose(),
  };
}

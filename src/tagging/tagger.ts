import type { ExifTool } from 'exiftool-vendored';
import type { Tag } from '../lib/media.js';
import PQueue from 'p-queue';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { openEmbeddingCache, type EmbeddingCache } from './embedding-cache.js';
import { loadLocalEmbedder, type Embedder, type LocalEmbedder } from './embedder.js';
import { pixelsForJob, type TaggableFile } from './image-input.js';
import { promptFor } from './labels.js';
import { configureOffline, loadTextTower, type Transformers } from './text-encoder.js';
import { inspectModelDir, type ModelFiles } from './model-files.js';
import { labelScores, normalise, pickTags } from './scores.js';

/** Whether tagging runs, and if not, why (shown by `status` and logged at start). */
interface TaggerStatus {
  enabled: boolean;
  reason?: string;
  /** The model's id (directory name, dtype and a digest of its files). */
  model?: string;
}

/** Counters for metrics and benchmarks. */
interface TaggerStats {
  /** Images run through the vision tower. */
  embedded: number;
  /** Images whose embedding came from the cache (same content, same model). */
  cached: number;
  /** Vision tower runs; `embedded / batches` is the mean batch size. */
  batches: number;
  /** Photos left untagged because no pixels could be had or the model failed. */
  failed: number;
}

/** A photo's tags and the image embedding they were scored from (unit length). */
interface TagResult {
  tags: Tag[];
  embedding: Float32Array;
}

/**
 * Turns a photo into an image embedding of one model. The tagger is one; a remote worker
 * that runs the model elsewhere can be another.
 */
export interface ImageEmbedder {
  /** The model's fingerprint (`ModelFiles.id`): embeddings of two models never mix. */
  readonly model: string | undefined;
  /** Unit-length embedding, or `null` when the pixels cannot be had. Never throws. */
  embed(job: TaggableFile): Promise<Float32Array | null>;
}

/** Zero-shot CLIP tagging of photos with a fixed label set. */
export interface Tagger extends ImageEmbedder {
  /**
   * The tags for a photo, best first, or `null` when tagging is off or the image cannot be
   * read. Never throws. Concurrent calls are batched into one vision tower run.
   */
  tag(job: TaggableFile): Promise<Tag[] | null>;
  /** {@link tag} with the embedding the tags came from, for the search index. */
  analyse(job: TaggableFile): Promise<TagResult | null>;
  readonly status: TaggerStatus;
  readonly stats: TaggerStats;
  /** Releases the model and the cache; later `tag` calls return `null`. */
  close(): Promise<void>;
}

/** Options of {@link createTagger}. */
export interface TaggerOptions {
  /** A CLIP directory in the transformers.js layout. */
  modelDir: string;
  labels: string[];
  /** Prompt template, `{}` standing for the label, e.g. `a photo of {}`. */
  prompt: string;
  minScore: number;
  maxTags: number;
  /** Where the embedding cache lives. */
  stateDir: string;
  exiftool: ExifTool;
  logger?: Logger;
  /** Most images per vision tower run (default 8). */
  maxBatch?: number;
  /**
   * Where model work may go besides this process (a cluster's workers) and embeddings shared
   * beyond this machine. Absent: everything runs here.
   */
  backend?: EmbeddingBackendFactory;
}

/** Image embeddings by content hash, shared by every machine running the same model. */
export interface SharedEmbeddings {
  get(hash: string): Promise<Float32Array | undefined>;
  set(hash: string, embedding: Float32Array): Promise<void>;
}

/** What a tagger embeds through: an embedder (which owns the local one) and a shared cache. */
interface EmbeddingBackend {
  embedder: Embedder;
  shared: SharedEmbeddings | null;
}

/** Builds the backend from the local embedder and the model it runs. */
export type EmbeddingBackendFactory = (
  local: LocalEmbedder,
  files: ModelFiles,
) => Promise<EmbeddingBackend>;

/** A tagger that tags nothing, for when tagging is turned off or cannot run. */
function createDisabledTagger(reason: string): Tagger {
  return {
    status: { enabled: false, reason },
    stats: { embedded: 0, cached: 0, batches: 0, failed: 0 },
    model: undefined,
    tag: () => Promise.resolve(null),
    analyse: () => Promise.resolve(null),
    embed: () => Promise.resolve(null),
    close: () => Promise.resolve(),
  };
}

/**
 * Loads the model and the label embeddings (from the cache when this model has seen these
 * prompts before; the text tower is loaded only when one is missing). A missing or broken
 * model gives a disabled tagger with the reason, logged once; it never throws.
 */
export async function createTagger(options: TaggerOptions): Promise<Tagger> {
  const log = options.logger;
  const off = (reason: string): Tagger => {
    log?.warn({ model: options.modelDir }, `tagging is off: ${reason}`);
    return createDisabledTagger(reason);
  };
  if (options.labels.length === 0) return off('tagging.labels is empty; give at least one label');

  const inspected = await inspectModelDir(options.modelDir);
  if (!inspected.ok) return off(inspected.reason);
  const files = inspected.files;

  let cache: EmbeddingCache | undefined;
  let local: LocalEmbedder | undefined;
  const preparing = { count: 0 };
  try {
    cache = await openEmbeddingCache(options.stateDir);
    const transformers = await import('@huggingface/transformers');
    configureOffline(transformers, files.dir);
    const labelEmbeddings = await embedLabels(transformers, files, options, cache);
    local = await loadLocalEmbedder(files, {
      maxBatch: options.maxBatch,
      preparing: () => preparing.count,
    });
    const backend: EmbeddingBackend = options.backend
      ? await options.backend(local, files)
      : { embedder: local, shared: null };
    log?.info({ model: files.id, labels: options.labels.length }, 'tagging is on');
    return startTagger({ local, backend, cache, files, labelEmbeddings, preparing }, options);
  } catch (error) {
    await local?.close().catch(() => undefined);
    await cache?.close().catch(() => undefined);
    return off(`the model at ${files.dir} cannot be loaded: ${errorMessage(error)}`);
  }
}

async function embedLabels(
  transformers: Transformers,
  files: ModelFiles,
  options: TaggerOptions,
  cache: EmbeddingCache,
): Promise<Float32Array[]> {
  const texts = options.labels.map((label) => promptFor(options.prompt, label));
  const found = await Promise.all(texts.map((text) => cache.get('text', files.id, text)));
  const missing = texts.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    const encoder = await loadTextTower(transformers, files);
    try {
      const embedded = await encoder.embed(missing);
      for (const [i, text] of missing.entries()) {
        found[texts.indexOf(text)] = embedded[i];
        await cache.set('text', files.id, text, embedded[i]!);
      }
    } finally {
      await encoder.dispose();
    }
  }
  return found.map((embedding) => embedding!);
}

/** What a started tagger runs on. */
interface TaggerParts {
  local: LocalEmbedder;
  backend: EmbeddingBackend;
  cache: EmbeddingCache;
  files: ModelFiles;
  labelEmbeddings: Float32Array[];
  /** Inputs being decoded now: the local embedder's batches wait for them. */
  preparing: { count: number };
}

/**
 * Most images decoded or waiting for their batch at once. Each holds its pixels (600 KB at
 * 224 × 224) until its batch has run; the pipeline may have many more files in flight
 * (`concurrency`), most of which only move, so the images in hand are bounded here.
 */
const IMAGES_IN_HAND = 32;

function startTagger(parts: TaggerParts, options: TaggerOptions): Tagger {
  const { local, backend, cache, files, labelEmbeddings, preparing } = parts;
  const log = options.logger;
  const stats: TaggerStats = { embedded: 0, cached: 0, batches: 0, failed: 0 };
  const inHand = new PQueue({ concurrency: IMAGES_IN_HAND });
  let closed = false;

  async function remembered(hash: string): Promise<Float32Array | undefined> {
    const mine = await cache.get('image', files.id, hash);
    if (mine) return mine;
    const shared = await backend.shared?.get(hash);
    if (shared) await cache.set('image', files.id, hash, shared);
    return shared;
  }

  async function imageEmbedding(job: TaggableFile): Promise<Float32Array | null> {
    const cached = job.hash ? await remembered(job.hash) : undefined;
    if (cached) {
      stats.cached += 1;
      return cached;
    }
    return inHand.add(() => decodedAndEmbedded(job));
  }

  async function decodedAndEmbedded(job: TaggableFile): Promise<Float32Array | null> {
    preparing.count += 1;
    let prepared: Awaited<ReturnType<typeof pixelsForJob>>;
    try {
      prepared = await pixelsForJob(job, files.image, options.exiftool);
    } finally {
      preparing.count -= 1;
    }
    if (!prepared.ok) {
      local.poke();
      stats.failed += 1;
      log?.info({ file: job.source }, `not tagged: ${prepared.reason}`);
      return null;
    }
    const embedding = normalise(await backend.embedder.embed(prepared.input));
    stats.embedded = local.stats.embedded;
    stats.batches = local.stats.batches;
    if (job.hash) {
      await cache.set('image', files.id, job.hash, embedding);
      await backend.shared?.set(job.hash, embedding);
    }
    return embedding;
  }

  async function analyse(job: TaggableFile): Promise<TagResult | null> {
    if (closed) return null;
    try {
      const embedding = await imageEmbedding(job);
      if (!embedding) return null;
      const scores = labelScores(embedding, labelEmbeddings);
      return {
        tags: pickTags(options.labels, scores, options.minScore, options.maxTags),
        embedding,
      };
    } catch (error) {
      stats.failed += 1;
      log?.warn({ file: job.source }, `not tagged: the model failed: ${errorMessage(error)}`);
      return null;
    }
  }

  return {
    status: { enabled: true, model: files.id },
    stats,
    model: files.id,
    analyse,
    tag: async (job) => (await analyse(job))?.tags ?? null,
    embed: async (job) => (await analyse(job))?.embedding ?? null,
    async close() {
      if (closed) return;
      closed = true;
      await backend.embedder.close();
      await cache.close();
    },
  };
}

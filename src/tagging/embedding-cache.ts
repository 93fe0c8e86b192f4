import Keyv from 'keyv';
import { mkdir } from 'node:fs/promises';
import { SqliteKeyvStore } from '../lib/sqlite-keyv-store.js';
import { createPrivateFile, STATE_DIR_MODE, statePaths } from '../lib/state-paths.js';

/**
 * Embeddings kept across runs in `<state>/tagging-cache.sqlite`: label text embeddings keyed
 * by model and prompt text (so the text tower runs once per label set), image embeddings keyed
 * by model and content hash (so a file seen before is not run through the vision tower again).
 */
export interface EmbeddingCache {
  get(kind: 'text' | 'image', model: string, key: string): Promise<Float32Array | undefined>;
  set(kind: 'text' | 'image', model: string, key: string, value: Float32Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating when needed) the embedding cache under `stateDir`. */
export async function openEmbeddingCache(stateDir: string): Promise<EmbeddingCache> {
  await mkdir(stateDir, { recursive: true, mode: STATE_DIR_MODE });
  const file = statePaths(stateDir).taggingCache;
  createPrivateFile(file);
  const store = new SqliteKeyvStore(file);
  const keyv = new Keyv<string>({ store, namespace: 'embeddings' });
  const keyOf = (kind: string, model: string, key: string) => `${kind}\u0000${model}\u0000${key}`;
  return {
    async get(kind, model, key) {
      const stored = await keyv.get(keyOf(kind, model, key));
      if (typeof stored !== 'string') return undefined;
      const bytes = Buffer.from(stored, 'base64');
      return new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      );
    },
    async set(kind, model, key, value) {
      await keyv.set(
        keyOf(kind, model, key),
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      );
    },
    async close() {
      await keyv.disconnect();
    },
  };
}

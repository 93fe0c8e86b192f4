import { relative } from 'node:path';
import type { Config } from '../config/load.js';
import { createExifTool } from '../lib/exiftool.js';
import { silentLogger } from '../lib/logger.js';
import { openTagger } from '../pipeline/assemble.js';
import {
  combineVectors,
  imageVector,
  openLibrarySearch,
  toResult,
  type SearchFilters,
  type SearchIndex,
  type SearchResult,
} from '../search/index.js';
import type { ImageEmbedder } from '../tagging/tagger.js';
import { openTextEncoder } from '../tagging/text-encoder.js';

/** The options `search` and `similar` share. */
export interface SearchCommandOptions extends SearchFilters {
  config: Config;
  /** Text to search for (`search QUERY`). */
  text?: string;
  /** Photos whose look to search for: `similar PATH`, or `search QUERY --like PATH`. */
  images?: string[];
  minScore?: number;
  limit?: number;
  sort?: 'score' | 'date';
  json: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/**
 * `photosortd search QUERY` and `photosortd similar PATH`: the library's best matches, as a
 * table or one JSON object per line. Reads the index (bringing its file list up to the
 * journal), whether or not a daemon runs; runs the text tower for text, and the vision tower
 * only for an image that is not indexed yet.
 */
export async function runSearch(options: SearchCommandOptions): Promise<number> {
  const { config } = options;
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const index = await openLibrarySearch({
    state: config.state,
    library: config.library,
    modelDir: config.tagging.model,
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    const { vector, exclude } = await queryVector(index, options, closers);
    const hits = index
      .query({ ...options, vector, limit: (options.limit ?? 20) + exclude.size })
      .filter((hit) => !exclude.has(hit.path))
      .slice(0, options.limit ?? 20)
      .map(toResult);
    if (options.json) for (const hit of hits) out.write(JSON.stringify(hit) + '\n');
    else if (hits.length > 0) out.write(resultTable(hits, config.library));
    if (hits.length === 0) {
      const { searchable } = index.counts();
      err.write(
        searchable === 0
          ? 'no matches: the index holds no photos yet; run `photosortd index`\n'
          : `no matches among ${searchable} indexed photos\n`,
      );
    }
    return 0;
  } finally {
    for (const close of closers) await close();
    index.close();
  }
}

/** The query's vector: text and images summed; the images themselves are left out of the hits. */
async function queryVector(
  index: SearchIndex,
  options: SearchCommandOptions,
  closers: (() => Promise<void>)[],
): Promise<{ vector: Float32Array; exclude: Set<string> }> {
  const parts: Float32Array[] = [];
  const exclude = new Set<string>();
  if (options.text !== undefined) {
    const encoder = await openTextEncoder(
      options.config.tagging.model,
      options.config.tagging.prompt,
    );
    closers.push(() => encoder.close());
    parts.push(await encoder.embedQuery(options.text));
  }
  let embedder: Promise<ImageEmbedder> | undefined;
  const openEmbedder = () => (embedder ??= startEmbedder(options.config, closers));
  for (const image of options.images ?? []) {
    const found = await imageVector(index, image, openEmbedder);
    parts.push(found.vector);
    exclude.add(found.path);
  }
  return { vector: combineVectors(parts), exclude };
}

async function startEmbedder(
  config: Config,
  closers: (() => Promise<void>)[],
): Promise<ImageEmbedder> {
  const exiftool = createExifTool();
  closers.push(() => exiftool.end());
  const tagger = await openTagger(config, exiftool, silentLogger());
  closers.push(() => tagger.close());
  return tagger;
}

/** The terminal table: score, date, place, tags and the path below the library. */
export function resultTable(hits: SearchResult[], library: string): string {
  const rows = hits.map((hit) => [
    hit.score.toFixed(4),
    hit.takenAt?.slice(0, 10) ?? '-',
    [hit.place?.city, hit.place?.countryCode].filter(Boolean).join(', ') || '-',
    hit.tags?.map((tag) => tag.label).join(', ') || '-',
    relative(library, hit.path),
  ]);
  const header = ['score', 'taken', 'place', 'tags', 'path'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

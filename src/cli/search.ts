import { relative } from 'node:path';
import type { Config } from '../config/load.js';
import { createExifTool } from '../lib/exiftool.js';
import { silentLogger } from '../lib/logger.js';
import { openTagger } from '../app/assemble.js';
import { SearchService, type FindRequest, type SearchResult } from '../search/index.js';
import type { ImageEmbedder } from '../tagging/tagger.js';
/** The options `search` and `similar` share. */
export interface SearchCommandOptions extends FindRequest {
  config: Config;
  json: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/**
 * `photosortd search QUERY` and `photosortd similar PATH`: the library's best matches, as a
 * table or one JSON object per line. Reads the index (bringing its file list up to the
 * journal), whether or not a daemon runs; runs the text tower for text, and the vision tower
 * only for a photo that is not indexed.
 */
export async function runSearch(options: SearchCommandOptions): Promise<number> {
  const { config } = options;
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const closers: (() => Promise<void>)[] = [];
  const service = await SearchService.open({
    state: config.state,
    library: config.library,
    modelDir: config.tagging.model,
    prompt: config.tagging.prompt,
    embedder: () => startEmbedder(config, closers),
    embedPaths: true,
  });
  try {
    const hits = await service.find(options);
    if (options.json) for (const hit of hits) out.write(JSON.stringify(hit) + '\n');
    else if (hits.length > 0) out.write(resultTable(hits, config.library));
    if (hits.length === 0) {
      const { searchable } = service.index.counts();
      err.write(
        searchable === 0
          ? 'no matches: the index holds no photos yet; run `photosortd index`\n'
          : `no matches among ${searchable} indexed photos\n`,
      );
    }
    return 0;
  } finally {
    await service.close();
    for (const close of closers) await close();
  }
}

async function startEmbedder(
  config: Config,
  closers: (() => Promise<void>)[],
): Promise<ImageEmbedder> {
  const exiftool = createExifTool();
  closers.push(() => exiftool.end());
  const tagger = await openTagger(config, exiftool, silentLogger());
  closers.unshift(() => tagger.close());
  return tagger;
}

/** The terminal table: score, date, place, tags and the path below the library. */
function resultTable(hits: SearchResult[], library: string): string {
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

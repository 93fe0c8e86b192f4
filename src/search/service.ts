import type { ExifTool } from 'exiftool-vendored';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhotosortdError } from '../lib/errors.js';
import { openTextEncoder, type TextEncoder } from '../tagging/text-encoder.js';
import type { ImageEmbedder } from '../tagging/tagger.js';
import { Journal } from '../journal/journal.js';
import { openLibrarySearch } from './open.js';
import { syncFromJournal } from './journal-sync.js';
import { combineVectors, imageVector } from './query-vector.js';
import { toResult, type SearchResult } from './results.js';
import type { SearchIndex } from './store.js';
import { thumbnail, type Thumbnail } from './thumbnails.js';
import { SEARCH_DEFAULTS, type SearchFilters } from './types.js';

/** What {@link SearchService.open} needs. */
export interface SearchServiceOptions {
  state: string;
  library: string;
  /** The tagging model's folder. */
  modelDir: string;
  /** The labels' prompt template, which text queries go through too. */
  prompt: string;
  /**
   * Makes embeddings of photos that are not indexed: uploads, and with `embedPaths` files
   * named by path. Without it, only indexed library files can be the image of a query.
   */
  embedder?: () => Promise<ImageEmbedder>;
  /**
   * Whether a path the index does not hold may be read and embedded: yes for the CLI (the
   * user's own files); never for the API, whose callers must not have the daemon read any
   * file on its disk. Default `false`.
   */
  embedPaths?: boolean;
  /**
   * An index already open in this process (the daemon's, which the tag stage writes): read
   * instead of opening a second one, so a photo just filed is searchable without reloading
   * the in-memory matrix. Used when it is for the configured model; never closed here.
   */
  index?: SearchIndex | null;
  /** For thumbnails of HEIC and RAW (their previews). */
  exiftool?: () => ExifTool;
}

/** One search: text, images or both, with filters and how many in which order. */
export interface FindRequest extends SearchFilters {
  text?: string;
  /** Paths of photos the hits should look like; they are left out of the hits. */
  images?: string[];
  /** The bytes of a photo the hits should look like (an upload; needs an embedder). */
  upload?: Uint8Array;
  minScore?: number;
  limit?: number;
  sort?: 'score' | 'date';
}

/**
 * Search as the CLI and the API offer it: turns text (through the labels' prompt template)
 * and images into one query vector, brings the index up to the journal, and returns hits in
 * the contract's shape. Loads the text tower on the first text query.
 */
export class SearchService {
  private encoder: Promise<TextEncoder> | undefined;
  private embedder: Promise<ImageEmbedder> | undefined;
  /** Read before every query; opened once, as the API answers many. */
  private journal: Journal | undefined;

  private constructor(
    readonly index: SearchIndex,
    private readonly options: SearchServiceOptions,
    /** Whether {@link close} closes the index (not when it was lent). */
    private readonly ownsIndex: boolean,
  ) {}

  /** Opens the library's index for the configured model (`SEARCH_NO_MODEL` when unusable). */
  static async open(options: SearchServiceOptions): Promise<SearchService> {
    const index = await openLibrarySearch(options);
    return new SearchService(index, options, index !== options.index);
  }

  /** The best hits for a request. */
  async find(request: FindRequest): Promise<SearchResult[]> {
    this.journal ??= Journal.open(this.options.state);
    syncFromJournal(this.index, this.journal);
    const parts: Float32Array[] = [];
    const exclude = new Set<string>();
    if (request.text !== undefined)
      parts.push(await (await this.textEncoder()).embedQuery(request.text));
    const embedder = this.options.embedPaths ? () => this.imageEmbedder() : null;
    for (const image of request.images ?? []) {
      const found = await imageVector(this.index, image, embedder);
      parts.push(found.vector);
      exclude.add(found.path);
    }
    if (request.upload) parts.push(await this.uploadVector(request.upload));
    if (parts.length === 0) {
      throw new PhotosortdError(
        'SEARCH_EMPTY_QUERY',
        'give a text to search for or a photo to match',
      );
    }
    const limit = request.limit ?? SEARCH_DEFAULTS.limit;
    return this.index
      .query({ ...request, vector: combineVectors(parts), limit: limit + exclude.size })
      .filter((hit) => !exclude.has(hit.path))
      .slice(0, limit)
      .map(toResult);
  }

  /** The thumbnail of an indexed file by its id (`NOT_INDEXED` when there is none). */
  async thumbnail(id: number): Promise<Thumbnail> {
    const file = this.index.fileById(id);
    if (!file) {
      throw new PhotosortdError('NOT_INDEXED', `no file with id ${id} in the search index`);
    }
    if (!this.options.exiftool) {
      throw new PhotosortdError('THUMBNAIL_UNAVAILABLE', 'thumbnails need exiftool');
    }
    return thumbnail(file, { stateDir: this.options.state, exiftool: this.options.exiftool() });
  }

  async close(): Promise<void> {
    await (await this.encoder?.catch(() => undefined))?.close();
    this.journal?.close();
    if (this.ownsIndex) this.index.close();
  }

  /**
   * The embedding of uploaded bytes, through the same path as a photo on disk (sharp, or the
   * embedded preview of a HEIC or RAW): kept in a private temporary file meanwhile.
   */
  private async uploadVector(bytes: Uint8Array): Promise<Float32Array> {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-upload-'));
    try {
      // No extension: sharp and exiftool go by the bytes, whatever the sender called them.
      const file = join(dir, 'upload');
      await writeFile(file, bytes, { mode: 0o600 });
      return (await imageVector(this.index, file, () => this.imageEmbedder(), 'the uploaded image'))
        .vector;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private textEncoder(): Promise<TextEncoder> {
    this.encoder ??= openTextEncoder(this.options.modelDir, this.options.prompt);
    return this.encoder;
  }

  private imageEmbedder(): Promise<ImageEmbedder> {
    if (!this.options.embedder) {
      throw new PhotosortdError(
        'SEARCH_NO_MODEL',
        'embedding a photo that is not indexed needs the tagging model, which is not loaded here',
      );
    }
    this.embedder ??= this.options.embedder();
    return this.embedder;
  }
}

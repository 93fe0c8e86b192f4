import type { Config } from '../config/load.js';
import { PhotosortdError } from '../lib/errors.js';
import { createExifTool, type ExifTool } from '../lib/exiftool.js';
import type { ImageEmbedder } from '../tagging/tagger.js';
import { SearchService } from './service.js';
import type { SearchIndex } from './store.js';

/** What a running daemon lends the search of its server. */
export interface DaemonSearchParts {
  /** The index its tag stage writes (`null` while tagging is off). */
  index: SearchIndex | null;
  /** Its tagger, which embeds uploaded photos without loading the model twice. */
  embedder: ImageEmbedder | null;
}

/** An image embedder this server opened itself, and closes. */
export type OwnEmbedder = ImageEmbedder & { close(): Promise<void> };

/** What {@link SharedSearch} opens the service with. */
export interface SharedSearchOptions {
  config: Config;
  /** Aborted when the server shuts down: the index and exiftool are closed. */
  closing?: AbortSignal;
  /** The daemon's index and tagger, when a daemon runs in this process. */
  daemon?: () => DaemonSearchParts | null;
  /** Opens a tagger for uploaded photos when the daemon lends none (first upload only). */
  openEmbedder?: (exiftool: ExifTool) => Promise<OwnEmbedder>;
}

/**
 * The one {@link SearchService} of a server, which the API's search routes and the
 * dashboard's Search page share. It reads the daemon's own index when there is one (a photo
 * the daemon files is searchable at once, with no second copy of the matrix), else opens the
 * index itself. The index and the model's text tower are opened on the first request, so a
 * daemon with search unused pays nothing; a failed open (no model yet) is tried again on the
 * next request.
 */
export class SharedSearch {
  private exiftool: ExifTool | undefined;
  private service: Promise<SearchService> | undefined;
  private ownEmbedder: Promise<OwnEmbedder> | undefined;

  constructor(private readonly options: SharedSearchOptions) {
    options.closing?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** The service, opened on first use (`SEARCH_NO_MODEL` while the model is unusable). */
  open(): Promise<SearchService> {
    const { config } = this.options;
    if (!this.service) {
      const opening = SearchService.open({
        state: config.state,
        library: config.library,
        modelDir: config.tagging.model,
        prompt: config.tagging.prompt,
        index: this.options.daemon?.()?.index,
        embedder: () => this.embedder(),
        exiftool: () => this.exifTool(),
      });
      this.service = opening;
      opening.catch(() => {
        if (this.service === opening) this.service = undefined;
      });
    }
    return this.service;
  }

  /** Closes the index, the tagger and exiftool, when this server opened them. */
  async close(): Promise<void> {
    const service = this.service;
    const embedder = this.ownEmbedder;
    this.service = undefined;
    this.ownEmbedder = undefined;
    await service?.then((s) => s.close()).catch(() => undefined);
    await embedder?.then((e) => e.close()).catch(() => undefined);
    await this.exiftool?.end();
    this.exiftool = undefined;
  }

  private exifTool(): ExifTool {
    this.exiftool ??= createExifTool();
    return this.exiftool;
  }

  /** The daemon's tagger, else one opened here on first use (and again after a failure). */
  private async embedder(): Promise<ImageEmbedder> {
    const lent = this.options.daemon?.()?.embedder;
    if (lent) return lent;
    const { openEmbedder } = this.options;
    if (!openEmbedder) {
      throw new PhotosortdError(
        'SEARCH_NO_MODEL',
        'the daemon runs with tagging off, so it cannot embed an uploaded photo; turn ' +
          'tagging.enabled on',
      );
    }
    if (!this.ownEmbedder) {
      const opening = openEmbedder(this.exifTool());
      this.ownEmbedder = opening;
      opening.catch(() => {
        if (this.ownEmbedder === opening) this.ownEmbedder = undefined;
      });
    }
    return this.ownEmbedder;
  }
}

import type { Config } from '../config/load.js';
import { createExifTool, type ExifTool } from '../lib/exiftool.js';
import { SearchService } from './service.js';

/** What {@link SharedSearch} opens the service with. */
export interface SharedSearchOptions {
  config: Config;
  /** Aborted when the server shuts down: the index and exiftool are closed. */
  closing?: AbortSignal;
}

/**
 * The one {@link SearchService} of a server, which the API's search routes and the
 * dashboard's Search page share. The index and the model's text tower are opened on the
 * first request, so a daemon with search unused pays nothing; a failed open (no model yet)
 * is tried again on the next request.
 */
export class SharedSearch {
  private exiftool: ExifTool | undefined;
  private service: Promise<SearchService> | undefined;

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
        exiftool: () => (this.exiftool ??= createExifTool()),
      });
      this.service = opening;
      opening.catch(() => {
        if (this.service === opening) this.service = undefined;
      });
    }
    return this.service;
  }

  /** Closes the index and exiftool, when they were opened. */
  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    await service?.then((s) => s.close()).catch(() => undefined);
    await this.exiftool?.end();
    this.exiftool = undefined;
  }
}

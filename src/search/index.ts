/**
 * Semantic search over the library: the embedding index (`SearchIndex`: `open`, `putEmbedding`,
 * `putFacts`, `setFile`, `removeFile`, `query`), its journal sync and the search service the
 * CLI, the API and the dashboard share.
 */
export { SearchIndex } from './store.js';
export { syncFromJournal } from './journal-sync.js';
export { catchUpWithJournal } from './open.js';
export { type MediaFacts } from './types.js';
export { type SearchResult } from './results.js';
export { THUMBNAIL_DEFAULTS, type Thumbnail } from './thumbnails.js';
export { SearchService, type FindRequest } from './service.js';
export { SharedSearch, type DaemonSearchParts } from './shared.js';

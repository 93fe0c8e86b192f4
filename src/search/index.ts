/** Semantic search over the library: the embedding index, its journal sync and queries. */
export {
  SearchIndex,
  SEARCH_INDEX_FILE,
  type IndexedFile,
  type SearchIndexOptions,
} from './store.js';
export { syncFromJournal } from './journal-sync.js';
export { quantize, dequantize, type QuantizedVector } from './quantize.js';
export {
  SEARCH_DEFAULTS,
  type IndexedPlace,
  type IndexedTag,
  type MediaFacts,
  type SearchFilters,
  type SearchHit,
  type SearchQuery,
} from './types.js';
export { openLibrarySearch, catchUpWithJournal, type LibrarySearchOptions } from './open.js';
export { combineVectors, imageVector } from './query-vector.js';
export { toResult, type SearchResult } from './results.js';
export { thumbnail, thumbnailPath, THUMBNAIL_DEFAULTS, type Thumbnail } from './thumbnails.js';
export { SearchService, type FindRequest, type SearchServiceOptions } from './service.js';

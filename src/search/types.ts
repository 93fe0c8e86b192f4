/** What the search index holds and answers, shared by its store, queries, CLI and API. */

/** A place as the geocoder names it (the pipeline's `Place`, by shape). */
export interface IndexedPlace {
  city: string | null;
  region: string | null;
  country: string | null;
  countryCode: string | null;
}

/** One AI tag with its score, as the tag stage gave it. */
interface IndexedTag {
  label: string;
  score: number;
}

/** What is known of a file's content, stored once per content hash. */
export interface MediaFacts {
  kind: 'photo' | 'video' | 'other';
  /** ISO 8601 local capture time, with an offset only when the zone is known. */
  takenAt: string | null;
  /** `make model`, as the camera wrote them. */
  camera: string | null;
  place: IndexedPlace | null;
  tags: IndexedTag[];
}

/** What narrows a search; every given filter must hold. */
export interface SearchFilters {
  /** Taken on or after this local date or date-time (`2024-06-01`, `2024-06-01T12:00`). */
  from?: string;
  /** Taken on or before this local date (the whole day) or date-time. */
  to?: string;
  /** A city, region, country or ISO country code, any case. */
  place?: string;
  /** Part of the camera's make and model, any case. */
  camera?: string;
  kind?: 'photo' | 'video';
  /** Every one of these tags. */
  tags?: string[];
  /** A library folder (absolute, or relative to the library) and what is below it. */
  folder?: string;
}

/** A search: the vector to rank by, the filters, and how many and in which order. */
export interface SearchQuery extends SearchFilters {
  /** Unit-length query embedding in the index's model space. */
  vector: Float32Array;
  /** Hits scoring below this cosine similarity are left out (default: none). */
  minScore?: number;
  /** Most hits returned (default {@link SEARCH_DEFAULTS}.limit). */
  limit?: number;
  /** `score`, best first (default), or `date`, newest first among the hits above minScore. */
  sort?: 'score' | 'date';
}

/** One file found. */
export interface SearchHit extends MediaFacts {
  /** The index's id of the file, stable while it stays at its path (thumbnails use it). */
  id: number;
  /** Absolute path in the library. */
  path: string;
  hash: string;
  /** Cosine similarity of the file's embedding and the query, -1..1. */
  score: number;
}

/** Defaults of a search, each with its reason. */
export const SEARCH_DEFAULTS = Object.freeze({
  /** A screenful in a terminal, a page of thumbnails on the dashboard. */
  limit: 20,
  /** More than a person looks through; bounds the work of sorting by date. */
  maxLimit: 1000,
});

import type { SearchHit } from './types.js';

/** A hit as `search --json` prints it and the API returns it (DESIGN.md's contract). */
export interface SearchResult {
  id: number;
  /** Absolute path in the library. */
  path: string;
  /** Cosine similarity, 4 decimals. */
  score: number;
  takenAt: string | null;
  place: SearchHit['place'];
  tags: SearchHit['tags'] | null;
  camera: string | null;
  kind: SearchHit['kind'];
}

/** The contract's shape of a hit. */
export function toResult(hit: SearchHit): SearchResult {
  return {
    id: hit.id,
    path: hit.path,
    score: Math.round(hit.score * 1e4) / 1e4,
    takenAt: hit.takenAt,
    place: hit.place,
    tags: hit.tags.length > 0 ? hit.tags : null,
    camera: hit.camera,
    kind: hit.kind,
  };
}

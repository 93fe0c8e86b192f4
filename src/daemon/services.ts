import type { Cluster } from '../cluster/index.js';
import type { ExifTool } from 'exiftool-vendored';
import type { Geocoder } from '../geocode/index.js';
import type { Journal } from '../journal/journal.js';
import type { LibraryIndex } from '../journal/library-index.js';
import type { SearchIndex } from '../search/index.js';
import type { Tagger } from '../tagging/index.js';

/**
 * The long-lived things the stages use: one of each per process, opened by the composition
 * root (`app/assemble.ts`) and handed to whoever runs the pipeline.
 */
export interface Services {
  exiftool: ExifTool;
  journal: Journal;
  index: LibraryIndex;
  geocoder: Geocoder | null;
  tagger: Tagger | null;
  /** Where the tag stage keeps image embeddings for search (when tagging runs). */
  search: SearchIndex | null;
  /** Redis, its queue of model work and shared caches, when the config has `cluster`. */
  cluster: Cluster | null;
  /** Why geocoding or tagging is off, for status and logs. */
  notes: { geocode?: string; tagging?: string };
  /** Closes everything, and gives up the state folder when it was taken for writing. */
  close(): Promise<void>;
}

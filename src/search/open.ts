import { Journal } from '../journal/journal.js';
import { PhotosortdError } from '../lib/errors.js';
import { inspectModelDir } from '../tagging/model-files.js';
import { syncFromJournal } from './journal-sync.js';
import { SearchIndex } from './store.js';

/** Where a library's search index is and which model it searches with. */
export interface LibrarySearchOptions {
  /** The state folder (journal and index). */
  state: string;
  library: string;
  /** The tagging model's folder: its fingerprint picks the embeddings searched. */
  modelDir: string;
  /** An index this process has open already, returned when it is for the same model. */
  index?: SearchIndex | null;
}

/**
 * Opens the library's search index for the configured model (or takes `index`, one already
 * open for it) and brings its list of files up to the journal first, so what an undo or a re-sort changed is already taken into account.
 * Throws `SEARCH_NO_MODEL` when the model cannot be used.
 */
export async function openLibrarySearch(options: LibrarySearchOptions): Promise<SearchIndex> {
  const inspected = await inspectModelDir(options.modelDir);
  if (!inspected.ok) {
    throw new PhotosortdError(
      'SEARCH_NO_MODEL',
      `search needs the tagging model (tagging.model): ${inspected.reason}`,
    );
  }
  const lent = options.index?.model === inspected.files.id ? options.index : null;
  const index =
    lent ??
    SearchIndex.open(options.state, { model: inspected.files.id, library: options.library });
  try {
    catchUpWithJournal(index, options.state);
  } catch (error) {
    if (!lent) index.close();
    throw error;
  }
  return index;
}

/** Takes in the journal rows the index has not seen. */
export function catchUpWithJournal(index: SearchIndex, state: string): number {
  const journal = Journal.open(state);
  try {
    return syncFromJournal(index, journal);
  } finally {
    journal.close();
  }
}

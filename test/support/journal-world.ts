import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { LibraryIndex } from '../../src/journal/library-index.js';
import { Journal } from '../../src/journal/journal.js';

/** An inbox, a library, a trash and an open journal with its library index, all on disk. */
export interface JournalWorld {
  inbox: string;
  library: string;
  trash: string;
  journal: Journal;
  index: LibraryIndex;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/**
 * A fresh world for the journal's suites, removed after the test. `libraryBase` puts the
 * library on another filesystem (`/dev/shm` here) so moves into it cross devices for real.
 */
export async function journalWorld(prefix: string, libraryBase = tmpdir()): Promise<JournalWorld> {
  const base = await mkdtemp(join(tmpdir(), `${prefix}-`));
  cleanup.push(() => rm(base, { recursive: true, force: true }));
  const libraryParent = await mkdtemp(join(libraryBase, `${prefix}-lib-`));
  cleanup.push(() => rm(libraryParent, { recursive: true, force: true }));
  const inbox = join(base, 'inbox');
  const library = join(libraryParent, 'library');
  await mkdir(inbox);
  await mkdir(library);
  const journal = Journal.open(join(base, 'state'));
  cleanup.push(() => journal.close());
  const index = await LibraryIndex.build(journal, library);
  return { inbox, library, trash: join(base, 'state', 'trash'), journal, index };
}

import type { Config } from '../config/load.js';
import { Journal } from '../journal/journal.js';
import type { JournalEntry } from '../journal/types.js';

/**
 * `photosortd journal`: recent operations, newest first, from a copy of the journal, so it
 * takes no lock and never changes the file (the daemon may be writing it meanwhile).
 */
export async function printJournal(options: {
  config: Config;
  limit: number;
  json: boolean;
  out?: NodeJS.WritableStream;
}): Promise<number> {
  const out = options.out ?? process.stdout;
  const journal = Journal.snapshot(options.config.state);
  let entries: JournalEntry[];
  try {
    entries = journal.recent(options.limit);
  } finally {
    journal.close();
  }
  for (const entry of entries) {
    out.write(
      options.json
        ? JSON.stringify(entry) + '\n'
        : `${entry.createdAt}  ${entry.batch}  ${entry.op.padEnd(6)} ${entry.status.padEnd(7)} ${entry.source} → ${entry.target ?? '-'}\n`,
    );
  }
  return 0;
}

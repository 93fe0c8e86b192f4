import type { Config } from '../config/load.js';
import { existsSync } from 'node:fs';
import { Journal, type LeftInInbox } from '../journal/journal.js';
import type { JournalEntry } from '../journal/types.js';
import { describeEntry } from './journal-text.js';

/**
 * `photosortd journal`: recent operations, newest first, from a copy of the journal, so it
 * takes no lock and never changes the file (the daemon may be writing it meanwhile); then
 * (not with `--json`, whose lines are operations) the files the daemon left in an inbox and
 * still there, each with why.
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
  let left: LeftInInbox[];
  try {
    entries = journal.recent(options.limit);
    left = journal.leftInInbox(options.limit);
  } finally {
    journal.close();
  }
  for (const entry of entries) {
    out.write(options.json ? JSON.stringify(entry) + '\n' : describeEntry(entry));
  }
  if (options.json) return 0;
  const present = left.filter((file) => existsSync(file.source));
  if (present.length > 0) out.write('\nleft in the inbox:\n');
  for (const file of present) out.write(`${file.at}  ${file.source}: ${file.reason}\n`);
  return 0;
}

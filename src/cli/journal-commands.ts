import type { Config } from '../config/load.js';
import { existsSync } from 'node:fs';
import { Journal, type LeftInInbox } from '../journal/journal.js';
import type { JournalEntry, UndoResult, UndoSelector } from '../journal/types.js';
import { undo } from '../journal/undo.js';
import { describeEntry, describeUndo } from './journal-text.js';
import { daemonClient } from './remote.js';

/** Options of {@link runUndo}. */
export interface UndoCommandOptions {
  config: Config;
  selector: UndoSelector;
  force: boolean;
  dryRun: boolean;
  out?: NodeJS.WritableStream;
}

/**
 * `photosortd undo`: through the running daemon when there is one (so it does not file the
 * restored files again and its index stays true), else directly on the journal.
 * Exit status 1 when any file was refused.
 */
export async function runUndo(options: UndoCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const client = await daemonClient(options.config);
  let result: UndoResult;
  if (client) {
    result = await client.undo(options.selector, { force: options.force, dryRun: options.dryRun });
  } else {
    const journal = Journal.open(options.config.state);
    try {
      result = await undo(journal, options.selector, {
        force: options.force,
        dryRun: options.dryRun,
        library: options.config.library,
        inboxes: options.config.inboxes.map((inbox) => inbox.path),
      });
    } finally {
      journal.close();
    }
  }
  out.write(describeUndo(result));
  return result.refused.length > 0 ? 1 : 0;
}

/**
 * `photosortd journal`: recent operations, newest first; then (not with `--json`, whose lines
 * are operations) the files the daemon left in an inbox and still there, each with why.
 */
export async function printJournal(options: {
  config: Config;
  limit: number;
  json: boolean;
  out?: NodeJS.WritableStream;
}): Promise<number> {
  const out = options.out ?? process.stdout;
  const journal = Journal.open(options.config.state);
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

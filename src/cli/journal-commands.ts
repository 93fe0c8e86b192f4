import type { Config } from '../config/load.js';
import { Journal } from '../journal/journal.js';
import type { JournalEntry, UndoResult, UndoSelector } from '../journal/types.js';
import { undo } from '../journal/undo.js';
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
  const verb = options.dryRun ? 'would put back' : 'put back';
  for (const item of result.undone) out.write(`${verb}  ${item.from}\n     →  ${item.to}\n`);
  for (const item of result.refused)
    out.write(`refused  ${item.from}: ${item.reason ?? 'refused'}\n`);
  out.write(
    `${result.undone.length} file(s) ${verb}, ${result.refused.length} refused` +
      (result.refused.length > 0 && !options.force
        ? ' (use --force to put back changed files)'
        : '') +
      '\n',
  );
  return result.refused.length > 0 ? 1 : 0;
}

/** `photosortd journal`: recent operations, newest first. */
export async function printJournal(options: {
  config: Config;
  limit: number;
  json: boolean;
  out?: NodeJS.WritableStream;
}): Promise<number> {
  const out = options.out ?? process.stdout;
  const journal = Journal.open(options.config.state);
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

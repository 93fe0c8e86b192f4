import { ApiClient } from '../api/client.js';
import { takeState } from '../app/assemble.js';
import type { Config } from '../config/load.js';
import { Journal } from '../journal/journal.js';
import type { UndoResult, UndoSelector } from '../journal/types.js';
import { undo } from '../journal/undo.js';
import { createLogger } from '../lib/logger.js';
import { findDaemon, noDaemonMessage } from './find-daemon.js';
import { describeUndo } from './journal-text.js';
import { explain, findKey } from './remote.js';

/** Options of {@link runUndo}. */
export interface UndoCommandOptions {
  config: Config;
  /** What to undo; picking rows by id is the dashboard's, not the command line's. */
  selector: Exclude<UndoSelector, { ids: number[] }>;
  force: boolean;
  dryRun: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Where `PHOTOSORTD_API_KEY` is looked up; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `photosortd undo`: through the daemon of the state folder when one runs (it holds the
 * folder, does not file the restored files again, and keeps its index true), else here under
 * the state lock. A dry run without a daemon reads a copy of the journal and takes nothing.
 * Exit status 1 when any file was refused or the undo could not run.
 */
export async function runUndo(options: UndoCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const { config } = options;
  const source = await findKey(config, options.env ?? process.env);
  let result: UndoResult;
  try {
    const found = await findDaemon(config);
    if (found.kind === 'busy') {
      err.write(`${noDaemonMessage(found, config)}; undo once it has finished\n`);
      return 1;
    }
    result =
      found.kind === 'daemon'
        ? await new ApiClient(found.info.url, source.key).undo(options.selector, {
            force: options.force,
            dryRun: options.dryRun,
          })
        : await undoHere(options);
  } catch (error) {
    err.write(`${explain(error, config, source)}\n`);
    return 1;
  }
  out.write(describeUndo(result));
  return result.refused.length > 0 ? 1 : 0;
}

/** Undo without a daemon: under the state lock, or on a copy of the journal for a dry run. */
async function undoHere(options: UndoCommandOptions): Promise<UndoResult> {
  const { config } = options;
  const undoOptions = {
    force: options.force,
    dryRun: options.dryRun,
    library: config.library,
    inboxes: config.inboxes.map((inbox) => inbox.path),
  };
  if (options.dryRun) {
    const journal = Journal.snapshot(config.state);
    try {
      return await undo(journal, options.selector, undoOptions);
    } finally {
      journal.close();
    }
  }
  const logger = createLogger({ level: config.log.level });
  const { journal, lock } = await takeState(config, 'undo', logger);
  try {
    return await undo(journal, options.selector, undoOptions);
  } finally {
    journal.close();
    await lock.release();
  }
}

import type { SingleBar } from 'cli-progress';
import { resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { checkLibrary, refuseLibraryScan } from '../daemon/preflight.js';
import { feedFolder } from '../daemon/walk-files.js';
import { assertLibraryDevice } from '../lib/real-path.js';
import { exists } from '../lib/exists.js';
import type { Logger } from '../lib/logger.js';
import { buildStages, openDryRun, openWriter } from '../app/assemble.js';
import { PIPELINE_LOCKS } from '../pipeline/configured.js';
import type { Action } from '../lib/media.js';
import { createPipeline, type FileResult } from '../pipeline/pipeline.js';
import { filesTable, type ScanRow } from './scan-table.js';

/** Options of {@link scan}. */
export interface ScanOptions {
  config: Config;
  dirs: string[];
  dryRun: boolean;
  json: boolean;
  logger: Logger;
  out?: NodeJS.WriteStream | NodeJS.WritableStream;
  err?: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** One line of `scan --json`: the contract of DESIGN.md, plus why and what it duplicates. */
function scanLine(result: FileResult): ScanRow & Record<string, unknown> {
  const { job, event } = result;
  return {
    source: event.source,
    target: event.target,
    action: event.action,
    rule: event.rule,
    takenAt: event.takenAt,
    dateSource: event.dateSource,
    place: event.place,
    tags: event.tags,
    error: event.error,
    dateRejected: job.meta?.dateRejected ?? [],
    reason: job.plan?.reason ?? null,
    duplicateOf: job.plan?.duplicateOf ?? null,
  };
}

/**
 * `photosortd scan`: handles every file under the folders once, as if dropped into an
 * inbox. Returns the exit status: 0 all done, 1 when some file failed.
 */
export async function scan(options: ScanOptions): Promise<number> {
  const { config, logger } = options;
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  for (const dir of options.dirs) await refuseLibraryScan(resolve(dir), config.library);
  const checkFiling = await libraryCheck(config, options.dryRun);
  const showBar = !options.json && 'isTTY' in err && err.isTTY === true;
  const bar = showBar ? await progressBar(err) : null;
  // A dry run reads a copy of the journal and takes nothing; a real scan takes the state
  // folder (refused, naming the daemon, while one runs) and recovers what a crash left.
  const services = options.dryRun
    ? await openDryRun(config, logger)
    : await openWriter(config, 'scan', logger);
  const batch = services.journal.newBatchId();
  const counts: Record<Action, number> = { move: 0, unsorted: 0, duplicate: 0, skip: 0, error: 0 };
  let found = 0;
  const rows: ScanRow[] = [];
  const pipeline = createPipeline({
    stages: buildStages(config, services, {
      batch: () => batch,
      dryRun: options.dryRun,
      checkLibrary: checkFiling,
    }),
    concurrency: config.concurrency,
    exclusive: PIPELINE_LOCKS,
    onResult: (result) => {
      counts[result.event.action] += 1;
      if (options.json) out.write(JSON.stringify(scanLine(result)) + '\n');
      else rows.push(scanLine(result));
      bar?.increment(1, { moved: counts.move });
    },
  });

  try {
    for (const dir of options.dirs) {
      await feedFolder(resolve(dir), pipeline, {
        exiftool: services.exiftool,
        backlog: config.concurrency * 8,
        inProgress: config.inProgress,
        renameUndecodable: !options.dryRun,
        onFound: (job) => {
          // The bar starts with the first file found: started at 0/0 it would show full.
          if (found === 0) bar?.start(1, 0, { moved: 0 });
          found += 1 + (job.companions?.length ?? 0);
          bar?.setTotal(found);
        },
      });
    }
    await pipeline.onIdle();
  } finally {
    bar?.stop();
    await services.close();
  }

  if (!options.json && rows.length > 0) {
    out.write(
      filesTable(rows, {
        library: config.library,
        roots: options.dirs.map((dir) => resolve(dir)),
        aligned: 'isTTY' in out && out.isTTY === true,
        dryRun: options.dryRun,
      }),
    );
  }
  if (!options.json) err.write(summaryTable(counts, options.dryRun, batch));
  return counts.error > 0 ? 1 : 0;
}

/** The progress bar a scan shows on a terminal; cli-progress is loaded only then. */
async function progressBar(stream: NodeJS.WritableStream): Promise<SingleBar> {
  const { SingleBar, Presets } = await import('cli-progress');
  return new SingleBar(
    {
      stream,
      format: ' {bar} {value}/{total} files | {moved} filed | {eta_formatted} left',
    },
    Presets.shades_classic,
  );
}

/**
 * Checks the library as `run` does (it must exist, or be made with `createLibrary`) and returns
 * the mover's check that it is still on its device. A dry run makes nothing: with consent to
 * make a missing library, it plans into it as an empty one.
 */
async function libraryCheck(config: Config, dryRun: boolean): Promise<() => Promise<void>> {
  if (dryRun && config.createLibrary && !(await exists(config.library))) return async () => {};
  const { libraryDevice } = await checkLibrary({
    ...config,
    createLibrary: config.createLibrary && !dryRun,
  });
  return () => assertLibraryDevice(config.library, libraryDevice);
}

/** The table printed after a scan. */
function summaryTable(counts: Record<Action, number>, dryRun: boolean, batch: string): string {
  const rows: [string, number][] = [
    [dryRun ? 'would move' : 'moved', counts.move],
    ['unsorted', counts.unsorted],
    ['duplicates', counts.duplicate],
    ['skipped', counts.skip],
    ['errors', counts.error],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, n]) => `  ${label.padEnd(width)}  ${String(n).padStart(6)}`);
  const footer = dryRun
    ? '  (dry run: nothing on disk was changed)'
    : `  batch ${batch}: photosortd undo --batch ${batch} puts these files back`;
  return `\n${lines.join('\n')}\n${footer}\n`;
}

import { copyFile, lstat, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type Config } from '../config/load.js';
import { isRealWallClock, parseExifDateTime } from '../lib/capture-date.js';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import { exists } from '../lib/exists.js';
import { removeEmptyFolders } from '../lib/safe-move.js';
import { isInside } from '../lib/sanitize.js';
import { compileTemplates, PIPELINE_LOCKS, type StageOptions } from '../pipeline/configured.js';
import type { Services } from './services.js';
import type { Journal } from '../journal/journal.js';
import type { Action, CaptureDate, Place } from '../lib/media.js';
import type { FileEvent } from '../pipeline/file-event.js';
import type { FileJob } from '../pipeline/job.js';
import { createPipeline, type FileResult, type NamedStage } from '../pipeline/pipeline.js';
import type { ContentLookup } from '../pipeline/content-hash.js';
import type {
  AttentionItem,
  DaemonControl,
  DashboardControl,
  HandFix,
  PreviewReport,
} from './control.js';
import { feedFolder, walkFiles } from './walk-files.js';

/** Limits of what the dashboard's operations keep and show, with the reason for each. */
const DASHBOARD_LIMITS = Object.freeze({
  /** Moves a preview lists by name; the counts cover every file. A page, not a report. */
  previewExamples: 200,
  /** Files listed as needing attention: more than a person works through at one sitting. */
  attention: 500,
  /** Inbox files whose last decision is remembered; older ones fall back to a general reason. */
  outcomes: 10_000,
});

/** How a hand-set date shows where it came from, in the journal and the feed. */
const HAND_SET = 'set by hand';

/** Why a preview counts a file as unchanged: the rules already put it where it is. */
const IN_PLACE = 'already where the rules put it';

/** What the pipeline last decided for a file it left in an inbox. */
interface Outcome {
  action: Action;
  reason: string;
  duplicateOf?: string;
}

/** Remembers why files were left in an inbox, so "Needs attention" can say it. */
export class InboxOutcomes {
  private readonly byPath = new Map<string, Outcome>();

  /** Records a file's result: kept when it stayed in its inbox, forgotten when it went. */
  record({ job, event }: FileResult): void {
    this.byPath.delete(event.source);
    if (event.target !== null && event.action !== 'error') return;
    const reason = job.plan?.reason ?? event.error ?? event.action;
    const duplicateOf = job.plan?.duplicateOf;
    this.byPath.set(event.source, {
      action: event.action,
      reason,
      ...(duplicateOf ? { duplicateOf } : {}),
    });
    if (this.byPath.size > DASHBOARD_LIMITS.outcomes) {
      const oldest = this.byPath.keys().next().value;
      if (oldest !== undefined) this.byPath.delete(oldest);
    }
  }

  get(path: string): Outcome | undefined {
    return this.byPath.get(path);
  }
}

/** What the dashboard's operations need of the running daemon. */
export interface DashboardContext {
  services: Services;
  config(): Config;
  reload(next: Config): Promise<void>;
  outcomes: InboxOutcomes;
  /** Whether the daemon has this inbox file queued or in flight. */
  waiting(path: string): boolean;
  /** Counts and publishes a result, as for the files the daemon takes itself. */
  report(result: FileResult): void;
  /** The mover's check, right before a move, that the library is still there. */
  checkLibrary(): Promise<void>;
  /** The pipeline's stages for a configuration over the daemon's services. */
  buildStages(config: Config, options: StageOptions): NamedStage[];
}

/** The dashboard's operations on a running daemon; see {@link DashboardControl}. */
export function createDashboardOps(
  context: DashboardContext,
): Omit<DashboardControl, keyof DaemonControl> {
  return {
    config: context.config,
    attention: () => attention(context),
    fileByHand: (path, fix) => fileByHand(context, path, fix),
    trashDuplicate: (path) => trashDuplicate(context, path),
    fileAnyway: (path) => fileAnyway(context, path),
    preview: (yaml, folder) =>
      runOver(context, parseConfigText(yaml, context.config().file), folder, { dryRun: true }),
    resortLibrary: () => {
      const config = context.config();
      return runOver(context, config, config.library, { dryRun: false });
    },
    saveConfig: (yaml) => saveConfig(context, yaml),
  };
}

async function attention(context: DashboardContext): Promise<AttentionItem[]> {
  const { journal } = context.services;
  const items: AttentionItem[] = [];
  for (const entry of journal.movedAs('unsorted', DASHBOARD_LIMITS.attention)) {
    if (!entry.target || !(await exists(entry.target))) continue;
    const why = entry.details?.reason;
    items.push({
      path: entry.target,
      where: 'unsorted',
      action: 'unsorted',
      reason: typeof why === 'string' ? why : 'filed as unsorted: no usable capture date',
    });
  }
  for (const inbox of context.config().inboxes) {
    try {
      for await (const job of walkFiles(inbox.path)) {
        if (items.length >= DASHBOARD_LIMITS.attention) return items;
        if (context.waiting(job.source)) continue;
        const outcome = context.outcomes.get(job.source);
        items.push({
          path: job.source,
          where: 'inbox',
          action: outcome?.action ?? null,
          reason:
            outcome?.reason ??
            'left in the inbox before this daemon started; `photosortd scan --dry-run` says why',
          ...(outcome?.duplicateOf ? { duplicateOf: outcome.duplicateOf } : {}),
        });
      }
    } catch (error) {
      // A missing inbox is shown on the Now page; its files cannot need attention.
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return items;
}

/** The root a file the dashboard may act on lies under: an inbox, or the library. */
function rootOf(config: Config, path: string): string {
  const inbox = config.inboxes.find((candidate) => isInside(candidate.path, path));
  if (inbox) return inbox.path;
  if (isInside(config.library, path)) return config.library;
  throw new PhotosortdError(
    'NOT_IN_INBOX_OR_LIBRARY',
    `${path} is in no inbox and not in the library; the dashboard only files files from there`,
  );
}

async function jobFor(config: Config, path: string): Promise<FileJob> {
  const root = rootOf(config, path);
  const info = await lstat(path).catch((error: unknown) => {
    throw new PhotosortdError(
      'NOT_FOUND',
      `${path} is no longer there (${errorMessage(error)}); reload the page`,
    );
  });
  return { source: path, root, size: info.size, mtimeMs: info.mtimeMs };
}

/** `YYYY-MM-DDTHH:MM` from a form → a capture date whose source says a person set it. */
function handDate(text: string): CaptureDate {
  const parsed = parseExifDateTime(text);
  if (!parsed || !isRealWallClock(parsed.wall)) {
    throw new PhotosortdError(
      'BAD_DATE',
      `"${text}" is not a date and time such as 2024-06-12T18:30; pick one in the date field`,
    );
  }
  return { ...parsed.wall, offsetMinutes: null, zone: null, source: HAND_SET };
}

/** A stage, run just before `plan`, that gives a file the date and place a person set. */
function handFixStage(fix: HandFix): NamedStage {
  const takenAt = fix.takenAt ? handDate(fix.takenAt) : undefined;
  const place = fix.place?.city || fix.place?.country ? fix.place : undefined;
  return {
    name: 'by-hand',
    run: async (job) => ({
      ...job,
      ...(takenAt && job.meta ? { meta: { ...job.meta, takenAt } } : {}),
      ...(place
        ? {
            place: {
              city: place.city || null,
              region: null,
              country: place.country || null,
              countryCode: null,
            },
          }
        : {}),
    }),
  };
}

/**
 * A stage, run just before `plan`, that gives a library file without a date of its own the
 * date (and place) a person set when filing it by hand, as the journal remembers them: a
 * re-sort must not send it back to Unsorted.
 */
function rememberedStage(journal: Journal): NamedStage {
  return {
    name: 'remembered',
    run: async (job) => {
      if (job.meta?.takenAt !== null || !job.meta) return job;
      const details = journal.lastMovedTo(job.source)?.details;
      if (details?.dateSource !== HAND_SET || typeof details.takenAt !== 'string') return job;
      const place = job.place ?? (details.place as Place | null | undefined) ?? null;
      return { ...job, meta: { ...job.meta, takenAt: handDate(details.takenAt) }, place };
    },
  };
}

/** A stage, run just before `move`, that leaves a file its rules put where it already is. */
const inPlaceStage: NamedStage = {
  name: 'in-place',
  run: async (job) =>
    job.plan?.target === job.source
      ? { ...job, plan: { ...job.plan, action: 'skip', target: null, reason: IN_PLACE } }
      : job,
};

/** `stages` with `extra` run just before the stage named `before`. */
function insertBefore(stages: NamedStage[], before: string, extra: NamedStage): NamedStage[] {
  const at = stages.findIndex((stage) => stage.name === before);
  return at < 0 ? [...stages, extra] : [...stages.slice(0, at), extra, ...stages.slice(at)];
}

/**
 * Runs one file through the pipeline's own stages under `config` (with `extra` before
 * `plan`), as a journal batch of its own, and reports the result like any other file.
 */
async function fileOne(
  context: DashboardContext,
  config: Config,
  path: string,
  options: { extra?: NamedStage; content?: ContentLookup } = {},
): Promise<FileEvent> {
  const { services } = context;
  const { extra, content } = options;
  const job = await jobFor(config, path);
  const batch = services.journal.newBatchId();
  const built = context.buildStages(config, {
    batch: () => batch,
    dryRun: false,
    content,
    checkLibrary: context.checkLibrary,
  });
  const stages = insertBefore(
    extra ? insertBefore(built, 'plan', extra) : built,
    'move',
    inPlaceStage,
  );
  const pipeline = createPipeline({ stages, concurrency: 1, exclusive: PIPELINE_LOCKS });
  const result = await pipeline.add(job);
  await forgetMovedOut(context, result);
  context.report(result);
  return result.event;
}

/** Files a file with the date and place given; with neither, as its own metadata says. */
async function fileByHand(
  context: DashboardContext,
  path: string,
  fix: HandFix,
): Promise<FileEvent> {
  const given = fix.takenAt || fix.place?.city || fix.place?.country;
  return fileOne(context, context.config(), path, given ? { extra: handFixStage(fix) } : {});
}

async function trashDuplicate(context: DashboardContext, path: string): Promise<FileEvent> {
  const config = context.config();
  if (rootOf(config, path) === config.library) {
    throw new PhotosortdError(
      'NOT_IN_INBOX',
      `${path} is in the library; only a duplicate left in an inbox goes to the trash from here`,
    );
  }
  const event = await fileOne(context, { ...config, duplicates: 'delete' }, path);
  if (event.action !== 'duplicate' || !event.target) {
    throw new PhotosortdError(
      'NOT_A_DUPLICATE',
      `${path} was not deleted: ${event.error ?? 'the library holds no file with its bytes'}`,
    );
  }
  return event;
}

/** A content lookup that knows no file: the planner then files a duplicate like any file. */
const NO_CONTENT: ContentLookup = {
  lookup: () => ({}),
  holdsSize: () => false,
  hashCandidates: () => Promise.resolve(false),
};

async function fileAnyway(context: DashboardContext, path: string): Promise<FileEvent> {
  return fileOne(context, context.config(), path, { content: NO_CONTENT });
}

/**
 * A library file the pipeline moved elsewhere in the library leaves the content index (its
 * new place is added by the move stage) and leaves no empty folder behind.
 */
async function forgetMovedOut(context: DashboardContext, { event }: FileResult): Promise<void> {
  const { index } = context.services;
  if (!event.target || event.target === event.source || event.action === 'error') return;
  if (!isInside(index.library, event.source)) return;
  index.remove(event.source);
  await removeEmptyFolders(dirname(event.source), index.library);
}

/**
 * Runs every file under `folder` through `config`'s stages: a dry run says what would move
 * (nothing on disk changes); a real one moves them as one journal batch that undo takes back.
 */
async function runOver(
  context: DashboardContext,
  config: Config,
  folder: string,
  options: { dryRun: boolean },
): Promise<PreviewReport> {
  const { services } = context;
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PhotosortdError('NOT_A_FOLDER', `${folder} is not a folder this daemon can read`);
  }
  const batch = services.journal.newBatchId();
  const built = context.buildStages(config, {
    batch: () => batch,
    dryRun: options.dryRun,
    checkLibrary: context.checkLibrary,
  });
  const stages = insertBefore(
    insertBefore(built, 'plan', rememberedStage(services.journal)),
    'move',
    inPlaceStage,
  );
  const report: PreviewReport = {
    folder,
    counts: { move: 0, unsorted: 0, duplicate: 0, skip: 0, error: 0, unchanged: 0 },
    moves: [],
    moving: 0,
    ...(options.dryRun ? {} : { batch }),
  };
  const pending: Promise<void>[] = [];
  const pipeline = createPipeline({
    stages,
    concurrency: config.concurrency,
    exclusive: PIPELINE_LOCKS,
    onResult: (result) => {
      const { job, event } = result;
      if (event.action === 'skip' && job.plan?.reason === IN_PLACE) {
        report.counts.unchanged += 1;
        return;
      }
      report.counts[event.action] += 1;
      if (event.target && event.target !== event.source) {
        report.moving += 1;
        if (report.moves.length < DASHBOARD_LIMITS.previewExamples) {
          report.moves.push({
            source: event.source,
            target: event.target,
            action: event.action,
            rule: event.rule,
            reason: job.plan?.reason ?? event.error,
          });
        }
      }
      if (!options.dryRun) {
        pending.push(forgetMovedOut(context, result));
        context.report(result);
      }
    },
  });
  await feedFolder(folder, pipeline, {
    exiftool: services.exiftool,
    backlog: config.concurrency * 8,
  });
  await pipeline.onIdle();
  await Promise.all(pending);
  return report;
}

/** Parses configuration text as the file at `file` would be read, templates compiled. */
function parseConfigText(text: string, file: string | null): Config {
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (error) {
    throw new PhotosortdError(
      'CONFIG_INVALID',
      `The configuration is not valid YAML: ${errorMessage(error)}`,
    );
  }
  const config = parseConfig(input, file);
  compileTemplates(config);
  return config;
}

async function saveConfig(
  context: DashboardContext,
  yaml: string,
): Promise<{ file: string; backup: string }> {
  const file = context.config().file;
  if (!file) {
    throw new PhotosortdError(
      'CONFIG_NOT_A_FILE',
      'This daemon was started without a configuration file, so there is none to save',
    );
  }
  const next = parseConfigText(yaml, file);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = `${file}.${stamp}.bak`;
  await copyFile(file, backup);
  const previous = await readFile(file, 'utf8');
  const written = `${file}.saving`;
  await writeFile(written, yaml, { mode: 0o600 });
  await rename(written, file);
  try {
    await context.reload(next);
  } catch (error) {
    // The daemon refused it (an inbox it cannot watch, say): the file says what runs.
    await writeFile(file, previous);
    throw error;
  }
  return { file, backup };
}

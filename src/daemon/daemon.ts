import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../config/load.js';
import { undo } from '../journal/undo.js';
import type { UndoSelector } from '../journal/types.js';
import type { Logger } from '../lib/logger.js';
import { createOpenWriterCheck, STILL_BEING_WRITTEN } from '../lib/open-writers.js';
import { isInside } from '../lib/sanitize.js';
import { VERSION } from '../lib/version.js';
import { recordFiledContent } from '../pipeline/changed-after-filing.js';
import { leaderFiled, redateByLateJson } from '../pipeline/groups/followers.js';
import { groupJobs } from '../pipeline/groups/grouping.js';
import { leavingPolicy } from '../pipeline/left-before.js';
import type { Action } from '../lib/media.js';
import type { FileJob } from '../pipeline/job.js';
import { PIPELINE_LOCKS, type StageOptions } from '../pipeline/configured.js';
import {
  createPipeline,
  type FileResult,
  type NamedStage,
  type Pipeline,
} from '../pipeline/pipeline.js';
import {
  HOLDING_LISTED,
  type ControlEvent,
  type DashboardControl,
  type DaemonStatus,
  type WaitingReason,
} from './control.js';
import { createDashboardOps, InboxOutcomes } from './dashboard.js';
import { createFiledWatch, type FiledWatch } from './filed-watch.js';
import { watchInboxSet, type InboxSet } from './inbox-presence.js';
import { createGatherer, GROUP_WINDOW_MS, ORPHAN_WAIT_MS } from './gatherer.js';
import { inProgressMatcher } from './in-progress.js';
import { watchLibrary, type LibraryPresence } from './library-presence.js';
import { checkExiftool, checkLayout, type Layout } from './preflight.js';
import { mergeReload } from './reload.js';
import type { DaemonSearchParts } from '../search/index.js';
import type { Services } from './services.js';

/** A new journal batch starts when no file has been filed for this long. */
const BATCH_IDLE_MS = 60_000;

/** A running daemon: the control surface plus `stop`. */
export interface Daemon extends DashboardControl {
  /** Resolves once every inbox's existing files have been queued. */
  readonly ready: Promise<void>;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /**
   * Stops taking files, lets in-flight ones finish (up to `timeoutMs`), and closes the
   * journal. Files still waiting stay in the inbox for the next start.
   */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * Switches to a new configuration: inboxes added or dropped, rules, templates and the
   * other keys that need no restart. Throws, keeping the configuration in use, when the new
   * one fails the start-up checks or a template does not compile.
   */
  reload(next: Config): Promise<void>;
  /** The daemon's search index and tagger, which its API's search reads and embeds with. */
  searchParts(): DaemonSearchParts;
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Opened by the caller (under the state lock); the daemon closes them when it stops. */
  services: Services;
  /** What `checkLibrary` found at start: the library's device, watched from then on. */
  layout: Layout;
  /** The pipeline's stages for a configuration over `services` (the daemon's, the dashboard's). */
  buildStages: (config: Config, options: StageOptions) => NamedStage[];
}

/**
 * Wires watcher → pipeline → journal over `services` (see `app/launch.ts`, which checks the
 * layout and takes the state folder first). Every settled file in an inbox is handled once;
 * while paused, arrivals are remembered and handled on resume.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  let config = options.config;
  const { services, layout } = options;
  try {
    await checkExiftool(services.exiftool);
  } catch (error) {
    await services.close();
    throw error;
  }
  const startedAt = new Date().toISOString();
  const listeners = new Set<(event: ControlEvent) => void>();
  const inFlight = new Set<string>();
  const held = new Map<string, string>();
  /** Files left in the inbox on purpose, by path, with the reason (newest last). */
  /** Files left in an inbox on purpose: why, for a person, and the kind, for metrics. */
  const holding = new Map<string, { reason: string; kind: WaitingReason }>();
  /** Files the library's absence sent back, with their inbox: taken again when their job ends. */
  const retry = new Map<string, string>();
  /** Who holds filing back: the user (`pause`), and the library while it is unavailable. */
  const pausedBy = new Set<'user' | 'library'>();
  let stopping = false;
  let processed = 0;
  let failed = 0;
  const handled: Record<Action, number> = { move: 0, unsorted: 0, duplicate: 0, skip: 0, error: 0 };
  let batch = services.journal.newBatchId();
  // The watchers skip the built-in temp names; the configured ones are dropped here.
  let inProgress = inProgressMatcher(config.inProgress);
  let lastFiled = Date.now();
  const outcomes = new InboxOutcomes();

  const publish = (event: ControlEvent) => {
    for (const listener of listeners) listener(event);
  };

  const currentBatch = () => {
    if (Date.now() - lastFiled > BATCH_IDLE_MS) batch = services.journal.newBatchId();
    lastFiled = Date.now();
    return batch;
  };

  const pipeline: Pipeline = createPipeline({
    stages: daemonStages(options, config, currentBatch, () => library.verify()),
    concurrency: config.concurrency,
    exclusive: PIPELINE_LOCKS,
    onResult: (result) => report(result),
  });

  const filedWatch: FiledWatch = createFiledWatch({
    journal: services.journal,
    windowMs: () => config.watchFiled ?? Math.max(5 * config.settle, 5000),
    settleMs: () => Math.max(config.settle, 500),
    writers: createOpenWriterCheck(),
    record: (path, reason) => recordFiledContent(services.journal, services.index, path, reason),
    logger,
  });

  /** Watches the files a job put into the library (see filed-watch.ts). */
  function watchFiled(job: FileJob) {
    if (config.watchFiled === 0) return;
    for (const member of [job, ...(job.companions ?? [])]) {
      const target = member.plan?.target;
      if (member.error || !target || !isInside(config.library, target)) continue;
      if (member.plan?.action === 'skip') continue;
      filedWatch.watch(target);
    }
  }

  function report(result: FileResult) {
    const { job, event } = result;
    watchFiled(job);
    holding.delete(job.source);
    if (retry.has(job.source)) return;
    if (job.error?.code === 'LIBRARY_UNAVAILABLE') {
      // Not a failure of the file: it waits in the inbox, with its companions, and is taken
      // again once its group is out of the pipeline (held while the library is away).
      for (const member of [job, ...(job.companions ?? [])]) {
        // A Live Photo video adopted from the library stays where it is filed.
        if (member.root === job.root) retry.set(member.source, job.root);
      }
      logger.warn({ source: job.source, error: event.error }, 'library unavailable; file waits');
      return;
    }
    if (job.error?.code === STILL_BEING_WRITTEN) return retryLater(job);
    if (event.action === 'skip') {
      holding.set(job.source, {
        reason: job.plan?.reason ?? job.error?.message ?? 'left in the inbox',
        kind: job.error?.code === 'RESTORED_BY_UNDO' ? 'put-back-by-undo' : 'left-by-rules',
      });
    }
    outcomes.record(result);
    processed += 1;
    handled[event.action] += 1;
    if (event.action === 'error') failed += 1;
    const line = {
      source: event.source,
      target: event.target,
      rule: event.rule,
      dateSource: event.dateSource,
    };
    if (event.action === 'error') logger.error({ ...line, error: event.error }, 'file failed');
    else if (event.action === 'move') logger.info(line, 'filed');
    else if (job.error?.code === 'LEFT_BEFORE') {
      // Said once, when it was left; a restart does not say it again.
      logger.debug({ ...line, reason: job.plan?.reason }, event.action);
    } else logger.warn({ ...line, reason: job.plan?.reason }, event.action);
    rememberIfLeft({ job, event });
    publish(event);
  }

  /**
   * A file found still open for writing (or changed) right before its move: no event may
   * come when its writer only closes it, so it is taken again after another settle period.
   */
  function retryLater(job: FileJob) {
    holding.set(job.source, {
      reason: job.error?.message ?? 'still being written',
      kind: 'being-written',
    });
    logger.info({ source: job.source, reason: job.error?.message }, 'still being written');
    setTimeout(() => take(job.source, job.root), Math.max(config.settle, 2000)).unref();
  }

  /**
   * A file left in the inbox by the policy (a duplicate under `duplicates: skip`, an
   * occupied name under `onCollision: skip`) is remembered in the journal with why, so the
   * next start neither hashes nor warns about it again, and `journal` shows the reason.
   */
  function rememberIfLeft({ job, event }: FileResult) {
    const byPolicy =
      !job.error &&
      ((event.action === 'duplicate' && event.target === null) || event.action === 'skip');
    if (!byPolicy) return;
    try {
      services.journal.rememberLeft({
        source: job.source,
        size: job.size,
        mtimeMs: job.mtimeMs,
        policy: leavingPolicy(config),
        action: event.action,
        reason: job.plan?.reason ?? event.action,
      });
    } catch (error) {
      logger.warn(
        { source: job.source, err: error },
        'could not remember a file left in the inbox',
      );
    }
  }

  function take(path: string, inbox: string) {
    if (stopping || inFlight.has(path) || inProgress(basename(path))) return;
    if (pausedBy.size > 0) {
      held.set(path, inbox);
      return;
    }
    inFlight.add(path);
    gatherer.add(path, inbox);
  }

  /** Queues a settled group (a photo with its sidecars, RAW, Live Photo video) as one job. */
  async function submit(paths: string[], inbox: string): Promise<void> {
    try {
      const found = await Promise.all(
        paths.map((path) =>
          stat(path).then(
            (info): FileJob => ({
              source: path,
              root: inbox,
              size: info.size,
              mtimeMs: info.mtimeMs,
            }),
            // A file gone before its turn was moved or deleted by someone else: nothing to do.
            (error: unknown) => logger.debug({ path, err: error }, 'file vanished before handling'),
          ),
        ),
      );
      const jobs = found.filter((job): job is FileJob => job !== undefined);
      const grouped = await Promise.all(
        groupJobs(jobs).map((job) => redateByLateJson(services.journal, config.library, job)),
      );
      await Promise.all(grouped.map((job) => pipeline.add(job)));
    } finally {
      for (const path of paths) inFlight.delete(path);
      for (const path of paths) {
        const inbox = retry.get(path);
        if (inbox === undefined) continue;
        retry.delete(path);
        take(path, inbox);
      }
    }
  }

  const gatherer = createGatherer({
    windowMs: GROUP_WINDOW_MS,
    orphanWaitMs: ORPHAN_WAIT_MS,
    fileFiled: (path) => leaderFiled(services.journal, path),
    // Declared below: the watchers report to `take`, which feeds this gatherer.
    settling: (path) => inboxes.settling(path),
    submit,
  });

  /** Holds filing back for `reason`; files already in flight finish. */
  function hold(reason: 'user' | 'library') {
    pausedBy.add(reason);
    // Files queued but not started wait too; only those already in flight finish.
    pipeline.pause();
  }

  /** Lets go of `reason`; filing restarts, with the files held meanwhile, once nothing holds it. */
  function release(reason: 'user' | 'library') {
    pausedBy.delete(reason);
    if (pausedBy.size > 0) return;
    pipeline.resume();
    const waiting = [...held];
    held.clear();
    for (const [path, inbox] of waiting) take(path, inbox);
  }

  const library: LibraryPresence = watchLibrary({
    path: config.library,
    device: layout.libraryDevice,
    logger,
    onChange: (present) => {
      if (present) release('library');
      else hold('library');
      publish({ type: pausedBy.size > 0 ? 'paused' : 'resumed', at: new Date().toISOString() });
    },
  });

  const inboxes: InboxSet = watchInboxSet({
    inboxes: config.inboxes,
    settle: config.settle,
    onFile: take,
    logger,
  });
  await inboxes.ready;
  logger.info(
    { inboxes: config.inboxes.map((inbox) => inbox.path), library: config.library },
    'watching',
  );

  const status = (): DaemonStatus => ({
    state: pausedBy.size > 0 ? 'paused' : 'running',
    queue: {
      waiting: pipeline.size.waiting + held.size + gatherer.size,
      active: pipeline.size.active,
    },
    processed,
    failed,
    handled: { ...handled },
    startedAt,
    version: VERSION,
    inboxes: inboxes.status(),
    library: config.library,
    libraryState: library.status(),
    tagging: {
      enabled: services.tagger?.status.enabled ?? false,
      ...(services.notes.tagging ? { reason: services.notes.tagging } : {}),
    },
    geocode: {
      enabled: services.geocoder !== null && !services.notes.geocode,
      ...(services.geocoder ? { provider: services.geocoder.provider } : {}),
      ...(services.notes.geocode ? { reason: services.notes.geocode } : {}),
    },
    journal: services.journal.size(),
    lastFiledAt: services.journal.lastFiledAt(),
    holding: {
      count: holding.size,
      files: [...holding]
        .slice(-HOLDING_LISTED)
        .map(([source, { reason }]) => ({ source, reason })),
    },
    waiting: waitingByReason(),
    ...(services.cluster ? { cluster: services.cluster.status() } : {}),
  });

  function waitingByReason(): Record<WaitingReason, number> {
    const counts: Record<WaitingReason, number> = {
      queued: pipeline.size.waiting + gatherer.size,
      paused: held.size,
      'library-missing': retry.size,
      'being-written': 0,
      'put-back-by-undo': 0,
      'left-by-rules': 0,
    };
    for (const { kind } of holding.values()) counts[kind] += 1;
    return counts;
  }

  const daemon: Daemon = {
    ready: inboxes.ready,
    status,
    pause() {
      if (pausedBy.has('user')) return;
      hold('user');
      logger.info('paused: new files wait in the inbox');
      publish({ type: 'paused', at: new Date().toISOString() });
    },
    resume() {
      if (!pausedBy.has('user')) return;
      logger.info({ waiting: held.size }, 'resumed');
      publish({ type: 'resumed', at: new Date().toISOString() });
      release('user');
    },
    async undo(selector: UndoSelector, undoOptions = {}) {
      const result = await undo(services.journal, selector, {
        ...undoOptions,
        index: services.index,
        library: config.library,
        inboxes: config.inboxes.map((inbox) => inbox.path),
      });
      // A dry run (the dashboard's confirmation, `undo --dry-run`) changed nothing to tell.
      if (result.batch === null) return result;
      logger.info(
        { batch: result.batch, undone: result.undone.length, refused: result.refused.length },
        'undo',
      );
      publish({
        type: 'undo',
        at: new Date().toISOString(),
        batch: result.batch,
        undone: result.undone.length,
        refused: result.refused.length,
      });
      return result;
    },
    journal: (limit) => services.journal.recent(limit),
    searchParts: () => ({
      index: services.search,
      embedder: services.tagger?.status.enabled ? services.tagger : null,
    }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      await gatherer.idle();
      await pipeline.onIdle();
    },
    async reload(next) {
      const { config: merged, restartNeeded } = mergeReload(config, next);
      await checkLayout(merged, { library: false });
      const stages = daemonStages(options, merged, currentBatch, () => library.verify());
      if (stopping) return;
      pipeline.reconfigure(stages, merged.concurrency);
      config = merged;
      inProgress = inProgressMatcher(merged.inProgress);
      logger.level = merged.log.level;
      const { added, removed } = await inboxes.update(merged.inboxes, merged.settle);
      if (restartNeeded.length > 0) {
        logger.warn(
          { keys: restartNeeded },
          `configuration reloaded; a change to ${restartNeeded.join(', ')} takes effect only ` +
            'after a restart, so the values in use are kept until then',
        );
      }
      logger.info(
        { added, removed, inboxes: merged.inboxes.map((inbox) => inbox.path) },
        'configuration reloaded',
      );
    },
    async stop(timeoutMs = 30_000) {
      if (stopping) return;
      stopping = true;
      library.close();
      await inboxes.close();
      gatherer.close();
      filedWatch.close();
      pipeline.clear();
      const finished = await Promise.race([
        pipeline.onIdle().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref()),
      ]);
      if (!finished) {
        logger.warn(
          { timeoutMs },
          'files still in flight at shutdown; their journal rows are reconciled at next start',
        );
      }
      await services.close();
      logger.info('stopped');
    },
    ...createDashboardOps({
      services,
      config: () => config,
      reload: (next) => daemon.reload(next),
      outcomes,
      waiting: (path) => inFlight.has(path) || held.has(path),
      report,
      checkLibrary: () => library.verify(),
      buildStages: options.buildStages,
    }),
  };
  return daemon;
}

/**
 * The daemon's own stages: files an undo put back into an inbox it watches stay there, and
 * the mover checks the library is still there before each move.
 */
function daemonStages(
  options: DaemonOptions,
  config: Config,
  batch: () => string,
  checkLibrary: () => Promise<void>,
): NamedStage[] {
  return options.buildStages(config, {
    batch,
    dryRun: false,
    skipRestored: true,
    skipLeftBefore: true,
    checkLibrary,
  });
}

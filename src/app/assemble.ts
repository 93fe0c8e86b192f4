import type { ExifTool } from 'exiftool-vendored';
import { dirname } from 'node:path';
import type { Cluster } from '../cluster/index.js';
import type { Config } from '../config/load.js';
import { readDaemonInfo } from '../daemon/daemon-file.js';
import type { Services } from '../daemon/services.js';
import type { Geocoder } from '../geocode/index.js';
import { LibraryIndex } from '../journal/library-index.js';
import { Journal } from '../journal/journal.js';
import { recover } from '../journal/recover.js';
import { PhotosortdError, errorMessage } from '../lib/errors.js';
import { createExifTool } from '../lib/exiftool.js';
import type { Logger } from '../lib/logger.js';
import {
  acquireStateLock,
  describeHolder,
  StateLockedError,
  type StateLock,
} from '../lib/state-lock.js';
import { statePaths } from '../lib/state-paths.js';
import type { SearchIndex } from '../search/index.js';
import type { Tagger } from '../tagging/index.js';
import { loadLabels } from '../tagging/labels.js';
import { followFiledFile } from '../pipeline/groups/followers.js';
import { createCompanionsStage } from '../pipeline/groups/members.js';
import { createOpenWriterCheck } from '../lib/open-writers.js';
import { createRestoredStage } from '../pipeline/restored.js';
import { createLeftBeforeStage, leavingPolicy } from '../pipeline/left-before.js';
import { createExifStage } from '../pipeline/exif.js';
import { createGeocodeStage } from '../pipeline/geocode.js';
import { identify } from '../pipeline/identify.js';
import { createMoveStage } from '../pipeline/move.js';
import { adoptFiledVideo } from '../pipeline/live-photo.js';
import type { NamedStage } from '../pipeline/pipeline.js';
import { compileTemplates, type StageOptions } from '../pipeline/configured.js';
import { createPlanStage } from '../pipeline/plan.js';
import { createTagStage } from '../pipeline/tag.js';
import { hashedIfSizeHeld } from '../pipeline/content-hash.js';
import { createTakeoutStage } from '../pipeline/takeout.js';
import { createWriteTagsStage } from '../pipeline/write-tags.js';

/**
 * Takes the state folder for a command that changes it (`run`, `scan`, `undo`): its lock, the
 * journal, and recovery of what a crash left half-done, in that order, so that recovery never
 * runs beside another process's moves. Throws `STATE_LOCKED` naming the holder (with the
 * daemon's API URL when it is the daemon). Close the journal, then release the lock.
 */
export async function takeState(
  config: Config,
  command: string,
  logger: Logger,
): Promise<{ journal: Journal; lock: StateLock }> {
  const lock = await acquireWaitingForCommands(config.state, command, logger).catch(
    async (error: unknown) => {
      throw error instanceof StateLockedError ? await namingTheDaemon(error, command) : error;
    },
  );
  try {
    const journal = Journal.open(config.state);
    try {
      await recoverJournal(journal, logger);
      return { journal, lock };
    } catch (error) {
      journal.close();
      throw error;
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Commands that hold the state folder for a while and then let go: a daemon waits for them. */
const FINITE_COMMANDS = new Set(['scan', 'undo']);

/** How often a daemon waiting for a `scan` or `undo` tries the lock again. */
const RETRY_MS = 1_000;

/**
 * The state lock for `command`. The daemon waits while a `scan` or `undo` holds the folder
 * (they end, and a service manager starting it meanwhile should not give up); anything else
 * holding it, another daemon above all, is refused at once.
 */
async function acquireWaitingForCommands(
  stateDir: string,
  command: string,
  logger: Logger,
): Promise<StateLock> {
  let told = false;
  for (;;) {
    try {
      return await acquireStateLock(stateDir, command);
    } catch (error) {
      const holder = error instanceof StateLockedError ? error.holder : null;
      if (command !== 'run' || !holder || !FINITE_COMMANDS.has(holder.command)) throw error;
      if (!told) logger.info({ holder }, `waiting for ${describeHolder(holder)} to finish`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

/** What to do instead, when the daemon holds the state folder, per command refused. */
const WHILE_THE_DAEMON_RUNS: Readonly<Record<string, string>> = Object.freeze({
  scan: 'move the files into one of its inboxes instead, or stop it and scan again',
  undo: 'undo through its API (`photosortd undo` does when it can reach it), or stop it first',
});

/** A refusal that also says where the daemon holding the folder listens. */
async function namingTheDaemon(error: StateLockedError, command: string): Promise<Error> {
  const daemon = await readDaemonInfo(error.stateDir);
  if (!daemon || daemon.pid !== error.holder?.pid) return error;
  const instead =
    WHILE_THE_DAEMON_RUNS[command] ?? 'stop it first, or give this one its own `state` folder';
  return new PhotosortdError(
    'STATE_LOCKED',
    `photosortd run (pid ${daemon.pid}, ${daemon.url ? `API at ${daemon.url}` : 'API off'}, ` +
      `since ${daemon.startedAt}) is using the state folder ${error.stateDir}; ${instead}`,
  );
}

/**
 * Reconciles the moves a crash left half-done. Only the holder of the state lock may: a
 * `planned` row of a live process is a move in progress, not a crash.
 */
async function recoverJournal(journal: Journal, logger: Logger): Promise<void> {
  const recovery = await recover(journal);
  if (recovery.total > 0) logger.info({ recovery }, 'reconciled moves a crash left half-done');
}

/**
 * Indexes the library's content and starts exiftool, the geocoder and the tagger as the
 * config asks, over `journal` (opened by {@link takeState}, or a `Journal.snapshot` for a dry
 * run). `close` closes them all, the journal, and last releases `lock` when given.
 */
async function openServices(
  config: Config,
  logger: Logger,
  journal: Journal,
  lock?: StateLock,
): Promise<Services> {
  const exiftool = createExifTool();
  const closeBase = async () => {
    await exiftool.end();
    journal.close();
    await lock?.release();
  };
  let cluster: Cluster | null = null;
  try {
    cluster = await openCluster(config, logger);
    const paths = statePaths(config.state);
    const index = await LibraryIndex.build(journal, config.library, {
      ignore: (path) => path.startsWith(paths.trash + '/'),
    });
    const notes: Services['notes'] = {};
    const geocoder = await openGeocoder(config, exiftool, logger, cluster);
    if (!geocoder) notes.geocode = 'geocode.enabled is false in the configuration';
    // The daemon loads the places at once, so its first photo does not wait for them; a
    // command loads them at its first photo with GPS, and an empty scan never does.
    if (lock?.holder.command === 'run')
      geocoder?.ready().catch((error: unknown) => (notes.geocode = errorMessage(error)));
    const tagger = config.tagging.enabled
      ? await openTagger(config, exiftool, logger, cluster)
      : null;
    if (!tagger) notes.tagging = 'tagging.enabled is false in the configuration';
    else if (!tagger.status.enabled) notes.tagging = tagger.status.reason;
    const search = tagger?.model ? await openSearchIndex(config, tagger.model) : null;
    return {
      exiftool,
      journal,
      index,
      geocoder,
      tagger,
      search,
      cluster,
      notes,
      close: async () => {
        await Promise.allSettled([geocoder?.close(), tagger?.close()]);
        await cluster?.close();
        search?.close();
        await closeBase();
      },
    };
  } catch (error) {
    await cluster?.close();
    await closeBase();
    throw error;
  }
}

/**
 * Services for a dry run, over a private copy of the journal: no lock, no recovery, and
 * nothing it records reaches the journal on disk, so it is safe beside a running daemon.
 */
export function openDryRun(config: Config, logger: Logger): Promise<Services> {
  return openServices(config, logger, Journal.snapshot(config.state));
}

/**
 * {@link takeState} then {@link openServices}: everything a command that files or undoes
 * needs, under the state lock, which `close` releases.
 */
export async function openWriter(
  config: Config,
  command: string,
  logger: Logger,
): Promise<Services> {
  const { journal, lock } = await takeState(config, command, logger);
  return openServices(config, logger, journal, lock);
}

/**
 * The cluster when the configuration has `cluster`, else `null` — and then no Redis code is
 * loaded at all (the import is dynamic). Throws a `ConfigError` naming `cluster.redis` when
 * Redis does not answer or refuses the password.
 */
export async function openCluster(config: Config, logger: Logger): Promise<Cluster | null> {
  if (!config.cluster) return null;
  const { openCluster: open } = await import('../cluster/index.js');
  return open({
    url: config.cluster.redis,
    timeoutMs: config.cluster.timeoutMs,
    fallback: config.cluster.fallback,
    configFile: config.file,
    logger,
  });
}

/**
 * The geocoder the configuration asks for, or `null` when places are off — and then no
 * geocoding code (its data, caches and engines) is loaded.
 */
export async function openGeocoder(
  config: Config,
  exiftool: ExifTool,
  logger: Logger,
  cluster: Cluster | null = null,
): Promise<Geocoder | null> {
  if (!config.geocode.enabled) return null;
  const { createGeocoder, DEFAULT_GEOCODE_PROVIDER } = await import('../geocode/index.js');
  return createGeocoder({
    provider: config.geocode.provider ?? DEFAULT_GEOCODE_PROVIDER,
    stateDir: config.state,
    logger,
    exiftool,
    shared: cluster ? (namespace) => cluster.places(namespace) : undefined,
  });
}

/**
 * The tagger the configuration asks for (its model, labels and prompt); with a cluster, its
 * model work goes to the workers and its embeddings are shared. The tagging code (sharp, the
 * embedding cache, the model runtime) loads here, so a run without tagging never loads it.
 */
export async function openTagger(
  config: Config,
  exiftool: ExifTool,
  logger: Logger,
  cluster: Cluster | null = null,
): Promise<Tagger> {
  const configDir = config.file ? dirname(config.file) : process.cwd();
  const { createTagger } = await import('../tagging/index.js');
  return createTagger({
    modelDir: config.tagging.model,
    labels: await loadLabels(config.tagging.labels, configDir),
    prompt: config.tagging.prompt,
    minScore: config.tagging.minScore,
    maxTags: config.tagging.maxTags,
    stateDir: config.state,
    exiftool,
    logger,
    backend: cluster?.backend,
  });
}

/** The search index of the tagger's model; loaded only when tagging has a model. */
async function openSearchIndex(config: Config, model: string): Promise<SearchIndex> {
  const { SearchIndex } = await import('../search/index.js');
  return SearchIndex.open(config.state, { model, library: config.library });
}

/**
 * The pipeline's stages for this configuration, in order. Templates and rules are compiled
 * here, so a bad template is refused before any file is touched.
 */
export function buildStages(
  config: Config,
  services: Services,
  options: StageOptions,
): NamedStage[] {
  const dryRun = options.dryRun || config.dryRun;
  const { rules, unsorted, duplicates, nonMedia } = compileTemplates(config);
  const { journal } = services;
  const stages: NamedStage[] = [];
  if (options.skipLeftBefore) {
    stages.push({ name: 'left', run: createLeftBeforeStage(journal, leavingPolicy(config)) });
  }
  stages.push({ name: 'identify', run: identify });
  if (options.skipRestored) {
    stages.push({ name: 'restored', run: createRestoredStage(journal) });
  }
  stages.push({
    name: 'exif',
    run: createExifStage({
      exiftool: services.exiftool,
      dates: config.dates.from,
      reader: config.metadata.reader,
    }),
  });
  // Sidecars, RAW and Live Photo videos filed with a photo: read on their own, dated by it.
  stages.push({ name: 'companions', run: createCompanionsStage([...stages]) });
  stages.push({ name: 'takeout', run: createTakeoutStage({ exiftool: services.exiftool }) });
  if (services.geocoder) {
    const geocode = { name: 'geocode', run: createGeocodeStage(services.geocoder) };
    stages.push(geocode);
    // A member split off as a file of its own (a same-named video of another moment) is
    // filed by its own place, so members are placed too.
    stages.push({ name: 'companion-places', run: createCompanionsStage([geocode]) });
  }
  if (services.tagger?.status.enabled) {
    const tag = createTagStage(services.tagger, { index: dryRun ? null : services.search });
    // A duplicate that stays in the inbox or goes to the trash needs no tags, and the model
    // is the slowest stage; a duplicate filed by a template is tagged like any file.
    const dropped = duplicates === 'skip' || duplicates === 'delete';
    const { index } = services;
    stages.push({
      name: 'tag',
      run: async (job) => {
        if (!dropped) return tag(job);
        const hashed = await hashedIfSizeHeld(index, job);
        return hashed.hash && index.find(hashed.hash) !== undefined ? hashed : tag(hashed);
      },
    });
  }
  stages.push({
    name: 'plan',
    run: createPlanStage({
      library: config.library,
      rules,
      unsorted,
      duplicates,
      nonMedia,
      index: options.content ?? services.index,
      filedFile: followFiledFile(journal),
      adopt: adoptFiledVideo(journal),
      dryRun,
    }),
  });
  stages.push({
    name: 'move',
    run: createMoveStage({
      journal: services.journal,
      index: services.index,
      batch: options.batch,
      onCollision: config.onCollision,
      duplicates: duplicates === 'skip' || duplicates === 'delete' ? duplicates : { folder: true },
      trashDir: statePaths(config.state).trash,
      checkLibrary: options.checkLibrary,
      dryRun,
      writers: createOpenWriterCheck(),
    }),
  });
  if (services.tagger?.status.enabled && config.tagging.write !== 'none' && !dryRun) {
    stages.push({
      name: 'write-tags',
      run: createWriteTagsStage({
        mode: config.tagging.write,
        exiftool: services.exiftool,
        journal,
        batch: options.batch,
        originalsDir: statePaths(config.state).originals,
      }),
    });
  }
  return stages;
}

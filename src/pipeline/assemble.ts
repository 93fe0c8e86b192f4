import type { ExifTool } from 'exiftool-vendored';
import type { Cluster } from '../cluster/index.js';
import { dirname, join } from 'node:path';
import type { Config } from '../config/load.js';
import { createGeocoder, DEFAULT_GEOCODE_PROVIDER, type Geocoder } from '../geocode/index.js';
import { LibraryIndex } from '../journal/library-index.js';
import { Journal } from '../journal/journal.js';
import { recover } from '../journal/recover.js';
import { PhotosortdError, errorCode, errorMessage } from '../lib/errors.js';
import { createExifTool } from '../lib/exiftool.js';
import type { Logger } from '../lib/logger.js';
import { SearchIndex } from '../search/index.js';
import { createTagger, loadLabels, type Tagger } from '../tagging/index.js';
import { createCompanionsStage, followFiledFile } from './companions.js';
import { createExifStage } from './exif.js';
import { createGeocodeStage } from './geocode.js';
import { identify } from './identify.js';
import { createMoveStage } from './move.js';
import { adoptFiledVideo, livePhotoLock } from './live-photo.js';
import type { ExclusiveLock, NamedStage } from './pipeline.js';
import { createPlanStage, type ContentLookup, type DuplicatePolicy } from './plan.js';
import { compileRules, type CompiledRule } from './rules.js';
import { createTagStage } from './tag.js';
import { createTakeoutStage } from './takeout.js';
import { createWriteTagsStage } from './write-tags.js';
import { parseTemplate, type CompiledTemplate } from './template.js';

/** The long-lived things the stages use: one of each per process. */
export interface Services {
  exiftool: ExifTool;
  journal: Journal;
  index: LibraryIndex;
  geocoder: Geocoder | null;
  tagger: Tagger | null;
  /** Where the tag stage keeps image embeddings for search (when tagging runs). */
  search: SearchIndex | null;
  /** Redis, its queue of model work and shared caches, when the config has `cluster`. */
  cluster: Cluster | null;
  /** Why geocoding or tagging is off, for status and logs. */
  notes: { geocode?: string; tagging?: string };
  close(): Promise<void>;
}

/**
 * Opens the journal (reconciling what a crash left half-done), indexes the library's
 * content, and starts exiftool, the geocoder and the tagger as the config asks.
 */
export async function openServices(config: Config, logger: Logger): Promise<Services> {
  const cluster = await openCluster(config, logger);
  const journal = Journal.open(config.state);
  const exiftool = createExifTool();
  try {
    const recovery = await recover(journal);
    if (recovery.total > 0) logger.info({ recovery }, 'reconciled moves a crash left half-done');
    const index = await LibraryIndex.build(journal, config.library, {
      ignore: (path) => path.startsWith(trashDir(config) + '/'),
    });
    const notes: Services['notes'] = {};
    const geocoder = openGeocoder(config, exiftool, logger, cluster);
    if (!geocoder) notes.geocode = 'geocode.enabled is false in the configuration';
    geocoder?.ready().catch((error: unknown) => {
      notes.geocode = errorMessage(error);
      logger.error({ err: error }, 'places are off: the geocoding data could not be loaded');
    });
    const tagger = config.tagging.enabled
      ? await openTagger(config, exiftool, logger, cluster)
      : null;
    if (!tagger) notes.tagging = 'tagging.enabled is false in the configuration';
    else if (!tagger.status.enabled) notes.tagging = tagger.status.reason;
    const search = tagger?.model
      ? SearchIndex.open(config.state, { model: tagger.model, library: config.library })
      : null;
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
        await exiftool.end();
        journal.close();
      },
    };
  } catch (error) {
    await cluster?.close();
    await exiftool.end();
    journal.close();
    throw error;
  }
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

/** The geocoder the configuration asks for, or `null` when places are off. */
export function openGeocoder(
  config: Config,
  exiftool: ExifTool,
  logger: Logger,
  cluster: Cluster | null = null,
): Geocoder | null {
  return config.geocode.enabled
    ? createGeocoder({
        provider: config.geocode.provider ?? DEFAULT_GEOCODE_PROVIDER,
        stateDir: config.state,
        logger,
        exiftool,
        shared: cluster ? (namespace) => cluster.places(namespace) : undefined,
      })
    : null;
}

/**
 * The tagger the configuration asks for (its model, labels and prompt); with a cluster, its
 * model work goes to the workers and its embeddings are shared.
 */
export async function openTagger(
  config: Config,
  exiftool: ExifTool,
  logger: Logger,
  cluster: Cluster | null = null,
): Promise<Tagger> {
  const configDir = config.file ? dirname(config.file) : process.cwd();
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

/** Where files removed by the `delete` duplicate policy wait, so undo can bring them back. */
function trashDir(config: Config): string {
  return join(config.state, 'trash');
}

/** The configuration's templates, compiled. */
export interface CompiledTemplates {
  rules: CompiledRule[];
  unsorted: CompiledTemplate;
  duplicates: DuplicatePolicy;
}

/**
 * Compiles every template of the configuration, so that a bad one is refused before any
 * file is touched, with the key it came from in the message.
 */
export function compileTemplates(config: Config): CompiledTemplates {
  const at = (key: string, source: string): CompiledTemplate => {
    try {
      return parseTemplate(source);
    } catch (error) {
      throw new PhotosortdError(errorCode(error), `${key}: ${errorMessage(error)}`);
    }
  };
  return {
    rules: compileRules(config.rules),
    unsorted: at('unsorted', config.unsorted),
    duplicates:
      config.duplicates === 'skip' || config.duplicates === 'delete'
        ? config.duplicates
        : at('duplicates', config.duplicates),
  };
}

/**
 * What runs one at a time: files with the same content (the second is then a duplicate, not
 * a ` (1)` copy), and the two halves of a Live Photo paired by ContentIdentifier.
 */
export const PIPELINE_LOCKS: ExclusiveLock[] = [
  { after: 'identify', key: (job) => job.hash },
  livePhotoLock,
];

const RESTORED =
  'put back here by undo; it is filed again once it changes, or with `photosortd scan`';

/** Options of {@link buildStages}. */
export interface StageOptions {
  /** The journal batch new moves belong to. */
  batch: () => string;
  dryRun: boolean;
  /**
   * Where the planner looks for content the library already holds (default: the library
   * index). A lookup that finds nothing files a duplicate like any file, when a person asks.
   */
  content?: ContentLookup;
  /**
   * Leave files that an undo put back (same path, same content) where they are. The daemon
   * wants this, since undo restores into the inbox it watches; an explicit `scan` does not.
   */
  skipRestored?: boolean;
  /**
   * Throws `LIBRARY_UNAVAILABLE` unless the library root is still the folder (on the device)
   * it was at start; the mover calls it right before filing into the library. The daemon and
   * `scan` pass one; without it the mover only checks that the root is a folder.
   */
  checkLibrary?: () => Promise<void>;
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
  const { rules, unsorted, duplicates } = compileTemplates(config);
  const { journal } = services;
  const stages: NamedStage[] = [{ name: 'identify', run: identify }];
  if (options.skipRestored) {
    stages.push({
      name: 'restored',
      run: async (job) =>
        job.hash && !job.error && journal.restoredByUndo(job.source, job.hash)
          ? { ...job, error: { code: 'RESTORED_BY_UNDO', stage: 'restored', message: RESTORED } }
          : job,
    });
  }
  stages.push({
    name: 'exif',
    run: createExifStage({ exiftool: services.exiftool, dates: config.dates.from }),
  });
  // Sidecars, RAW and Live Photo videos filed with a photo: read on their own, dated by it.
  stages.push({ name: 'companions', run: createCompanionsStage([...stages]) });
  stages.push({ name: 'takeout', run: createTakeoutStage({ exiftool: services.exiftool }) });
  if (services.geocoder) {
    stages.push({ name: 'geocode', run: createGeocodeStage(services.geocoder) });
  }
  if (services.tagger?.status.enabled) {
    stages.push({
      name: 'tag',
      run: createTagStage(services.tagger, { index: dryRun ? null : services.search }),
    });
  }
  stages.push({
    name: 'plan',
    run: createPlanStage({
      library: config.library,
      rules,
      unsorted,
      duplicates,
      index: options.content ?? services.index,
      filedFile: followFiledFile(journal),
      adopt: adoptFiledVideo(journal),
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
      trashDir: trashDir(config),
      checkLibrary: options.checkLibrary,
      dryRun,
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
        originalsDir: join(config.state, 'originals'),
      }),
    });
  }
  return stages;
}

import { Presets, SingleBar } from 'cli-progress';
import { lstat } from 'node:fs/promises';
import { setPriority } from 'node:os';
import PQueue from 'p-queue';
import type { Config } from '../config/load.js';
import { readDaemonInfo } from '../daemon/daemon-file.js';
import { createExifTool } from '../lib/exiftool.js';
import type { Logger } from '../lib/logger.js';
import type { Cluster } from '../cluster/index.js';
import { openCluster, openGeocoder, openTagger } from '../app/assemble.js';
import { withHash } from '../pipeline/content-hash.js';
import { createExifStage } from '../pipeline/exif.js';
import { createGeocodeStage } from '../pipeline/geocode.js';
import { identify } from '../pipeline/identify.js';
import type { FileJob, Stage } from '../pipeline/job.js';
import { mediaFacts } from '../pipeline/tag.js';
import { catchUpWithJournal, SearchIndex } from '../search/index.js';
import type { Tagger } from '../tagging/tagger.js';
import { walkFiles } from '../daemon/walk-files.js';

/** Defaults of `photosortd index`, each with its reason. */
const INDEX_DEFAULTS = Object.freeze({
  /** Files in flight: enough for the tagger to batch vision runs while others decode. */
  concurrency: 8,
  /** `nice` value while a daemon runs, so filing new photos comes first. */
  niceWhileDaemonRuns: 15,
});

/** Options of {@link runIndex}. */
export interface IndexCommandOptions {
  config: Config;
  /** Forget the index and embed the whole library again. */
  rebuild: boolean;
  logger: Logger;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** What an `index` run did. */
interface IndexCounts {
  embedded: number;
  already: number;
  removed: number;
  videos: number;
  failed: number;
}

/**
 * `photosortd index`: embeds what the library holds that the index lacks (files filed before
 * tagging was on, put there by hand or by another tool) and forgets files gone from it. Each
 * file is committed once embedded, so a run that is killed resumes where it stopped. Writes
 * only the search index, which SQLite shares safely with a running daemon; runs at a lower
 * priority while one does.
 */
export async function runIndex(options: IndexCommandOptions): Promise<number> {
  const { config, logger } = options;
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  if (await readDaemonInfo(config.state)) setPriority(INDEX_DEFAULTS.niceWhileDaemonRuns);
  const cluster = await openCluster(config, logger);
  const exiftool = createExifTool();
  let tagger: Tagger | undefined;
  let index: SearchIndex | undefined;
  const geocoder = await openGeocoder(config, exiftool, logger, cluster);
  try {
    tagger = await openTagger(config, exiftool, logger, cluster);
    if (!tagger.model) {
      err.write(`photosortd: cannot index: ${tagger.status.reason ?? 'the model is not usable'}\n`);
      return 1;
    }
    index = SearchIndex.open(config.state, { model: tagger.model, library: config.library });
    if (options.rebuild) index.clear();
    catchUpWithJournal(index, config.state);
    const counts: IndexCounts = {
      embedded: 0,
      already: 0,
      removed: await forgetGone(index),
      videos: 0,
      failed: 0,
    };
    const stages: Stage[] = [
      identify,
      createExifStage({ exiftool, dates: config.dates.from, reader: config.metadata.reader }),
      ...(geocoder ? [createGeocodeStage(geocoder)] : []),
    ];
    await indexLibrary({ config, index, tagger, stages, counts, logger, err, cluster });
    out.write(summary(counts));
    if (cluster && cluster.done.size > 0) out.write(`model work: ${cluster.describeWork()}\n`);
    return counts.failed > 0 ? 1 : 0;
  } finally {
    index?.close();
    await tagger?.close();
    await geocoder?.close();
    await cluster?.close();
    await exiftool.end();
  }
}

/** Forgets recorded files no longer on disk (deleted or moved by hand); returns how many. */
async function forgetGone(index: SearchIndex): Promise<number> {
  let removed = 0;
  for (const file of [...index.files()]) {
    const there = await lstat(file.path).then(
      (info) => info.isFile(),
      () => false,
    );
    if (!there) {
      index.removeFile(file.path);
      removed += 1;
    }
  }
  return removed;
}

async function indexLibrary(context: {
  config: Config;
  index: SearchIndex;
  tagger: Tagger;
  stages: Stage[];
  counts: IndexCounts;
  logger: Logger;
  err: NodeJS.WriteStream | NodeJS.WritableStream;
  cluster: Cluster | null;
}): Promise<void> {
  const { config, counts, err, cluster } = context;
  // With a cluster, the bar also says who did the model work: each worker and this machine.
  const bar =
    'isTTY' in err && err.isTTY === true
      ? new SingleBar(
          {
            stream: err,
            format:
              ' {bar} {value}/{total} files | {embedded} embedded | {eta_formatted} left' +
              (cluster ? ' | {work}' : ''),
          },
          Presets.shades_classic,
        )
      : null;
  const work = () => cluster?.describeWork() ?? '';
  const queue = new PQueue({ concurrency: INDEX_DEFAULTS.concurrency });
  let found = 0;
  bar?.start(0, 0, { embedded: 0, work: '' });
  try {
    for await (const job of walkFiles(config.library)) {
      found += 1;
      bar?.setTotal(found);
      await queue.onSizeLessThan(INDEX_DEFAULTS.concurrency * 4);
      void queue.add(async () => {
        await indexFile(job, context);
        bar?.increment(1, { embedded: counts.embedded, work: work() });
      });
    }
    await queue.onIdle();
  } finally {
    bar?.stop();
  }
}

/** Indexes one library file, unless the index already holds it as it is on disk. */
async function indexFile(
  found: FileJob,
  context: {
    index: SearchIndex;
    tagger: Tagger;
    stages: Stage[];
    counts: IndexCounts;
    logger: Logger;
  },
): Promise<void> {
  const { index, tagger, counts } = context;
  const known = index.fileAt(found.source);
  if (
    known &&
    known.size === found.size &&
    (known.mtimeMs === null || known.mtimeMs === found.mtimeMs) &&
    (index.hasEmbedding(known.hash) || index.kindOf(known.hash) === 'video')
  ) {
    if (known.mtimeMs === null) index.setFile(found.source, known.hash, found.size, found.mtimeMs);
    counts.already += 1;
    return;
  }
  let job = found;
  for (const stage of context.stages) job = await stage(job);
  // identify hashes small files only; the index is keyed by content, so read the rest now.
  if (!job.error) job = await withHash(job).catch(() => job);
  if (job.error || !job.hash) {
    if (job.error?.code !== 'EMPTY_FILE') fail(job, job.error?.message ?? 'not readable', context);
    return;
  }
  const record = () => index.setFile(job.source, job.hash!, job.size, job.mtimeMs);
  if (index.hasEmbedding(job.hash)) {
    record();
    counts.already += 1;
  } else if (job.kind === 'video') {
    index.transaction(() => {
      index.putFacts(job.hash!, mediaFacts(job, []));
      record();
    });
    counts.videos += 1;
  } else if (job.kind === 'photo') {
    const result = await tagger.analyse(job);
    if (!result) return fail(job, 'the model could not read its pixels', context);
    index.transaction(() => {
      index.putEmbedding(job.hash!, result.embedding);
      index.putFacts(job.hash!, mediaFacts(job, result.tags));
      record();
    });
    counts.embedded += 1;
  }
}

function fail(job: FileJob, why: string, context: { counts: IndexCounts; logger: Logger }): void {
  context.counts.failed += 1;
  context.logger.warn({ file: job.source }, `not indexed: ${why}`);
}

/** The lines printed after a run. */
function summary(counts: IndexCounts): string {
  const lines = [
    `indexed ${counts.embedded} photo(s); ${counts.already} already indexed; ` +
      `${counts.removed} gone from the library forgotten`,
  ];
  if (counts.videos > 0) {
    lines.push(
      `${counts.videos} video(s) not indexed: photosortd embeds photos only (a frame of a video ` +
        'would need a video decoder such as ffmpeg, which it does not depend on)',
    );
  }
  if (counts.failed > 0)
    lines.push(`${counts.failed} file(s) could not be indexed (see the log above)`);
  return lines.join('\n') + '\n';
}

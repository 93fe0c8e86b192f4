import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config/load.js';
// Not the search index's barrel: registering the commands (and `--help`) must not load the
// index, sharp and the model; the commands' modules load when one runs.
import { SEARCH_DEFAULTS } from '../search/types.js';
import type { SearchCommandOptions } from './search.js';

/** What commander hands the `search` and `similar` actions. */
interface SearchFlags {
  from?: string;
  to?: string;
  place?: string;
  camera?: string;
  kind?: 'photo' | 'video';
  tag: string[];
  folder?: string;
  like: string[];
  minScore?: number;
  limit: number;
  sort: 'score' | 'date';
  json?: boolean;
  config?: string;
}

function score(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -1 || n > 1) {
    throw new InvalidArgumentError('must be a similarity from -1 to 1, e.g. 0.25');
  }
  return n;
}

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > SEARCH_DEFAULTS.maxLimit) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${SEARCH_DEFAULTS.maxLimit}`);
  }
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The filters and output options `search` and `similar` share. */
function withSearchOptions(command: Command): Command {
  return command
    .option('--from <date>', 'taken on or after (YYYY-MM-DD)')
    .option('--to <date>', 'taken on or before (YYYY-MM-DD, the whole day)')
    .option('--place <name>', 'city, region, country or country code')
    .option('--camera <text>', 'part of the camera make and model')
    .addOption(new Option('--kind <kind>', 'photo or video').choices(['photo', 'video']))
    .option('--tag <tag>', 'has this AI tag (repeat for several)', collect, [])
    .option('--folder <dir>', 'in this library folder (relative to the library) or below')
    .addOption(new Option('--min-score <s>', 'leave out hits scoring below S').argParser(score))
    .addOption(
      new Option('--limit <n>', 'most hits shown').argParser(limit).default(SEARCH_DEFAULTS.limit),
    )
    .addOption(
      new Option('--sort <order>', 'score (best first) or date (newest first)')
        .choices(['score', 'date'])
        .default('score'),
    )
    .option('--json', 'one JSON object per hit')
    .addOption(new Option('-c, --config <file>', 'configuration file (YAML)'));
}

function searchOptions(
  config: Config,
  flags: SearchFlags,
): Omit<SearchCommandOptions, 'text' | 'images'> {
  return {
    config,
    from: flags.from,
    to: flags.to,
    place: flags.place,
    camera: flags.camera,
    kind: flags.kind,
    tags: flags.tag,
    folder: flags.folder,
    minScore: flags.minScore,
    limit: flags.limit,
    sort: flags.sort,
    json: flags.json ?? false,
  };
}

/** Adds `search`, `similar` and `index` to the program. */
export function registerSearchCommands(
  program: Command,
  withConfig: (options: { config?: string }) => Promise<Config>,
  setExit: (code: number) => void,
): void {
  withSearchOptions(
    program
      .command('search')
      .description('find photos by what they show, e.g. "dog on the beach"')
      .argument('<query>', 'what to look for')
      .option('--like <path>', 'and looking like this photo (repeat for several)', collect, []),
  ).action(async (query: string, flags: SearchFlags) => {
    const config = await withConfig(flags);
    const { runSearch } = await import('./search.js');
    setExit(await runSearch({ ...searchOptions(config, flags), text: query, images: flags.like }));
  });

  withSearchOptions(
    program
      .command('similar')
      .description('find photos that look like PATH (a library file or any photo)')
      .argument('<path>', 'a photo'),
  ).action(async (path: string, flags: SearchFlags) => {
    const config = await withConfig(flags);
    const { runSearch } = await import('./search.js');
    setExit(await runSearch({ ...searchOptions(config, flags), images: [path] }));
  });

  program
    .command('index')
    .description('embed what the library holds for search (resumable)')
    .option('--rebuild', 'forget the index and embed the whole library again')
    .addOption(new Option('-c, --config <file>', 'configuration file (YAML)'))
    .action(async (flags: { rebuild?: boolean; config?: string }) => {
      const config = await withConfig(flags);
      const [{ runIndex }, { createLogger }] = await Promise.all([
        import('./index-command.js'),
        import('../lib/logger.js'),
      ]);
      setExit(
        await runIndex({
          config,
          rebuild: flags.rebuild ?? false,
          // The summary is the output; the log says only what went wrong.
          logger: createLogger({ level: 'warn' }),
        }),
      );
    });
}

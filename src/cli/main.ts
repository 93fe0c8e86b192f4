import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config/load.js';
import { ConfigError, PhotosortdError, errorMessage } from '../lib/errors.js';
import { VERSION } from '../lib/version.js';
import { registerSearchCommands } from './search-commands.js';

// Each command's module, and the configuration loader (zod, cosmiconfig) and the logger, are
// imported when the command runs: `--help`, `--version` and `status` do not pay for the
// daemon, the API and the pipeline, nor `scan` for the API (docs/ARCHITECTURE.md, "Lazy
// loading").

/** Exit statuses of DESIGN.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Error codes that restarting cannot fix: exit 2, like a schema error, so that systemd's
 * `RestartPreventExitStatus=2` does not loop. A bad template or rule; a scan of the library;
 * the state folder taken by another process; the API's port taken or not allowed.
 */
const CONFIG_CODES = new Set([
  'TEMPLATE_INVALID',
  'RULE_INVALID',
  'SCAN_INSIDE_LIBRARY',
  'STATE_LOCKED',
  'API_LISTEN_FAILED',
  'API_LISTEN_INVALID',
]);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

const configOption = () => new Option('-c, --config <file>', 'configuration file (YAML)');
const createLibraryOption = () =>
  new Option(
    '--create-library',
    'make the library folder if it does not exist (createLibrary: true)',
  );

/** Builds the command tree; each action resolves to an exit status. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('photosortd')
    .description('Files photos and videos from inbox folders into a library, reversibly.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run photosortd --help for usage)')
    .exitOverride();

  const withConfig = async (options: { config?: string }): Promise<Config> =>
    (await import('../config/load.js')).loadConfig(options.config);
  /** The configuration, with `--create-library` given as consent to make a missing library. */
  const withLibraryConsent = async (options: {
    config?: string;
    createLibrary?: boolean;
  }): Promise<Config> => {
    const config = await withConfig(options);
    return options.createLibrary ? { ...config, createLibrary: true } : config;
  };

  program
    .command('run')
    .description('run the daemon in the foreground')
    .addOption(configOption())
    .addOption(createLibraryOption())
    .action(async (options: { config?: string; createLibrary?: boolean }) => {
      const { runDaemon } = await import('./run.js');
      setExit(await runDaemon(await withLibraryConsent(options)));
    });

  program
    .command('scan')
    .description('process every file under DIR once, as if dropped in an inbox')
    .argument('<dir...>', 'folders to scan')
    .addOption(configOption())
    .option('-n, --dry-run', 'show what would happen; change nothing on disk')
    .option('--json', 'print one JSON object per file')
    .addOption(createLibraryOption())
    .action(
      async (
        dirs: string[],
        options: { config?: string; dryRun?: boolean; json?: boolean; createLibrary?: boolean },
      ) => {
        const config = await withLibraryConsent(options);
        const [{ scan }, { createLogger }] = await Promise.all([
          import('./scan.js'),
          import('../lib/logger.js'),
        ]);
        const logger = createLogger({ level: options.json ? 'warn' : config.log.level });
        setExit(
          await scan({
            config,
            dirs,
            dryRun: options.dryRun ?? false,
            json: options.json ?? false,
            logger,
          }),
        );
      },
    );

  program
    .command('undo')
    .description('put filed files back where they came from')
    .addOption(new Option('--last <n>', 'the last N files').argParser(positiveInt))
    .addOption(new Option('--batch <id>', 'every file of one batch'))
    .addOption(new Option('--all', 'everything ever filed'))
    .option('-n, --dry-run', 'show what would be put back')
    .option('-f, --force', 'also put back files that changed since they were filed')
    .addOption(configOption())
    .action(
      async (options: {
        last?: number;
        batch?: string;
        all?: boolean;
        dryRun?: boolean;
        force?: boolean;
        config?: string;
      }) => {
        const chosen = [
          options.last !== undefined,
          options.batch !== undefined,
          options.all === true,
        ];
        if (chosen.filter(Boolean).length !== 1) {
          throw new CommanderError(
            EXIT.usage,
            'photosortd.usage',
            'undo needs exactly one of --last N, --batch ID or --all',
          );
        }
        const selector =
          options.last !== undefined
            ? { last: options.last }
            : options.batch !== undefined
              ? { batch: options.batch }
              : { all: true as const };
        const { runUndo } = await import('./undo.js');
        setExit(
          await runUndo({
            config: await withConfig(options),
            selector,
            force: options.force ?? false,
            dryRun: options.dryRun ?? false,
          }),
        );
      },
    );

  program
    .command('journal')
    .description('recent operations, newest first')
    .addOption(new Option('--limit <n>', 'how many').argParser(positiveInt).default(20))
    .option('--json', 'one JSON object per operation')
    .addOption(configOption())
    .action(async (options: { limit: number; json?: boolean; config?: string }) => {
      const { printJournal } = await import('./journal-commands.js');
      setExit(
        await printJournal({
          config: await withConfig(options),
          limit: options.limit,
          json: options.json ?? false,
        }),
      );
    });

  for (const [name, description, remote] of [
    ['status', 'ask the running daemon how it is doing', 'remoteStatus'],
    ['pause', 'stop taking new files (in-flight files finish)', 'remotePause'],
    ['resume', 'take files again', 'remoteResume'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .option('--json', 'print JSON')
      .addOption(configOption())
      .action(async (options: { config?: string; json?: boolean }) => {
        const run = (await import('./remote.js'))[remote];
        setExit(await run({ config: await withConfig(options), json: options.json ?? false }));
      });
  }

  program
    .command('config')
    .description('configuration')
    .command('check')
    .description('validate the configuration and print it with defaults filled in')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { configCheck } = await import('./config-check.js');
      setExit(await configCheck(options.config));
    });

  program
    .command('doctor')
    .description('versions, paths, and which parts work')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { doctor } = await import('./doctor.js');
      setExit(await doctor({ file: options.config }));
    });

  program
    .command('token')
    .description('API tokens')
    .command('create')
    .description('mint a JWT for scripts (needs api.jwt.secret)')
    .addOption(
      new Option('--scope <scope>', 'read or admin').choices(['read', 'admin']).default('read'),
    )
    .option('--ttl <duration>', 'lifetime, e.g. 1h, 7d', '1h')
    .addOption(configOption())
    .action(async (options: { scope: 'read' | 'admin'; ttl: string; config?: string }) => {
      const { tokenCreate } = await import('./token.js');
      setExit(
        await tokenCreate({
          config: await withConfig(options),
          scope: options.scope,
          ttl: options.ttl,
        }),
      );
    });

  registerSearchCommands(program, withConfig, setExit);

  program
    .command('worker')
    .description('take model work from the Redis queue (cluster.redis) and run tagging.model')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const config = await withConfig(options);
      const [{ runWorker }, { createLogger }] = await Promise.all([
        import('./worker.js'),
        import('../lib/logger.js'),
      ]);
      setExit(await runWorker({ config, logger: createLogger({ level: config.log.level }) }));
    });

  program
    .command('models')
    .description('CLIP models for tagging')
    .command('pull')
    .description("download a model into tagging.model's folder (needs internet)")
    .argument('[name]', 'model name', undefined)
    .option('--dir <dir>', "where models live (default: tagging.model's folder, else ./models)")
    .addOption(configOption())
    .action(async (name: string | undefined, options: { dir?: string; config?: string }) => {
      // Without a configuration the model still downloads, into ./models.
      const configured = await withConfig(options).then(
        (config) => config.tagging.model,
        () => undefined,
      );
      const { modelsPull } = await import('./models.js');
      setExit(await modelsPull(name, { dir: options.dir, configuredModel: configured }));
    });

  return program;
}

/** Runs the CLI with `argv` and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT.ok;
      if (error.code === 'photosortd.usage') process.stderr.write(`photosortd: ${error.message}\n`);
      return EXIT.usage;
    }
    if (
      error instanceof ConfigError ||
      (error instanceof PhotosortdError && CONFIG_CODES.has(error.code))
    ) {
      process.stderr.write(`photosortd: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`photosortd: ${errorMessage(error)}\n`);
    return EXIT.failed;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;

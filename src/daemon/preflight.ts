import { access, constants, mkdir, stat } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';
import type { Config } from '../config/load.js';
import { ConfigError, PhotosortdError, errorMessage } from '../lib/errors.js';
import type { ExifTool } from '../lib/exiftool.js';
import { compileTemplates } from '../pipeline/assemble.js';
import { loadLabels } from '../tagging/index.js';

/** How long exiftool may take to start and answer its first request. */
const EXIFTOOL_START_TIMEOUT_MS = 15_000;

/** Whether `inner` is `outer` or lies below it. */
function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Checks the folders before anything is watched or moved: every inbox exists and is
 * readable, the library can be written, and no folder contains another (a library inside an
 * inbox would feed filed photos back into the inbox forever). The library and state folders
 * are created when missing. Throws {@link ConfigError} listing every problem.
 */
export async function checkLayout(config: Config): Promise<void> {
  const problems: string[] = [];
  for (const [i, inbox] of config.inboxes.entries()) {
    const key = `inboxes[${i}].path`;
    try {
      const info = await stat(inbox.path);
      if (!info.isDirectory()) problems.push(`${key}: ${inbox.path} is not a folder`);
      else await access(inbox.path, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ENOENT'
          ? `${key}: ${inbox.path} does not exist; create it (mkdir -p "${inbox.path}") or fix the path`
          : `${key}: ${inbox.path} cannot be read and written (${code ?? errorMessage(error)}); fix its permissions`,
      );
    }
    if (within(inbox.path, config.library) || within(config.library, inbox.path)) {
      problems.push(
        `${key}: ${inbox.path} and library ${config.library} overlap; filed photos would be ` +
          'taken again from the inbox. Keep them in separate folders.',
      );
    }
    for (const [j, other] of config.inboxes.entries()) {
      if (j > i && (within(inbox.path, other.path) || within(other.path, inbox.path))) {
        problems.push(
          `${key}: ${inbox.path} overlaps inboxes[${j}].path ${other.path}; list each folder once`,
        );
      }
    }
  }
  for (const [key, dir] of [
    ['library', config.library],
    ['state', config.state],
  ] as const) {
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK | constants.X_OK);
    } catch (error) {
      problems.push(
        `${key}: ${dir} cannot be created or written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}); ` +
          'fix its permissions or choose another folder',
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(config.file, problems);
}

/** Options of {@link checkStartup}. */
export interface StartupCheckOptions {
  /**
   * Whether this process's environment is the daemon's: `config check` and `doctor`, run
   * from a shell, only report an `env:NAME` secret that shell lacks (the service has its own
   * environment), where `run` refuses to start without it.
   */
  environmentIsTheDaemons?: boolean;
}

/**
 * Every check `photosortd run` makes on a configuration before it watches or moves anything,
 * in one place so that `config check` and `doctor` say exactly what `run` will: templates
 * compile, the tagging labels can be read (when tagging is on), the JWT secret is there, and
 * the folders pass {@link checkLayout}. Throws {@link ConfigError} listing every problem
 * (exit 2); returns the problems that were only reported (see {@link StartupCheckOptions}).
 */
export async function checkStartup(
  config: Config,
  options: StartupCheckOptions = {},
): Promise<string[]> {
  const problems: string[] = [];
  const unset = config.missingFromEnvironment;
  if (options.environmentIsTheDaemons !== false) problems.push(...unset);
  try {
    compileTemplates(config);
  } catch (error) {
    problems.push(errorMessage(error));
  }
  if (config.tagging.enabled) {
    const configDir = config.file ? dirname(config.file) : process.cwd();
    await loadLabels(config.tagging.labels, configDir).catch((error: unknown) => {
      problems.push(errorMessage(error));
    });
  }
  try {
    await checkLayout(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(config.file, problems);
  return options.environmentIsTheDaemons === false ? unset : [];
}

/**
 * Checks that exiftool starts and answers, and returns its version. Every file passes through
 * it, so a daemon without it would only fill the library's Unsorted folder; the usual cause
 * is a missing or broken perl. Throws a PhotosortdError `EXIFTOOL_UNAVAILABLE` otherwise.
 */
export async function checkExiftool(exiftool: ExifTool): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${EXIFTOOL_START_TIMEOUT_MS / 1000} s`)),
      EXIFTOOL_START_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([exiftool.version(), timeout]);
  } catch (error) {
    throw new PhotosortdError(
      'EXIFTOOL_UNAVAILABLE',
      `exiftool could not be started: ${errorMessage(error).replace(/\.$/, '')}. It runs on perl: install it ` +
        '(apt-get install perl, dnf install perl; macOS ships it) and check that `perl -v` works ' +
        'for the user photosortd runs as.',
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

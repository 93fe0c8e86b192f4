import { access, constants, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { folderOverlaps, type Config } from '../config/load.js';
import { ConfigError, PhotosortdError, errorMessage } from '../lib/errors.js';
import type { ExifTool } from '../lib/exiftool.js';
import { folderWithin } from '../lib/real-path.js';
import { compileTemplates } from '../pipeline/configured.js';
import { loadLabels } from '../tagging/labels.js';

/** How long exiftool may take to start and answer its first request. */
const EXIFTOOL_START_TIMEOUT_MS = 15_000;

/** What the start-up checks learnt and the daemon keeps. */
export interface Layout {
  /** `st_dev` of the library root at start: filing pauses while it is on another device. */
  libraryDevice: number;
}

/**
 * Checks the folders before anything is watched or moved: every inbox exists and is
 * readable, the library exists (or is made, with `createLibrary`) and can be written, and no
 * folder contains another, judged on real paths and device/inode (see
 * {@link folderOverlaps}). The state folder is created when missing. Throws
 * {@link ConfigError} listing every problem. A reload passes `library: false`: the library
 * cannot change without a restart, and while it is away (library-presence.ts) a reload must
 * neither fail for it nor make it.
 */
export async function checkLayout(
  config: Config,
  options: { library?: boolean } = {},
): Promise<void> {
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
  }
  problems.push(...(await folderOverlaps(config)));
  if (options.library !== false) problems.push(...(await libraryProblems(config)));
  try {
    await mkdir(config.state, { recursive: true });
    await access(config.state, constants.W_OK | constants.X_OK);
  } catch (error) {
    problems.push(
      `state: ${config.state} cannot be created or written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}); ` +
        'fix its permissions or choose another folder',
    );
  }
  if (problems.length > 0) throw new ConfigError(config.file, problems);
}

/** What {@link checkLibrary} finds wrong with the library, and whether it can be written. */
async function libraryProblems(config: Config): Promise<string[]> {
  try {
    await checkLibrary(config);
    await access(config.library, constants.W_OK | constants.X_OK);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    return [
      `library: ${config.library} cannot be written (${code}); fix its permissions or choose another folder`,
    ];
  }
}

/**
 * Checks that the library root exists and is a folder, and returns the device it is on.
 * A missing root is an error unless the configuration consents to its creation
 * (`createLibrary: true`, or `--create-library`): it is usually a disk that is not mounted,
 * and folders made under the empty mount point would hide the photos once it is.
 */
export async function checkLibrary(config: Config): Promise<Layout> {
  const { library } = config;
  const fail = (problem: string) =>
    new ConfigError(config.file, [`library: ${library} ${problem}`]);
  try {
    if (config.createLibrary) await mkdir(library, { recursive: true });
    const info = await stat(library);
    if (!info.isDirectory()) throw fail('is not a folder; point `library` at a folder');
    return { libraryDevice: info.dev };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw fail(
      code === 'ENOENT'
        ? 'does not exist. If it is on a disk, mount the disk; if this is a new library, ' +
            `create the folder (mkdir -p "${library}"), or let photosortd create it with ` +
            '--create-library (or `createLibrary: true` in the configuration)'
        : `cannot be written (${code}); fix its permissions or choose another folder`,
    );
  }
}

/**
 * Throws `SCAN_INSIDE_LIBRARY` when `dir` is the library, lies inside it or contains it,
 * judged on real paths and device/inode: scanning it would file the library's photos again
 * (and judge each a duplicate of itself).
 */
export async function refuseLibraryScan(dir: string, library: string): Promise<void> {
  if (!(await folderWithin(library, dir)) && !(await folderWithin(dir, library))) return;
  throw new PhotosortdError(
    'SCAN_INSIDE_LIBRARY',
    `${dir} is ${(await folderWithin(library, dir)) ? 'inside' : 'a folder holding'} the library ` +
      `${library} (after resolving symlinks and mounts); photosortd does not file the library ` +
      'into itself. Scan a folder outside the library; to re-sort the library, move its files ' +
      'out to an inbox first.',
  );
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

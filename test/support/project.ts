import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, type CliResult } from './cli.js';
import { tempDir } from './fs.js';

/** A project folder: `inbox/`, a config filing into (an existing) `library/` with state in `state/`. */
export interface Project {
  dir: string;
  inbox: string;
  library: string;
  state: string;
  config: string;
}

/**
 * Makes a project folder with a config file (no places, no API, rule
 * `{year}/{date}/{name}{ext}`); `config` overrides or adds keys.
 */
export async function project(
  config: Record<string, unknown> = {},
  prefix = 'photosortd-project-',
): Promise<Project> {
  const dir = await tempDir(prefix);
  // Readable by other users too, so a suite may run the CLI as an unprivileged one.
  await chmod(dir, 0o755);
  const inbox = join(dir, 'inbox');
  await mkdir(inbox);
  // The library must exist (or `createLibrary` be set): a project's library is a new folder.
  await mkdir(join(dir, 'library'));
  const file = join(dir, 'photosortd.config.yaml');
  await writeFile(
    file,
    stringify({
      library: './library',
      inboxes: ['./inbox'],
      state: './state',
      geocode: { enabled: false },
      api: { enabled: false },
      rules: [{ name: 'default', to: '{year}/{date}/{name}{ext}' }],
      ...config,
    }),
  );
  return { dir, inbox, library: join(dir, 'library'), state: join(dir, 'state'), config: file };
}

/** One line of `scan --json` (the fields the suites look at). */
export interface ScanLine {
  source: string;
  target: string | null;
  action: string;
  error: string | null;
  reason?: string;
}

/** The objects of a JSON-lines output. */
export function jsonLines<T = ScanLine>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** `photosortd scan INBOX --json` on the project; `byName` maps each file's base name to its line. */
export async function scanProject(
  p: Project,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult & { byName: Map<string, ScanLine> }> {
  const result = await runCli(['scan', p.inbox, '--config', p.config, '--json'], options);
  const byName = new Map(
    jsonLines(result.stdout).map((line) => [line.source.slice(p.inbox.length + 1), line]),
  );
  return { ...result, byName };
}

/** A journal row as `photosortd journal --json` prints it. */
export interface JournalLine {
  op: string;
  status: string;
  source: string;
  target: string;
  error: string | null;
}

/** The project's journal, newest first, read with `photosortd journal --json`. */
export async function journalOf(p: Project): Promise<JournalLine[]> {
  const result = await runCli(['journal', '--json', '--limit', '10000', '--config', p.config]);
  if (result.code !== 0) throw new Error(`photosortd journal failed: ${result.stderr}`);
  return jsonLines<JournalLine>(result.stdout);
}

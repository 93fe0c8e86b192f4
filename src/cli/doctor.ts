import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../config/load.js';
import { checkExiftool, checkStartup } from '../daemon/preflight.js';
import { isPartialOrHidden } from '../daemon/watched-inbox.js';
import { ConfigError, errorCode, errorMessage } from '../lib/errors.js';
import { createExifTool } from '../lib/exiftool.js';
import { moveStrategy } from '../lib/safe-move.js';
import { HASH_ON_SIGHT_BELOW } from '../pipeline/content-hash.js';
import { VERSION } from '../lib/version.js';
import { inspectModelDir } from '../tagging/model-files.js';
import { findDaemon, noDaemonMessage } from './find-daemon.js';

/** One line of the report: what was checked, and whether it works. */
interface Finding {
  label: string;
  /** `null`: not in use, so neither working nor broken. */
  ok: boolean | null;
  detail: string;
  /** A problem of the configuration, which stops `run` with exit 2. */
  config?: true;
}

/** Options of {@link doctor}. */
export interface DoctorOptions {
  /** The `--config` argument, if any. */
  file?: string;
  out?: NodeJS.WritableStream;
}

async function perlVersion(): Promise<Finding> {
  try {
    const { stdout } = await promisify(execFile)('perl', ['-e', 'print $^V'], { timeout: 10_000 });
    return { label: 'perl', ok: true, detail: stdout.trim() };
  } catch (error) {
    return { label: 'perl', ok: false, detail: `not usable: ${errorMessage(error)}` };
  }
}

async function exiftoolVersion(): Promise<Finding> {
  const exiftool = createExifTool({ maxProcs: 1 });
  try {
    return { label: 'exiftool', ok: true, detail: await checkExiftool(exiftool) };
  } catch (error) {
    return { label: 'exiftool', ok: false, detail: errorMessage(error) };
  } finally {
    await exiftool.end();
  }
}

/** Loads onnxruntime's native binding, which tagging needs; a broken install shows here. */
async function onnxruntimeVersion(): Promise<Finding> {
  try {
    const ort = await import('onnxruntime-node');
    const cpu = ort.listSupportedBackends().some((backend) => backend.name === 'cpu');
    return {
      label: 'onnxruntime',
      ok: cpu,
      detail: `${ort.env.versions.node ?? 'unknown version'}${cpu ? '' : ' (no CPU backend)'}`,
    };
  } catch (error) {
    return { label: 'onnxruntime', ok: false, detail: `cannot be loaded: ${errorMessage(error)}` };
  }
}

async function modelFinding(config: Config): Promise<Finding> {
  const found = await inspectModelDir(config.tagging.model);
  const off = config.tagging.enabled ? '' : ' (tagging is off)';
  return found.ok
    ? { label: 'model', ok: true, detail: `${found.files.id}, ${found.files.dtype}${off}` }
    : {
        label: 'model',
        ok: config.tagging.enabled ? false : null,
        detail: `${found.reason}${off}`,
      };
}

/**
 * With `cluster` in the config: whether Redis answers (with this password), which workers are
 * connected and how many jobs wait. No workers is not a fault: the daemon then runs the model.
 */
async function clusterFinding(config: Config): Promise<Finding | null> {
  if (!config.cluster) return null;
  const { clusterStatus } = await import('../cluster/index.js');
  const status = await clusterStatus(config.cluster.redis);
  if (!status.reachable) {
    return {
      label: 'cluster',
      ok: false,
      detail: `${status.redis} does not answer: ${status.error ?? 'unknown'}; start Redis or correct cluster.redis`,
    };
  }
  const workers =
    status.workers.length > 0
      ? `${status.workers.length} worker(s): ${status.workers.join(', ')}`
      : "no worker connected (model work runs on the daemon's machine)";
  return {
    label: 'cluster',
    ok: true,
    detail: `${status.redis} reachable; ${workers}; jobs ${status.waiting} waiting, ${status.active} active`,
  };
}

/** Folders under `root` the inbox watcher would watch (hidden and partial names are passed by). */
async function countFolders(root: string): Promise<number> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && !isPartialOrHidden(entry.name))
      .map((entry) => countFolders(join(root, entry.name))),
  );
  return below.reduce((sum, n) => sum + n, 1);
}

/**
 * On Linux each folder of an inbox not polled takes one inotify watch, of which a user gets
 * `fs.inotify.max_user_watches` for all their programs together.
 */
async function inotifyFinding(config: Config): Promise<Finding | null> {
  const watched = config.inboxes.filter((inbox) => !inbox.poll);
  if (process.platform !== 'linux' || watched.length === 0) return null;
  const limit = Number(
    await readFile('/proc/sys/fs/inotify/max_user_watches', 'utf8').catch(() => NaN),
  );
  const folders = (await Promise.all(watched.map((inbox) => countFolders(inbox.path)))).reduce(
    (sum, n) => sum + n,
    0,
  );
  if (!Number.isFinite(limit)) {
    return { label: 'inotify', ok: null, detail: `${folders} folder(s) to watch; limit unknown` };
  }
  const detail = `${folders} folder(s) to watch, fs.inotify.max_user_watches ${limit}`;
  return folders > limit / 2
    ? {
        label: 'inotify',
        ok: false,
        detail: `${detail}: raise the limit (sysctl) or set poll: true for the largest inbox`,
      }
    : { label: 'inotify', ok: true, detail };
}

/** What each way of moving costs, as doctor explains it. */
const STRATEGY_TEXT = {
  link: `hard link (same filesystem): no bytes copied; files of ${HASH_ON_SIGHT_BELOW / 2 ** 20} MiB or more are not even read`,
  rename:
    'rename onto a reserved name (same filesystem, no hard links): no bytes copied; each photo read once to verify it',
  copy: 'copy (another filesystem): every byte copied once and verified',
  none: 'none: the library filesystem takes neither hard links nor renames onto a reserved name; use a library on another filesystem',
} as const;

/**
 * How files get from each inbox into the library (the probe `run` makes on its first move:
 * two empty dotfiles written in the library and removed).
 */
async function moveFindings(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [i, inbox] of config.inboxes.entries()) {
    const label = `moves ${i + 1}`;
    try {
      const strategy = await moveStrategy(inbox.path, config.library);
      findings.push({ label, ok: strategy !== 'none', detail: STRATEGY_TEXT[strategy] });
    } catch (error) {
      findings.push({ label, ok: false, detail: `cannot be probed: ${errorMessage(error)}` });
    }
  }
  return findings;
}

/**
 * The start-up checks `photosortd run` makes ({@link checkStartup}: templates, labels,
 * folders), one finding per problem, then what only doctor looks at.
 */
async function configFindings(config: Config): Promise<Finding[]> {
  const findings: Finding[] = [];
  try {
    const warnings = await checkStartup(config, { environmentIsTheDaemons: false });
    findings.push({
      label: 'startup',
      ok: true,
      detail:
        `${config.rules.length} rule(s) compile; inboxes readable, library and state writable, ` +
        'no folder inside another' +
        (config.tagging.enabled ? '; tagging labels readable' : ''),
    });
    for (const warning of warnings) findings.push({ label: 'startup', ok: null, detail: warning });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      findings.push({ label: 'startup', ok: false, detail: problem, config: true });
    }
  }
  if (!findings.some((finding) => finding.config)) findings.push(...(await moveFindings(config)));
  const inotify = await inotifyFinding(config);
  if (inotify) findings.push(inotify);
  const cluster = await clusterFinding(config);
  if (cluster) findings.push(cluster);
  findings.push(await daemonFinding(config));
  return findings;
}

/** Whether the daemon of the state folder runs, as the CLI would find and check it. */
async function daemonFinding(config: Config): Promise<Finding> {
  try {
    const found = await findDaemon(config);
    if (found.kind === 'none')
      return { label: 'daemon', ok: null, detail: `not running${found.note}` };
    if (found.kind === 'busy') {
      return { label: 'daemon', ok: null, detail: noDaemonMessage(found, config) };
    }
    const { pid, url, startedAt } = found.info;
    return {
      label: 'daemon',
      ok: true,
      detail: `running, pid ${pid}, API ${url}, since ${startedAt}`,
    };
  } catch (error) {
    // A daemon run with api.enabled: false is running fine; it just cannot be asked.
    return { label: 'daemon', ok: errorCode(error) === 'API_OFF', detail: errorMessage(error) };
  }
}

function section(title: string, rows: [string, string][]): string {
  const width = Math.max(...rows.map(([key]) => key.length));
  return `${title}\n${rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`).join('\n')}\n`;
}

/**
 * `photosortd doctor`: versions of what photosortd runs on, the paths it uses, and which
 * parts work. Exits 0 when everything needed works, 2 when the configuration cannot be loaded
 * or fails the checks that would stop `run` (the versions are still printed), else 1 when
 * something does not work.
 */
export async function doctor(options: DoctorOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  let config: Config | null = null;
  let configProblem: string | null = null;
  try {
    config = await loadConfig(options.file);
  } catch (error) {
    configProblem = errorMessage(error);
  }

  const versions = await Promise.all([perlVersion(), exiftoolVersion(), onnxruntimeVersion()]);
  const findings: Finding[] = [
    { label: 'photosortd', ok: true, detail: VERSION },
    { label: 'node', ok: true, detail: process.version },
    ...versions,
  ];
  if (config) findings.push(await modelFinding(config));
  out.write(
    section(
      'versions',
      findings.map((f) => [f.label, mark(f)]),
    ),
  );

  if (!config) {
    out.write(`configuration\n  ✗ ${configProblem ?? 'not found'}\n`);
    return 2;
  }
  out.write(
    section('paths', [
      ['config', config.file ?? '(none)'],
      ['library', config.library],
      ['state', config.state],
      ...config.inboxes.map((inbox, i): [string, string] => [
        `inbox ${i + 1}`,
        inbox.path + (inbox.poll ? ' (polled)' : ''),
      ]),
      ['api', config.api.enabled ? config.api.listen : 'off'],
    ]),
  );
  const checks = await configFindings(config);
  out.write(
    section(
      'checks',
      checks.map((f) => [f.label, mark(f)]),
    ),
  );
  if (checks.some((finding) => finding.config)) return 2;
  return [...findings, ...checks].some((finding) => finding.ok === false) ? 1 : 0;
}

function mark(finding: Finding): string {
  return `${finding.ok === null ? '–' : finding.ok ? '✓' : '✗'} ${finding.detail}`;
}

import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureBuilt, exited, logOf } from './support/cli.js';
import { tempDir } from './support/fs.js';
import { loadedModules, moduleRecorder } from './support/loaded-modules.js';
import { writeJpeg } from './support/media.js';
import { project } from './support/project.js';
import { createExifTool } from '../src/lib/exiftool.js';

// What a command loads decides what it costs before it does anything (issue 14: `scan` of an
// empty folder ≤ 0.25 s). The CLI runs under a recorder of every module it loads, ESM and
// CommonJS (exiftool-vendored is required lazily). The runs are not timed, so the suite holds
// on a loaded machine, but a static import that pulls the API, the dashboard, the model, sharp
// or exiftool back onto a path that does not use them fails here.

/** Packages and project modules only the API, the dashboard, tagging, search or places use. */
const NOT_FOR_A_PLAIN_SCAN: Readonly<Record<string, RegExp>> = Object.freeze({
  hono: /node_modules\/(hono|@hono)\//,
  jose: /node_modules\/jose\//,
  sharp: /node_modules\/sharp\//,
  onnxruntime: /node_modules\/onnxruntime-/,
  transformers: /node_modules\/@huggingface\/transformers\//,
  'prom-client': /node_modules\/prom-client\//,
  'cli-progress': /node_modules\/cli-progress\//,
  'the API': /\/dist\/api\//,
  'the dashboard': /\/dist\/web\//,
  tagging: /\/dist\/tagging\/(tagger|embedder|image-input|heif-decode)\.js$/,
  'heic-decode': /node_modules\/(heic-decode|libheif-js)\//,
  search: /\/dist\/search\/(index|store|service)\.js$/,
  geocoding: /\/dist\/geocode\//,
  cluster: /\/dist\/cluster\//,
});

/** What `--version` and `--help` need none of: configuration, journal, exiftool, logger. */
const NOT_FOR_HELP: Readonly<Record<string, RegExp>> = Object.freeze({
  ...NOT_FOR_A_PLAIN_SCAN,
  zod: /node_modules\/zod\//,
  cosmiconfig: /node_modules\/cosmiconfig\//,
  'better-sqlite3': /node_modules\/better-sqlite3\//,
  'exiftool-vendored': /node_modules\/exiftool-vendored\//,
  pino: /node_modules\/pino\//,
  'the pipeline': /\/dist\/(pipeline|daemon|app|journal)\//,
});

/** The names in `patterns` whose pattern some loaded URL matches. */
function loadedOf(urls: string[], patterns: Readonly<Record<string, RegExp>>): string[] {
  return Object.entries(patterns)
    .filter(([, pattern]) => urls.some((url) => pattern.test(url)))
    .map(([name]) => name);
}

let hookDir: string;
let recorder: string;

beforeAll(async () => {
  ensureBuilt();
  hookDir = await tempDir('photosortd-lazy-');
  recorder = await moduleRecorder(hookDir);
});

let logs = 0;

/** Runs `photosortd ARGS` to its end under the hook; its exit status, output and loaded URLs. */
async function runLoading(
  args: string[],
): Promise<{ code: unknown; stdout: string; urls: string[] }> {
  const log = join(hookDir, `loaded-${(logs += 1)}.log`);
  const child = spawn(process.execPath, ['--import', recorder, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOADED_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await exited(child);
  return { code, stdout, urls: await loadedModules(log) };
}

describe('lazy loading: a command loads what its run uses', () => {
  it('--version and --help load no configuration, journal, exiftool or command module', async () => {
    const version = await runLoading(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(loadedOf(version.urls, NOT_FOR_HELP)).toEqual([]);

    const help = await runLoading(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'scan', 'undo', 'status', 'search', 'index', 'models']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(loadedOf(help.urls, NOT_FOR_HELP)).toEqual([]);
  });

  it('`scan --help` shows the options without loading the scan', async () => {
    const help = await runLoading(['scan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    expect(loadedOf(help.urls, NOT_FOR_HELP)).toEqual([]);
  });

  it('scan with tagging, places and the API off loads none of them', async () => {
    const p = await project({ tagging: { enabled: false } });
    const scan = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe('');
    expect(loadedOf(scan.urls, NOT_FOR_A_PLAIN_SCAN)).toEqual([]);
    // What a scan does need is there: the configuration schema, the journal; exiftool is
    // neither loaded nor started while there is no file to read.
    expect(loadedOf(scan.urls, NOT_FOR_HELP)).toEqual([
      'zod',
      'cosmiconfig',
      'better-sqlite3',
      'pino',
      'the pipeline',
    ]);

    // A plain JPEG's tags are read in-process (lib/tag-reader): exiftool is not even loaded.
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2021:05:06 07:08:09', seed: 1 });
    const one = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('"action":"move"');
    expect(loadedOf(one.urls, NOT_FOR_HELP)).not.toContain('exiftool-vendored');
    expect(loadedOf(one.urls, NOT_FOR_A_PLAIN_SCAN)).toEqual([]);
    // The reader's modules come with the first file, not with the empty scan above.
    const reader = /\/dist\/lib\/tag-reader\//;
    expect(scan.urls.filter((url) => reader.test(url))).toEqual([]);
    expect(one.urls.filter((url) => reader.test(url)).length).toBeGreaterThan(0);
  });

  it('scan loads exiftool when it reads a file: with metadata.reader exiftool', async () => {
    const p = await project({ tagging: { enabled: false }, metadata: { reader: 'exiftool' } });
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2021:05:06 07:08:09', seed: 1 });
    const one = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('"action":"move"');
    expect(loadedOf(one.urls, NOT_FOR_HELP)).toContain('exiftool-vendored');
    expect(loadedOf(one.urls, NOT_FOR_A_PLAIN_SCAN)).toEqual([]);
  });

  it('scan with tagging (a model) and places on loads the tagger, the search index and the geocoder', async () => {
    const p = await project({
      geocode: { enabled: true, provider: 'exiftool' },
      tagging: { enabled: true, model: './model' },
    });
    execFileSync(process.execPath, [
      join(ROOT, 'scripts/make-test-model.js'),
      join(p.dir, 'model'),
    ]);
    const scan = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(scan.code).toBe(0);
    const loaded = loadedOf(scan.urls, NOT_FOR_A_PLAIN_SCAN);
    expect(loaded).toEqual(expect.arrayContaining(['sharp', 'tagging', 'search', 'geocoding']));
    // The model's runtime comes with the model; the API and the dashboard still do not.
    for (const unused of [
      'hono',
      'jose',
      'prom-client',
      'cli-progress',
      'the API',
      'the dashboard',
    ])
      expect(loaded).not.toContain(unused);
  });

  it('scan with places on loads their data only once a photo has a position', async () => {
    // The engines (GeoNames' k-d tree over its rows) cost ~0.5 s to load: a scan of a folder
    // with no position in it, empty above all, must not pay it.
    const engine = /\/dist\/geocode\/(data|geonames-index|place-index)\.js$|node_modules\/kdbush\//;
    const p = await project({ geocode: { enabled: true }, tagging: { enabled: false } });
    const empty = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(empty.code).toBe(0);
    expect(loadedOf(empty.urls, NOT_FOR_A_PLAIN_SCAN)).toEqual(['geocoding']);
    expect(empty.urls.filter((url) => engine.test(url))).toEqual([]);

    const photo = join(p.inbox, 'IMG_1.jpg');
    await writeJpeg(photo, { date: '2021:05:06 07:08:09', seed: 1 });
    const exiftool = createExifTool();
    try {
      await exiftool.write(
        photo,
        { GPSLatitude: 48.8566, GPSLatitudeRef: 'N', GPSLongitude: 2.3522, GPSLongitudeRef: 'E' },
        { writeArgs: ['-overwrite_original'] },
      );
    } finally {
      await exiftool.end();
    }
    const placed = await runLoading(['scan', p.inbox, '--config', p.config, '--json']);
    expect(placed.code).toBe(0);
    expect(placed.stdout).toContain('"city":"Paris"');
    expect(placed.urls.filter((url) => engine.test(url)).length).toBeGreaterThan(0);
  });

  it('run loads the API server and dashboard only with api.enabled', async () => {
    const daemonLoading = async (api: Record<string, unknown>) => {
      const p = await project({ tagging: { enabled: false }, api });
      const log = join(hookDir, `loaded-${(logs += 1)}.log`);
      const child = spawn(
        process.execPath,
        ['--import', recorder, BIN, 'run', '--config', p.config],
        {
          cwd: ROOT,
          env: { ...process.env, LOADED_LOG: log, PHOTOSORTD_LOG_LEVEL: 'info' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      await logOf(child).waitFor('"msg":"watching"', 60_000);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      return loadedModules(log);
    };
    // api/instance.js (the secret the daemon proves itself with) is all of the API it needs.
    const off = await daemonLoading({ enabled: false });
    expect(loadedOf(off, NOT_FOR_A_PLAIN_SCAN)).toEqual(['the API']);
    expect(off.filter((url) => /\/dist\/api\//.test(url))).toEqual([
      pathToFileURL(join(ROOT, 'dist/api/instance.js')).href,
    ]);

    const on = await daemonLoading({ enabled: true, listen: '127.0.0.1:0' });
    expect(loadedOf(on, NOT_FOR_A_PLAIN_SCAN)).toEqual(
      expect.arrayContaining(['hono', 'jose', 'prom-client', 'the API', 'the dashboard']),
    );
  }, 120_000);

  it('an ExifTool is made at its first use; ended before it, it starts nothing and refuses work', async () => {
    const used = createExifTool();
    try {
      expect(await used.version()).toMatch(/^\d+\.\d+/);
      expect(used.pids.length).toBeGreaterThan(0);
    } finally {
      await used.end();
    }

    const unused = createExifTool();
    await unused.end();
    await expect(unused.version()).rejects.toThrow(/ended/);
    expect(unused.pids).toEqual([]);
  });
});

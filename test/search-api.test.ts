import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../src/api/server.js';
import { loadConfig } from '../src/config/load.js';
import { capturedLogger } from './support/captured.js';
import { RecordingDaemonControl } from './support/recording-daemon-control.js';
import { ROOT, ensureBuilt, runCli } from './support/cli.js';
import { tempDir } from './support/fs.js';
import { jsonLines, project, type Project } from './support/project.js';
import { colourModel, writeColourPhoto, type HitLine } from './support/search-world.js';

const READ_KEY = 'read-key-for-search-tests-0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const FIXTURES = join(ROOT, 'test', 'fixtures');
/** A JPEG, a HEIC and a RAW whose pixels come through their embedded previews. */
const THUMB_SOURCES = {
  jpeg: join(FIXTURES, 'dn_FujiFilm FinePixS1Pro (2).jpg'),
  heic: join(FIXTURES, 'tagging', 'blue-from-png.heic'),
  raw: join(FIXTURES, 'tagging', 'et_FujiFilm.raf'),
};

const exiftool = new ExifTool({ maxProcs: 1 });
let p: Project;
let server: ApiServer;

beforeAll(async () => {
  ensureBuilt();
  const work = await tempDir('photosortd-search-api-');
  const model = colourModel(work);
  p = await project(
    {
      tagging: { enabled: true, model, labels: ['red', 'green', 'blue', 'white'], minScore: 0.3 },
      api: {
        listen: '127.0.0.1:0',
        keys: [{ name: 'reader', sha256: sha256(READ_KEY), scope: 'read' }],
      },
    },
    'photosortd-search-api-',
  );
  const colours: [string, [number, number, number]][] = [
    ['red-a', [230, 20, 20]],
    ['red-b', [200, 50, 40]],
    ['green', [20, 200, 30]],
    ['white', [250, 250, 250]],
  ];
  for (const [i, [name, rgb]] of colours.entries()) {
    const date = `2022:0${i + 1}:01 10:00:00`;
    await writeColourPhoto(
      join(p.library, 'colours', `${name}.jpg`),
      { name, rgb, date },
      exiftool,
    );
  }
  await mkdir(join(p.library, 'corpus'), { recursive: true });
  for (const file of Object.values(THUMB_SOURCES)) {
    await copyFile(file, join(p.library, 'corpus', basename(file)));
  }
  const index = await runCli(['index', '--config', p.config]);
  expect(index.code, index.stdout + index.stderr).toBe(0);
  expect(index.stdout).toContain('indexed 7 photo(s)');
  server = await startApiServer({
    config: await loadConfig(p.config),
    control: new RecordingDaemonControl(),
    logger: capturedLogger().logger,
    metrics: new Metrics(),
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await exiftool.end();
});

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${READ_KEY}`, ...headers },
  });
}

async function cli(args: string[]): Promise<HitLine[]> {
  const result = await runCli([...args, '--json', '--config', p.config]);
  expect(result.code, result.stderr).toBe(0);
  return jsonLines<HitLine>(result.stdout);
}

async function results(path: string): Promise<(HitLine & { thumb: string })[]> {
  const response = await get(path);
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: (HitLine & { thumb: string })[] }).results;
}

describe('search over the API', () => {
  it('GET /search returns what `photosortd search --json` prints, with a thumbnail link', async () => {
    const api = await results('/search?q=red&limit=50');
    const printed = await cli(['search', 'red', '--limit', '50']);
    expect(api.map(({ thumb: _thumb, ...hit }) => hit)).toEqual(printed);
    expect(
      api
        .map((hit) => basename(hit.path))
        .slice(0, 2)
        .sort(),
    ).toEqual(['red-a.jpg', 'red-b.jpg']);
    for (const hit of api) expect(hit.thumb).toBe(`/thumb/${hit.id}`);

    const filtered = await results('/search?q=red&from=2022-02-01&to=2022-03-31&minScore=-1');
    expect(filtered).toEqual(
      (await cli(['search', 'red', '--from', '2022-02-01', '--to', '2022-03-31'])).map((hit) => ({
        ...hit,
        thumb: `/thumb/${hit.id}`,
      })),
    );
    expect(filtered.map((hit) => basename(hit.path)).sort()).toEqual(['green.jpg', 'red-b.jpg']);
    expect(await results('/search?q=red&tag=green')).toHaveLength(1);
  });

  it('GET /similar returns what `photosortd similar --json` prints', async () => {
    const red = join(p.library, 'colours', 'red-a.jpg');
    const api = await results(`/similar?path=${encodeURIComponent(red)}`);
    expect(api.map(({ thumb: _thumb, ...hit }) => hit)).toEqual(await cli(['similar', red]));
    expect(basename(api[0]!.path)).toBe('red-b.jpg');
  });

  it('refuses a missing query, a bad date, a path not indexed, and a request without a token', async () => {
    const missing = await get('/search');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^q:/);
    const badDate = await get('/search?q=red&from=yesterday');
    expect(badDate.status).toBe(400);
    expect(((await badDate.json()) as { error: string }).error).toContain('--from "yesterday"');
    const outside = await get(`/similar?path=${encodeURIComponent('/etc/hostname')}`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { code: string }).code).toBe('NOT_INDEXED');
    expect((await fetch(`${server.url}/search?q=red`)).status).toBe(401);
  });

  it('lists the search routes in the OpenAPI document', async () => {
    const doc = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/search', '/similar', '/thumb/{id}']),
    );
  });
});

describe('thumbnails', () => {
  for (const [kind, source] of Object.entries(THUMB_SOURCES)) {
    it(`GET /thumb/:id serves a small JPEG of a ${kind}, cached, with an ETag`, async () => {
      const hits = await results(
        `/similar?path=${encodeURIComponent(join(p.library, 'colours', 'white.jpg'))}&limit=50`,
      );
      const hit = hits.find((h) => basename(h.path) === basename(source));
      expect(hit, `${basename(source)} is indexed`).toBeDefined();
      const response = await get(hit!.thumb);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const etag = response.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]{32}-\d+"$/);
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(meta.format).toBe('jpeg');
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(360);
      const hash = createHash('sha256')
        .update(await readFile(source))
        .digest('hex');
      expect((await stat(join(p.state, 'thumbs', `${hash}-360.jpg`))).size).toBeGreaterThan(0);
      const again = await get(hit!.thumb, { 'if-none-match': etag! });
      expect(again.status).toBe(304);
    });
  }

  it('answers 404 for an id the index does not hold', async () => {
    const response = await get('/thumb/99999');
    expect(response.status).toBe(404);
  });
});

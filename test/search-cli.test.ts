import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, exited, runCli } from './support/cli.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { jsonLines, type Project } from './support/project.js';
import {
  colourModel,
  searchProject,
  writeColourPhoto,
  type ColourPhoto,
  type HitLine,
} from './support/search-world.js';

const LISBON = { lat: 38.7223, lon: -9.1393 };
const PARIS = { lat: 48.8566, lon: 2.3522 };

/** Three reds among other colours, with dates, cameras and places to filter on. */
const PHOTOS: ColourPhoto[] = [
  {
    name: 'red-lisbon',
    rgb: [230, 20, 20],
    date: '2021:07:01 12:00:00',
    make: 'Canon',
    model: 'EOS 5D',
    gps: LISBON,
  },
  {
    name: 'red-paris',
    rgb: [200, 40, 50],
    date: '2022:03:05 12:00:00',
    make: 'Apple',
    model: 'iPhone 12',
    gps: PARIS,
  },
  { name: 'red-plain', rgb: [250, 70, 40], date: '2023:01:01 12:00:00' },
  {
    name: 'green',
    rgb: [20, 200, 30],
    date: '2021:07:02 12:00:00',
    make: 'Canon',
    model: 'EOS 5D',
    gps: LISBON,
  },
  { name: 'blue', rgb: [20, 20, 230], date: '2022:03:06 12:00:00' },
  { name: 'yellow', rgb: [230, 230, 20], date: '2023:01:02 12:00:00' },
  { name: 'white', rgb: [250, 250, 250], date: '2021:07:03 12:00:00' },
];
const REDS = PHOTOS.filter((p) => p.name.startsWith('red')).map((p) => `${p.name}.jpg`);

const exiftool = new ExifTool({ maxProcs: 1 });
let work: string;
let model: string;
let filed: Project;

async function search(p: Project, args: string[]): Promise<HitLine[]> {
  const limit = args.includes('--limit') ? [] : ['--limit', '100'];
  const result = await runCli([...args, '--json', ...limit, '--config', p.config]);
  if (result.code !== 0) throw new Error(`photosortd ${args.join(' ')} failed: ${result.stderr}`);
  return jsonLines<HitLine>(result.stdout);
}
const names = (hits: HitLine[]) => hits.map((hit) => basename(hit.path));

beforeAll(async () => {
  ensureBuilt();
  work = await tempDir('photosortd-search-cli-');
  model = colourModel(work);
  filed = await searchProject(model, { geocode: true });
  for (const photo of PHOTOS) {
    await writeColourPhoto(join(filed.inbox, `${photo.name}.jpg`), photo, exiftool);
  }
  const scan = await runCli(['scan', filed.inbox, '--config', filed.config]);
  expect(scan.code, scan.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await exiftool.end();
});

describe('photosortd search and similar on a filed library', () => {
  it('search red ranks every red photo above every other, with absolute library paths', async () => {
    const hits = await search(filed, ['search', 'red']);
    expect(hits).toHaveLength(PHOTOS.length);
    expect(names(hits.slice(0, 3)).sort()).toEqual([...REDS].sort());
    const worstRed = Math.min(...hits.slice(0, 3).map((h) => h.score));
    expect(Math.max(...hits.slice(3).map((h) => h.score))).toBeLessThan(worstRed);
    for (const hit of hits) expect(hit.path.startsWith(filed.library + '/')).toBe(true);
    const first = hits.find((h) => basename(h.path) === 'red-lisbon.jpg')!;
    expect(first).toMatchObject({
      takenAt: '2021-07-01T12:00:00+01:00',
      place: { city: 'Lisbon', countryCode: 'PT' },
      camera: 'Canon EOS 5D',
    });
    expect(first.tags?.[0]?.label).toBe('red');
  });

  it('similar of a red photo returns the other reds first, not itself', async () => {
    const red = (await listFiles(filed.library)).find((f) => f.endsWith('red-lisbon.jpg'))!;
    const hits = await search(filed, ['similar', join(filed.library, red)]);
    expect(names(hits)).not.toContain('red-lisbon.jpg');
    expect(names(hits.slice(0, 2)).sort()).toEqual(['red-paris.jpg', 'red-plain.jpg']);
  });

  it('similar of a photo outside the library embeds it with the model', async () => {
    const upload = join(work, 'upload-blue.jpg');
    await writeColourPhoto(
      upload,
      { name: 'x', rgb: [30, 30, 240], date: '2020:01:01 00:00:00' },
      exiftool,
    );
    const hits = await search(filed, ['similar', upload, '--limit', '1']);
    expect(names(hits)).toEqual(['blue.jpg']);
  });

  it('search TEXT --like PHOTO ranks by both, leaving the photo itself out', async () => {
    const blue = (await listFiles(filed.library)).find((f) => f.endsWith('blue.jpg'))!;
    const hits = await search(filed, ['search', 'red', '--like', join(filed.library, blue)]);
    expect(names(hits)).not.toContain('blue.jpg');
    // Red plus blue points away from green (and from white, which is greenest of all):
    // the reds lead, and every colour with green in it scores below zero.
    expect(names(hits.slice(0, 3)).sort()).toEqual([...REDS].sort());
    for (const hit of hits.slice(3)) expect(hit.score, basename(hit.path)).toBeLessThan(0);
  });

  it('each filter narrows the results', async () => {
    const all = names(await search(filed, ['search', 'red']));
    const narrowed = async (args: string[]) =>
      names(await search(filed, ['search', 'red', ...args])).sort();
    expect(await narrowed(['--from', '2022-01-01', '--to', '2022-12-31'])).toEqual([
      'blue.jpg',
      'red-paris.jpg',
    ]);
    expect(await narrowed(['--place', 'Lisbon'])).toEqual(['green.jpg', 'red-lisbon.jpg']);
    expect(await narrowed(['--place', 'fr'])).toEqual(['red-paris.jpg']);
    expect(await narrowed(['--camera', 'iphone'])).toEqual(['red-paris.jpg']);
    expect(await narrowed(['--tag', 'green'])).toEqual(['green.jpg']);
    expect(await narrowed(['--folder', '2023'])).toEqual(['red-plain.jpg', 'yellow.jpg']);
    expect(await narrowed(['--kind', 'video'])).toEqual([]);
    expect(await narrowed(['--min-score', '0.9'])).toEqual([...REDS].sort());
    expect(names(await search(filed, ['search', 'red', '--limit', '2']))).toHaveLength(2);
    expect(all).toHaveLength(PHOTOS.length);
    const byDate = await search(filed, ['search', 'red', '--sort', 'date', '--min-score', '0.9']);
    expect(names(byDate)).toEqual(['red-plain.jpg', 'red-paris.jpg', 'red-lisbon.jpg']);
  });

  it('prints a table on a terminal-like run and refuses a bad date with a clear message', async () => {
    const table = await runCli(['search', 'red', '--limit', '3', '--config', filed.config]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^score\s+taken\s+place\s+tags\s+path$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^1\.0000|^0\.9/);
    const bad = await runCli(['search', 'red', '--from', 'June', '--config', filed.config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from "June" is not a date; write it as YYYY-MM-DD');
  });
});

describe('the index follows the journal and the library', () => {
  it('undo removes a file from the results', async () => {
    const p = await searchProject(model);
    await writeColourPhoto(join(p.inbox, 'a', 'red-1.jpg'), PHOTOS[0]!, exiftool);
    expect((await runCli(['scan', join(p.inbox, 'a'), '--config', p.config])).code).toBe(0);
    await writeColourPhoto(join(p.inbox, 'b', 'red-2.jpg'), PHOTOS[1]!, exiftool);
    expect((await runCli(['scan', join(p.inbox, 'b'), '--config', p.config])).code).toBe(0);
    expect(names(await search(p, ['search', 'red'])).sort()).toEqual(['red-1.jpg', 'red-2.jpg']);

    const undo = await runCli(['undo', '--last', '1', '--config', p.config]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(names(await search(p, ['search', 'red']))).toEqual(['red-1.jpg']);
  });

  it('a library filled by hand is found after photosortd index; a file deleted by hand leaves it', async () => {
    const p = await searchProject(model);
    for (const photo of PHOTOS) {
      await writeColourPhoto(join(p.library, 'by hand', `${photo.name}.jpg`), photo, exiftool);
    }
    const before = await runCli(['search', 'red', '--config', p.config]);
    expect(before.stdout).toBe('');
    expect(before.stderr).toContain('run `photosortd index`');

    const index = await runCli(['index', '--config', p.config]);
    expect(index.code, index.stderr).toBe(0);
    expect(index.stdout).toContain(`indexed ${PHOTOS.length} photo(s); 0 already indexed`);
    expect(names((await search(p, ['search', 'red'])).slice(0, 3)).sort()).toEqual(
      [...REDS].sort(),
    );

    await rm(join(p.library, 'by hand', 'red-paris.jpg'));
    const again = await runCli(['index', '--config', p.config]);
    expect(again.stdout).toContain(
      `indexed 0 photo(s); ${PHOTOS.length - 1} already indexed; 1 gone`,
    );
    expect(names(await search(p, ['search', 'red']))).not.toContain('red-paris.jpg');

    const rebuilt = await runCli(['index', '--rebuild', '--config', p.config]);
    expect(rebuilt.stdout).toContain(`indexed ${PHOTOS.length - 1} photo(s); 0 already indexed`);
    expect(await search(p, ['search', 'red'])).toHaveLength(PHOTOS.length - 1);
  });

  it('index killed midway resumes without embedding again what it had finished', async () => {
    const p = await searchProject(model);
    const count = 240;
    for (let i = 0; i < count; i++) {
      const photo = PHOTOS[i % PHOTOS.length]!;
      const rgb: [number, number, number] = [photo.rgb[0], photo.rgb[1], (photo.rgb[2] + i) % 256];
      await writeColourPhoto(join(p.library, `p${i}.jpg`), { ...photo, rgb, size: 1600 }, exiftool);
    }
    const db = () =>
      new Database(join(p.state, 'search.sqlite'), { readonly: true, fileMustExist: true });
    const embedded = (): Map<string, string> => {
      try {
        const conn = db();
        try {
          const rows = conn.prepare('SELECT hash, created_at FROM embeddings').all() as {
            hash: string;
            created_at: string;
          }[];
          return new Map(rows.map((r) => [r.hash, r.created_at]));
        } finally {
          conn.close();
        }
      } catch {
        return new Map();
      }
    };
    const child = spawn(process.execPath, [BIN, 'index', '--config', p.config], {
      stdio: 'ignore',
    });
    await waitFor(() => embedded().size >= 10, {
      intervalMs: 20,
      what: '10 embeddings',
      timeoutMs: 60_000,
    });
    child.kill('SIGKILL');
    await exited(child);
    const first = embedded();
    expect(first.size).toBeGreaterThanOrEqual(10);
    expect(first.size).toBeLessThan(count);

    const resumed = await runCli(['index', '--config', p.config], { timeoutMs: 300_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = Number(/; (\d+) already indexed/.exec(resumed.stdout)?.[1]);
    expect(done).toBeGreaterThanOrEqual(first.size);
    const after = embedded();
    expect(after.size).toBe(count);
    for (const [hash, at] of first) expect(after.get(hash)).toBe(at);
  }, 600_000);
});

import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics, readApiKey, startApiServer } from '../src/api/index.js';
import { launchDaemon } from '../src/app/launch.js';
import { silentLogger } from '../src/lib/logger.js';
import { HASH_ON_SIGHT_BELOW } from '../src/pipeline/content-hash.js';
import { PREVIEW_TAGS } from '../src/tagging/image-input.js';
import { ROOT, ensureBuilt, runCli } from './support/cli.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { projectConfig } from './support/daemon-project.js';
import { jsonLines, type Project } from './support/project.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import {
  colourModel,
  searchProject,
  writeColourPhoto,
  type HitLine,
} from './support/search-world.js';

// HEIC files whose only images are HEVC, as iPhones write them: sharp's libvips cannot decode
// them and they hold no JPEG preview, so their pixels come from heic-decode (libheif).

const exiftool = new ExifTool({ maxProcs: 1 });
let work: string;
let model: string;
/** The committed blue HEIC with its JPEG thumbnail removed: HEVC only, of a known colour. */
let blueHevc: string;

interface ScanLine {
  source: string;
  target: string | null;
  tags: { label: string; score: number }[] | null;
}

async function search(p: Project, args: string[]): Promise<HitLine[]> {
  const result = await runCli([...args, '--json', '--limit', '100', '--config', p.config]);
  expect(result.code, result.stderr).toBe(0);
  return jsonLines<HitLine>(result.stdout);
}
const names = (hits: HitLine[]) => hits.map((hit) => basename(hit.path));

/** Whether exiftool finds any embedded JPEG in a file (it must not, for these tests to mean anything). */
async function embeddedJpegs(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const tag of PREVIEW_TAGS) {
    const bytes = await exiftool.extractBinaryTagToBuffer(tag, path).catch(() => null);
    if (bytes) found.push(tag);
  }
  return found;
}

beforeAll(async () => {
  ensureBuilt();
  work = await tempDir('photosortd-heic-');
  model = colourModel(work);
  blueHevc = join(work, 'blue-hevc.heic');
  await copyFile(join(ROOT, 'test', 'fixtures', 'tagging', 'blue-from-png.heic'), blueHevc);
  await exiftool.write(blueHevc, {}, { writeArgs: ['-ThumbnailImage=', '-overwrite_original'] });
  expect(await embeddedJpegs(blueHevc)).toEqual([]);
}, 120_000);

afterAll(async () => {
  await exiftool.end();
});

/** A red and a green JPEG beside the HEIC, so a ranking has something to rank it against. */
async function others(folder: string): Promise<void> {
  await writeColourPhoto(
    join(folder, 'red.jpg'),
    { name: 'red', rgb: [230, 20, 20], date: '2021:07:01 12:00:00' },
    exiftool,
  );
  await writeColourPhoto(
    join(folder, 'green.jpg'),
    { name: 'green', rgb: [20, 200, 30], date: '2021:07:02 12:00:00' },
    exiftool,
  );
}

describe('a HEVC-only HEIC', () => {
  it('filed with tagging on gets its tags and is found by search and similar', async () => {
    const p = await searchProject(model);
    await copyFile(blueHevc, join(p.inbox, 'IMG_0001.HEIC'));
    await others(p.inbox);
    const scan = await runCli(['scan', p.inbox, '--json', '--config', p.config]);
    expect(scan.code, scan.stderr).toBe(0);
    const heic = jsonLines<ScanLine>(scan.stdout).find((line) =>
      line.source.endsWith('IMG_0001.HEIC'),
    );
    expect(heic?.tags?.[0]?.label).toBe('blue');

    const hits = await search(p, ['search', 'blue']);
    expect(hits[0]?.path).toBe(heic!.target);
    expect(hits[0]?.tags?.[0]?.label).toBe('blue');

    // Another HEVC-only file of the same colour, outside the library: embedded on the spot.
    const outside = join(work, 'outside-blue.heic');
    await copyFile(blueHevc, outside);
    await exiftool.write(
      outside,
      { Artist: 'someone else' },
      { writeArgs: ['-overwrite_original'] },
    );
    expect(names(await search(p, ['similar', outside]))[0]).toBe('IMG_0001.HEIC');
    // And the library's HEIC as the query: the others follow it, the HEIC itself is left out.
    const similar = await search(p, ['similar', heic!.target!]);
    expect(names(similar).sort()).toEqual(['green.jpg', 'red.jpg']);
  });

  it('put in the library by hand is embedded by photosortd index, as is a photo over 1 MiB', async () => {
    const p = await searchProject(model);
    await mkdir(join(p.library, 'by hand'), { recursive: true });
    await copyFile(blueHevc, join(p.library, 'by hand', 'IMG_0002.HEIC'));
    await others(join(p.library, 'by hand'));
    // Noise does not compress: a photo of a real photo's size, which identify does not hash
    // on sight (index used to refuse such files as "not readable").
    const noise = await sharp(randomBytes(1200 * 900 * 3), {
      raw: { width: 1200, height: 900, channels: 3 },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(HASH_ON_SIGHT_BELOW);
    await writeFile(join(p.library, 'by hand', 'noise.jpg'), noise);
    const index = await runCli(['index', '--config', p.config]);
    expect(index.code, index.stdout + index.stderr).toBe(0);
    expect(index.stdout).toContain('indexed 4 photo(s); 0 already indexed');
    expect(names(await search(p, ['search', 'blue']))[0]).toBe('IMG_0002.HEIC');
  });
});

describe('a HEVC-only HEIC dropped into a running daemon', () => {
  it('is filed, tagged, found over the API, uploaded as a query, and gets a thumbnail', async () => {
    const p = await projectConfig(
      {
        settle: 300,
        api: { listen: '127.0.0.1:0' },
        tagging: { enabled: true, model, labels: ['red', 'green', 'blue'], minScore: 0.3 },
      },
      'photosortd-heic-daemon-',
    );
    const logger = silentLogger();
    const daemon = await launchDaemon(p.loaded, logger);
    const server = await startApiServer({
      config: p.loaded,
      control: daemon,
      logger,
      metrics: new Metrics(),
    });
    try {
      const key = await readApiKey(p.state);
      const get = (path: string) =>
        fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      await others(p.inbox);
      await copyFile(blueHevc, join(p.inbox, 'IMG_0003.HEIC'));
      const photos = async () =>
        (await listFiles(p.library)).filter((file) => !file.endsWith('.xmp'));
      await waitFor(async () => (await photos()).length === 3, {
        what: 'the HEIC and two JPEGs filed',
      });
      const hits = (await (await get('/search?q=blue')).json()) as {
        results: (HitLine & { thumb: string })[];
      };
      expect(basename(hits.results[0]!.path)).toBe('IMG_0003.HEIC');
      expect(hits.results[0]!.tags?.[0]?.label).toBe('blue');

      const uploaded = await fetch(`${server.url}/similar`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'image/heic' },
        body: await readFile(blueHevc),
      });
      expect(uploaded.status).toBe(200);
      const like = ((await uploaded.json()) as { results: HitLine[] }).results;
      expect(basename(like[0]!.path)).toBe('IMG_0003.HEIC');

      const thumb = await get(hits.results[0]!.thumb);
      expect(thumb.status).toBe(200);
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      // The 64×48 photo, not enlarged.
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 64, 48]);
    } finally {
      await server.close();
      await daemon.stop(10_000);
    }
  }, 120_000);
});

// Real iPhone and phone HEIC/HEIF files (read in place: the ia_ and im_ ones may not be copied
// into the project).
describe.skipIf(!HAS_CORPUS)('the corpus HEIC and HEIF files (shared corpus)', () => {
  const CORPUS_HEIFS = [
    'dn_IMG_1034.heic',
    'ft_fixture-heic.heic',
    'ia_HMD_Nokia_8.3_5G_hdr.heif',
    'ia_iphone_13_pro_max.HEIC',
    'ia_samplefilehub.heif',
    'im_IMG_2682.heic',
  ];

  it('hold no JPEG preview, and each is embedded by photosortd index and found by similar', async () => {
    const p = await searchProject(model);
    await mkdir(join(p.library, 'phone'), { recursive: true });
    for (const name of CORPUS_HEIFS) {
      expect(await embeddedJpegs(join(CORPUS_DEV, name)), name).toEqual([]);
      await copyFile(join(CORPUS_DEV, name), join(p.library, 'phone', name));
    }
    const index = await runCli(['index', '--config', p.config], { timeoutMs: 300_000 });
    expect(index.code, index.stderr).toBe(0);
    expect(index.stdout).toContain(`indexed ${CORPUS_HEIFS.length} photo(s); 0 already indexed`);
    // A copy with other bytes (so it is not the library's file) finds the photo it shows.
    const copy = join(work, 'query-iphone.HEIC');
    await copyFile(join(CORPUS_DEV, 'ia_iphone_13_pro_max.HEIC'), copy);
    await exiftool.write(copy, { Artist: 'someone else' }, { writeArgs: ['-overwrite_original'] });
    const hits = await search(p, ['similar', copy]);
    expect(hits[0]?.path).toBe(join(p.library, 'phone', 'ia_iphone_13_pro_max.HEIC'));
    expect(hits[0]?.score).toBeGreaterThan(0.99);
    expect(names(hits).sort()).toEqual([...CORPUS_HEIFS].sort());
  }, 300_000);
});

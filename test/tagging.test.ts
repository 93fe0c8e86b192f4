import { ExifTool } from 'exiftool-vendored';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileJob } from '../src/pipeline/job.js';
import { createTagStage } from '../src/pipeline/tag.js';
import { preparePixels } from '../src/tagging/image-input.js';
import { createTagger, type Tagger } from '../src/tagging/tagger.js';

const COLOURS = ['red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'white', 'black'];
const FIXTURES = join(import.meta.dirname, 'fixtures', 'tagging');
import { capturedLogger } from './support/captured.js';
import { CORPUS_DEV as CORPUS } from './support/corpus.js';
import { fileJob, photoMeta } from './support/records.js';

let work: string;
let modelDir: string;
let exiftool: ExifTool;
let tagger: Tagger;

function job(source: string, extra: Partial<FileJob> = {}): FileJob {
  return fileJob(source, { root: work, size: 0, kind: 'photo', ...extra });
}

async function solid(name: string, rgb: [number, number, number], format: 'jpeg' | 'png') {
  const file = join(work, name);
  const [r, g, b] = rgb;
  await sharp({ create: { width: 120, height: 80, channels: 3, background: { r, g, b } } })
    .toFormat(format)
    .toFile(file);
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'photosortd-tag-'));
  modelDir = join(work, 'models', 'colour-clip');
  execFileSync(process.execPath, ['scripts/make-test-model.js', modelDir]);
  exiftool = new ExifTool({ maxProcs: 1 });
  tagger = await createTagger({
    modelDir,
    labels: COLOURS,
    prompt: 'a photo of {}',
    minScore: 0.2,
    maxTags: 3,
    stateDir: join(work, 'state'),
    exiftool,
  });
});

afterAll(async () => {
  await tagger?.close();
  await exiftool?.end();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('tagging with the generated colour model', () => {
  it('loads the model from its directory and reports it', () => {
    expect(tagger.status.enabled).toBe(true);
    expect(tagger.status.model).toMatch(/^colour-clip@fp32:[0-9a-f]{16}$/);
  });

  it('tags a solid red JPEG and a solid green PNG with their colour', async () => {
    const red = await tagger.tag(job(await solid('red.jpg', [230, 10, 15], 'jpeg')));
    const green = await tagger.tag(job(await solid('green.png', [0, 200, 0], 'png')));
    expect(red?.[0]?.label).toBe('red');
    expect(red?.[0]?.score).toBeGreaterThan(0.9);
    expect(green?.map((t) => t.label)).toEqual(['green']);
  });

  it('tags a JPEG stored rotated (EXIF orientation 6)', async () => {
    const file = join(work, 'rotated.jpg');
    await sharp({ create: { width: 90, height: 60, channels: 3, background: '#00e0e0' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    expect((await exiftool.read(file)).Orientation).toBe(6);
    const tags = await tagger.tag(job(file, { meta: meta('JPEG', 6) }));
    expect(tags?.[0]?.label).toBe('cyan');
  });

  it('tags a HEIC made from a solid blue PNG through its embedded JPEG preview', async () => {
    const file = join(FIXTURES, 'blue-from-png.heic');
    const tags = await tagger.tag(job(file, { meta: meta('HEIC', 1) }));
    expect(tags?.[0]?.label).toBe('blue');
  });

  it('gives an orange image both red and yellow; minScore drops tags below it', async () => {
    const file = await solid('orange.png', [255, 128, 0], 'png');
    const tags = await tagger.tag(job(file));
    expect(tags?.map((t) => t.label).sort()).toEqual(['red', 'yellow']);
    for (const tag of tags ?? []) expect(tag.score).toBeLessThan(0.8);
    const strict = await createTagger({
      modelDir,
      labels: COLOURS,
      prompt: 'a photo of {}',
      minScore: 0.8,
      maxTags: 3,
      stateDir: join(work, 'state-strict'),
      exiftool,
    });
    expect(await strict.tag(job(file))).toEqual([]);
    await strict.close();
  });

  it('batches concurrent files into fewer vision runs, each tagged right', async () => {
    const colours: [string, [number, number, number]][] = [
      ['red', [250, 0, 0]],
      ['green', [0, 250, 0]],
      ['blue', [0, 0, 250]],
      ['yellow', [250, 250, 0]],
      ['magenta', [250, 0, 250]],
      ['white', [255, 255, 255]],
      ['black', [0, 0, 0]],
    ];
    const files = await Promise.all(
      colours.map(([name, rgb]) => solid(`batch-${name}.png`, rgb, 'png')),
    );
    const before = { ...tagger.stats };
    const results = await Promise.all(files.map((file) => tagger.tag(job(file))));
    expect(results.map((tags) => tags?.[0]?.label)).toEqual(colours.map(([name]) => name));
    expect(tagger.stats.embedded - before.embedded).toBe(colours.length);
    expect(tagger.stats.batches - before.batches).toBe(1);
  });

  it('does not run the model again for content it has seen (same hash, same model)', async () => {
    const file = await solid('seen.png', [240, 240, 0], 'png');
    const first = await tagger.tag(job(file, { hash: 'a'.repeat(64) }));
    const embedded = tagger.stats.embedded;
    const again = await tagger.tag(job(file, { hash: 'a'.repeat(64) }));
    expect(again).toEqual(first);
    expect(tagger.stats.embedded).toBe(embedded);
    expect(tagger.stats.cached).toBeGreaterThanOrEqual(1);
  });

  it('keeps label and image embeddings across restarts in the state folder', async () => {
    const file = await solid('restart.png', [250, 0, 250], 'png');
    const options = {
      modelDir,
      labels: COLOURS,
      prompt: 'a photo of {}',
      minScore: 0.2,
      maxTags: 3,
      stateDir: join(work, 'state-restart'),
      exiftool,
    };
    const first = await createTagger(options);
    const tags = await first.tag(job(file, { hash: 'b'.repeat(64) }));
    await first.close();
    const second = await createTagger(options);
    expect(await second.tag(job(file, { hash: 'b'.repeat(64) }))).toEqual(tags);
    expect(second.stats).toMatchObject({ embedded: 0, cached: 1 });
    await second.close();
    expect(tags?.[0]?.label).toBe('magenta');
  });

  it('tags RAW files through their embedded previews; dummy previews give null, not an error', async () => {
    const raf = await tagger.tag(job(join(FIXTURES, 'et_FujiFilm.raf'), { meta: meta('RAF', 1) }));
    const x3f = await tagger.tag(job(join(FIXTURES, 'et_SigmaDP2.x3f'), { meta: meta('X3F', 1) }));
    const nef = await tagger.tag(job(join(FIXTURES, 'et_Nikon.nef'), { meta: meta('NEF', 1) }));
    expect(Array.isArray(raf)).toBe(true);
    expect(Array.isArray(x3f)).toBe(true);
    expect(nef).toBeNull();
  });

  it.skipIf(!existsSync(CORPUS))(
    'handles real phone HEICs from the corpus without error',
    async () => {
      for (const name of ['dn_IMG_1034.heic', 'ft_fixture-heic.heic', 'im_IMG_2682.heic']) {
        const tags = await tagger.tag(job(join(CORPUS, name), { meta: meta('HEIC', 1) }));
        expect(tags === null || Array.isArray(tags)).toBe(true);
      }
    },
  );
});

describe('image preparation', () => {
  it('applies EXIF orientation before the centre crop', async () => {
    // Stored 64×32, left half red, right half blue; orientation 6 shows it turned a quarter
    // clockwise, red on top. After the crop the top-right pixel is red only if it was turned.
    const left = await sharp({
      create: { width: 32, height: 32, channels: 3, background: '#ff0000' },
    })
      .png()
      .toBuffer();
    const file = join(work, 'halves.jpg');
    await sharp({ create: { width: 64, height: 32, channels: 3, background: '#0000ff' } })
      .composite([{ input: left, left: 0, top: 0 }])
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const pixels = await preparePixels(file, {
      size: 16,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      rescale: 1 / 255,
    });
    const plane = 16 * 16;
    const topRight = [pixels[15]!, pixels[plane + 15]!, pixels[2 * plane + 15]!];
    const bottomLeft = [pixels[plane - 16]!, pixels[2 * plane - 16]!, pixels[3 * plane - 16]!];
    expect(topRight[0]).toBeGreaterThan(0.8);
    expect(topRight[2]).toBeLessThan(0.2);
    expect(bottomLeft[2]).toBeGreaterThan(0.8);
    expect(bottomLeft[0]).toBeLessThan(0.2);
  });

  it('normalises with the processor mean and std, channel first', async () => {
    const file = await solid('norm.png', [255, 0, 51], 'png');
    const pixels = await preparePixels(file, {
      size: 4,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.25, 0.5],
      rescale: 1 / 255,
    });
    expect(pixels.length).toBe(48);
    expect(pixels[0]).toBeCloseTo(1, 5);
    expect(pixels[16]).toBeCloseTo(-2, 5);
    expect(pixels[32]).toBeCloseTo(-0.6, 5);
  });
});

describe('tag stage', () => {
  it('sets tags on photos, null on videos, and leaves failed jobs alone', async () => {
    const stage = createTagStage(tagger);
    const file = await solid('stage.jpg', [255, 0, 0], 'jpeg');
    const photo = await stage(job(file));
    expect(photo.tags?.[0]?.label).toBe('red');
    const video = await stage(job(file, { kind: 'video' }));
    expect(video.tags).toBeNull();
    const failed = job(file, { error: { code: 'EXIF_UNREADABLE', message: 'x', stage: 'exif' } });
    expect(await stage(failed)).toBe(failed);
  });

  it('gives null for a photo whose bytes cannot be decoded, without throwing', async () => {
    const file = join(work, 'broken.jpg');
    await writeFile(file, Buffer.from('not a jpeg at all'));
    const out = await createTagStage(tagger)(job(file, { meta: meta('JPEG', 1) }));
    expect(out.tags).toBeNull();
    expect(out.error).toBeUndefined();
  });
});

describe('missing or broken model', () => {
  it('turns tagging off with a reason, logs it, and the stage still passes files on', async () => {
    const { lines, logger } = capturedLogger('info');
    const missing = join(work, 'models', 'not-there');
    const off = await createTagger({
      modelDir: missing,
      labels: COLOURS,
      prompt: 'a photo of {}',
      minScore: 0.2,
      maxTags: 3,
      stateDir: join(work, 'state-off'),
      exiftool,
      logger,
    });
    expect(off.status.enabled).toBe(false);
    expect(off.status.reason).toContain(missing);
    expect(off.status.reason).toContain('photosortd models pull');
    expect(lines().join('')).toContain('tagging is off');
    const out = await createTagStage(off)(job(await solid('off.jpg', [255, 0, 0], 'jpeg')));
    expect(out.tags).toBeNull();
    expect(out.error).toBeUndefined();
  });

  it('names the missing file of an incomplete model and a corrupt ONNX graph', async () => {
    const partial = join(work, 'models', 'partial');
    execFileSync(process.execPath, ['scripts/make-test-model.js', partial]);
    await rm(join(partial, 'onnx', 'vision_model.onnx'));
    const base = {
      labels: COLOURS,
      prompt: '{}',
      minScore: 0.2,
      maxTags: 3,
      stateDir: join(work, 'state-partial'),
      exiftool,
    };
    const incomplete = await createTagger({ ...base, modelDir: partial });
    expect(incomplete.status.reason).toContain('onnx/vision_model.onnx');

    await writeFile(join(partial, 'onnx', 'vision_model.onnx'), 'garbage');
    const corrupt = await createTagger({ ...base, modelDir: partial });
    expect(corrupt.status.enabled).toBe(false);
    expect(corrupt.status.reason).toContain('cannot be loaded');
  });
});

function meta(fileType: string, orientation: number): FileJob['meta'] {
  return photoMeta({ fileType, orientation });
}

#!/usr/bin/env node
/**
 * Tag stage benchmark (needs `npx tsc -p tsconfig.build.json` first):
 * 1. images per second through the tag stage (sharp decode of 12 MP JPEGs + batched vision
 *    runs + scoring) against a bare onnxruntime `session.run` on the same pixel inputs, with
 *    a ViT-B/32-shaped vision tower (random weights: cost depends on shapes, not values),
 *    float32 and int8 (`onnx/vision_model_quantized.onnx`, which photosortd prefers);
 * 2. time to prepare one 12 MP JPEG: sharp (shrink-on-load) against transformers.js's own
 *    image processor.
 *
 * Usage: node bench/tagging.js [IMAGES=16] [IN_FLIGHT=4]
 */
import { ExifTool } from 'exiftool-vendored';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { makeVitB32Model } from '../scripts/make-test-model.js';
import { createTagStage } from '../dist/pipeline/tag.js';
import { preparePixels } from '../dist/tagging/image-input.js';
import { loadLabels } from '../dist/tagging/labels.js';
import { inspectModelDir } from '../dist/tagging/model-files.js';
import { createTagger } from '../dist/tagging/tagger.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, '.bench-tmp', 'tagging');
const count = Number(process.argv[2] ?? 16);
const batch = 8;
/** Files the stage is given at once (the pipeline's `concurrency` is 32 by default). */
const inFlight = Number(process.argv[3] ?? 4);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
const models = {
  fp32: await makeVitB32Model(join(work, 'vit-b32')),
  q8: await makeVitB32Model(join(work, 'vit-b32-q8'), { quantized: true }),
};
const inspected = await inspectModelDir(models.fp32);
if (!inspected.ok) throw new Error(inspected.reason);
const spec = inspected.files.image;

const files = [];
for (let i = 0; i < count; i++) {
  const file = join(work, `photo-${i}.jpg`);
  await sharp({
    create: {
      width: 4000,
      height: 3000,
      channels: 3,
      noise: { type: 'gaussian', mean: 100 + i * 5, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toFile(file);
  files.push(file);
}
const exiftool = new ExifTool({ maxProcs: 1 });
const pixels = [];
for (const file of files) pixels.push(await preparePixels(file, spec));

/** The tag stage, end to end, as the pipeline drives it (`inFlight` files at once): images/s. */
async function stageRate(modelDir, dtype) {
  const tagger = await createTagger({
    modelDir,
    labels: await loadLabels(undefined, root),
    prompt: 'a photo of {}',
    minScore: 0.2,
    maxTags: 5,
    stateDir: join(work, `state-${dtype}`),
    exiftool,
  });
  if (!tagger.status.enabled) throw new Error(tagger.status.reason);
  if (!tagger.model?.includes(`@${dtype}:`))
    throw new Error(`expected a ${dtype} model, got ${tagger.model}`);
  const stage = createTagStage(tagger);
  const job = (source) => ({ source, root: work, size: 0, mtimeMs: 0, kind: 'photo' });
  await stage(job(files[0])); // warm-up
  const before = { ...tagger.stats };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < files.length) await stage(job(files[next++]));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const batches = tagger.stats.batches - before.batches;
  await tagger.close();
  return { rate: count / seconds, batches };
}

/** Bare onnxruntime on the same pixel inputs, same batch size: images/s. */
async function bareRate(file) {
  const session = await ort.InferenceSession.create(file);
  const plane = 3 * spec.size * spec.size;
  const run = async () => {
    for (let start = 0; start < pixels.length; start += batch) {
      const chunk = pixels.slice(start, start + batch);
      const data = new Float32Array(chunk.length * plane);
      chunk.forEach((p, i) => data.set(p, i * plane));
      await session.run({
        pixel_values: new ort.Tensor('float32', data, [chunk.length, 3, spec.size, spec.size]),
      });
    }
  };
  await run();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return count / seconds;
}

const fp32 = await stageRate(models.fp32, 'fp32');
const fp32Bare = await bareRate(join(models.fp32, 'onnx', 'vision_model.onnx'));
const q8 = await stageRate(models.q8, 'q8');
const q8Bare = await bareRate(join(models.q8, 'onnx', 'vision_model_quantized.onnx'));

// Preparing one 12 MP JPEG: sharp against transformers.js's processor.
const { AutoProcessor, RawImage, env } = await import('@huggingface/transformers');
env.allowRemoteModels = false;
env.localModelPath = `${work}/`;
const processor = await AutoProcessor.from_pretrained('vit-b32');
const sharpTimes = [];
const processorTimes = [];
for (const file of files.slice(0, 5)) {
  let t = performance.now();
  await preparePixels(file, spec);
  sharpTimes.push(performance.now() - t);
  t = performance.now();
  await processor(await RawImage.read(file));
  processorTimes.push(performance.now() - t);
}
await exiftool.end();

const lines = [
  '## Tagging',
  '',
  `\`node bench/tagging.js ${count} ${inFlight}\` — one Node ${process.versions.node.split('.')[0]} process; ${count} JPEGs of 4000×3000 (12 MP, noise`,
  'content, quality 85); the vision tower is `scripts/make-test-model.js DIR vit-b32`:',
  "ViT-B/32's shapes (224×224 input, 32×32 patches, 12 layers of width 768, projection 512)",
  'with random weights, since cost depends on shapes, not values; 50 default labels.',
  '',
  '| measure | result | baseline |',
  '|---|---:|---:|',
  `| tag stage, float32 tower, ${inFlight} files in flight (decode + batched vision runs + scoring) against bare onnxruntime \`session.run\` on the same pixel inputs, batches of ${batch} | ${fp32.rate.toFixed(2)} images/s | ${fp32Bare.toFixed(2)} images/s |`,
  `| tag stage, int8 tower (\`vision_model_quantized.onnx\`), same run, against bare onnxruntime on it | ${q8.rate.toFixed(2)} images/s | ${q8Bare.toFixed(2)} images/s |`,
  `| int8 stage against float32 stage (speed-up) | ${(q8.rate / fp32.rate).toFixed(2)}× | 1 |`,
  `| overhead ratio (stage time / bare run time), float32 · int8 | ${(fp32Bare / fp32.rate).toFixed(2)} · ${(q8Bare / q8.rate).toFixed(2)} | 1 |`,
  `| vision runs for ${count} files (mean batch), float32 | ${fp32.batches} (${(count / fp32.batches).toFixed(1)}) | ${Math.ceil(count / batch)} (${batch}) |`,
  `| prepare one 12 MP JPEG for the model: sharp, shrink-on-load, against transformers.js's \`RawImage.read\` + \`CLIPImageProcessor\` (medians of ${sharpTimes.length}) | ${median(sharpTimes).toFixed(0)} ms | ${median(processorTimes).toFixed(0)} ms |`,
  '',
  "- The stage's extra time over the bare run is decoding: a 12 MP JPEG costs ≈60 ms in sharp",
  "  even with shrink-on-load, and on two cores it competes with onnxruntime's threads; the",
  '  bare run gets its pixels for free. On a shared machine the stage figure moves between',
  '  runs; the bare run, which is pure onnxruntime, is steady.',
  '- A batch waits while other files are still being decoded, so files in flight together',
  '  share one vision run (an earlier version that ran as soon as one image was ready',
  '  averaged a batch of 1.8 with 4 files in flight).',
  '- Photos seen before (same content hash, same model) skip both decode and model: their',
  '  embedding comes from `<state>/tagging-cache.sqlite`.',
  '- Label embeddings are computed once per model and prompt text and cached the same way; with',
  '  all labels cached the text tower is never loaded.',
  '',
];
console.log(lines.join('\n'));
await rm(work, { recursive: true, force: true });

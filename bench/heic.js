#!/usr/bin/env node
/**
 * HEVC HEIC decoding benchmark (needs `npx tsc -p tsconfig.build.json` first, and the shared
 * corpus at ../shared/corpus or $PHOTOSORTD_CORPUS): for each real phone HEIC/HEIF of 12 MP
 * or more, the time to make the model's 224² input through `pixelsForJob` (exiftool finds
 * no preview, then heic-decode decodes the HEVC image in a worker thread), against a JPEG of
 * the same pixels (quality 90) through the same function in the same run; the main thread's
 * longest event-loop stall meanwhile; and the process's resident memory (worker included).
 * Then, for contrast, the stall heic-decode causes when it runs on the main thread.
 *
 * Usage: node bench/heic.js [ROUNDS=3]
 */
import { ExifTool } from 'exiftool-vendored';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeHeif } from '../dist/tagging/heif-decode.js';
import { pixelsForJob } from '../dist/tagging/image-input.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const corpus = join(process.env.PHOTOSORTD_CORPUS ?? join(root, '..', 'shared', 'corpus'), 'dev');
const work = join(root, '.bench-tmp', 'heic');
const rounds = Number(process.argv[2] ?? 3);
const spec = { size: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], rescale: 1 / 255 };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** Runs `fn`, watching the event loop's longest stall (a 5 ms timer's lateness) and the peak RSS. */
async function watched(fn) {
  let peak = process.memoryUsage().rss;
  let stallMs = 0;
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last - 5);
    last = now;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  // One more tick, so a stall at the very end is seen too.
  await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { result, ms, stallMs, peak };
}

await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });
const exiftool = new ExifTool({ maxProcs: 1 });
const rssCold = process.memoryUsage().rss;
const heics = [];
for (const name of (await readdir(corpus)).filter((n) => /\.hei[cf]$/i.test(n)).sort()) {
  const path = join(corpus, name);
  const { width, height } = await decodeHeif(path);
  if (width * height >= 12e6) heics.push({ name, path, mp: (width * height) / 1e6 });
}
if (heics.length === 0) throw new Error(`no HEIC of 12 MP or more in ${corpus}`);
const rssBefore = process.memoryUsage().rss;
console.log(
  `${heics.length} HEIC/HEIF of ≥ 12 MP, ${rounds} rounds; RSS before any HEIC ${mb(rssCold)}, ` +
    `with the decoding worker warm ${mb(rssBefore)}`,
);
console.log('file                         MP  HEVC ms  JPEG ms  ratio  main stall  peak RSS');
const all = { heic: [], jpeg: [], stall: [], peak: [] };
for (const heic of heics) {
  const { data, width, height } = await decodeHeif(heic.path);
  const jpeg = join(work, `${heic.name}.jpg`);
  await sharp(data, { raw: { width, height, channels: 4 } })
    .jpeg({ quality: 90 })
    .toFile(jpeg);
  const meta = await exiftool.read(heic.path);
  const times = { heic: [], jpeg: [], stall: [], peak: [] };
  for (let round = 0; round < rounds; round++) {
    const hevc = await watched(() =>
      pixelsForJob(
        { source: heic.path, meta: { fileType: meta.FileType ?? null, orientation: null } },
        spec,
        exiftool,
      ),
    );
    if (!hevc.result.ok || hevc.result.from !== 'HEVC')
      throw new Error(`${heic.name}: ${JSON.stringify(hevc.result)}`);
    const baseline = await watched(() =>
      pixelsForJob({ source: jpeg, meta: { fileType: 'JPEG', orientation: null } }, spec, exiftool),
    );
    times.heic.push(hevc.ms);
    times.jpeg.push(baseline.ms);
    times.stall.push(hevc.stallMs);
    times.peak.push(hevc.peak);
  }
  for (const key of Object.keys(all)) all[key].push(...times[key]);
  console.log(
    `${heic.name.padEnd(28)} ${heic.mp.toFixed(1).padStart(4)} ${median(times.heic).toFixed(0).padStart(8)} ` +
      `${median(times.jpeg).toFixed(0).padStart(8)} ${(median(times.heic) / median(times.jpeg)).toFixed(1).padStart(5)}× ` +
      `${Math.max(...times.stall)
        .toFixed(0)
        .padStart(8)} ms ${mb(Math.max(...times.peak)).padStart(9)}`,
  );
}
console.log(
  `all: HEVC median ${median(all.heic).toFixed(0)} ms, JPEG median ${median(all.jpeg).toFixed(0)} ms ` +
    `(${(median(all.heic) / median(all.jpeg)).toFixed(1)}×); longest main-thread stall ` +
    `${Math.max(...all.stall).toFixed(0)} ms; peak RSS ${mb(Math.max(...all.peak))}`,
);

// For contrast: the same decode on the main thread, as heic-decode is used without a worker.
const { default: decodeOnMain } = await import('heic-decode');
const buffer = await readFile(heics[0].path);
const onMain = await watched(() => decodeOnMain({ buffer }));
console.log(
  `heic-decode on the main thread (${heics[0].name}): ${onMain.ms.toFixed(0)} ms, ` +
    `event loop stalled ${onMain.stallMs.toFixed(0)} ms`,
);
await exiftool.end();
await rm(work, { recursive: true, force: true });

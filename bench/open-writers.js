// The cost of asking whether a file is still open for writing (src/lib/open-writers.ts): one
// sweep of /proc/*/fd per turn of the event loop, shared by the files asked in it. Measured
// with the processes the machine runs, then with EXTRA more (each holding a few descriptors),
// per file checked alone and per file when 32 are asked at once (a burst's moves).
// Baseline: one stat() of the file, in the same run. Linux only.
// Usage: node bench/open-writers.js [EXTRA=300]  (needs `npm run build`)
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenWriterCheck } from '../dist/lib/open-writers.js';

const extra = Number(process.argv[2] ?? 300);
const dir = await mkdtemp(join(tmpdir(), 'photosortd-bench-writers-'));
const files = [];
for (let i = 0; i < 32; i++) {
  const path = join(dir, `IMG_${i}.jpg`);
  await writeFile(path, 'x');
  files.push(path);
}

async function timeIt(runs, fn) {
  const started = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return (performance.now() - started) / runs;
}

async function measure(label) {
  const processes = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
  const statMs = await timeIt(200, () => stat(files[0]));
  // A new check each time: asked after a quiet spell, a check sweeps at once; asked again
  // within 50 ms it waits for the next sweep with the others (SWEEP_EVERY_MS), which is
  // the wait, not the cost, this measures.
  const aloneMs = await timeIt(20, () => createOpenWriterCheck().writerOf(files[0]));
  const burstMs =
    (await timeIt(10, () => {
      const check = createOpenWriterCheck();
      return Promise.all(files.map((f) => check.writerOf(f)));
    })) / 32;
  console.log(
    `${label}: ${processes} processes | stat ${statMs.toFixed(3)} ms | one file alone ` +
      `${aloneMs.toFixed(2)} ms (${(aloneMs / statMs).toFixed(0)}x stat) | per file in a burst of 32 ` +
      `${burstMs.toFixed(2)} ms (${(burstMs / statMs).toFixed(0)}x stat)`,
  );
}

await measure('machine as is');
const children = [];
for (let i = 0; i < extra; i++) {
  children.push(spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore'] }));
}
await new Promise((resolve) => setTimeout(resolve, 500));
try {
  await measure(`with ${extra} more`);
} finally {
  for (const child of children) child.kill();
  await rm(dir, { recursive: true, force: true });
}

// The cost of asking whether a file is still open for writing (src/lib/open-writers.ts): one
// sweep of /proc/*/fd on a worker thread, shared by the files asked while it runs or waits.
// Measured with the processes the machine runs, then with EXTRA more (each holding a few
// descriptors): the time to an answer for a file asked alone after a quiet spell, per file
// when 32 are asked at once (a burst's moves), and the event loop's own time per file in
// that burst (what the sweep no longer costs it). Baseline: one stat() of the file, in the
// same run. Linux only.
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

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Mean wall time of `fn` over `runs`, each after a pause longer than the sweep gap. */
async function timeQuietly(runs, fn) {
  let total = 0;
  for (let i = 0; i < runs; i++) {
    await pause(60);
    const started = performance.now();
    await fn();
    total += performance.now() - started;
  }
  return total / runs;
}

async function measure(label) {
  const processes = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
  const statMs = await timeIt(200, () => stat(files[0]));
  // One check, as the daemon keeps: its sweeping thread is started by the first question.
  const check = createOpenWriterCheck();
  await check.writerOf(files[0]);
  const aloneMs = await timeQuietly(20, () => check.writerOf(files[0]));
  const burstMs =
    (await timeQuietly(10, () => Promise.all(files.map((f) => check.writerOf(f))))) / 32;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < 10; i++) {
    await pause(60);
    await Promise.all(files.map((f) => check.writerOf(f)));
  }
  // The process's CPU minus the sweeping thread's is not separable here; the main thread's
  // share is what a profile shows (BENCHMARKS.md, Where scan's time goes).
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000 / (10 * 32);
  console.log(
    `${label}: ${processes} processes | stat ${statMs.toFixed(3)} ms | one file alone ` +
      `${aloneMs.toFixed(2)} ms (${(aloneMs / statMs).toFixed(0)}x stat) | per file in a burst of 32 ` +
      `${burstMs.toFixed(2)} ms (${(burstMs / statMs).toFixed(0)}x stat) | CPU of both threads per file in that burst ${cpuMs.toFixed(2)} ms`,
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

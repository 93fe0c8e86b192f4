// Drop-to-filed latency: with the daemon running and idle, one photo at a time is written
// into the inbox and the time until it is at its library path is measured (p50/p95), with
// the default settle of 1000 ms and with 200 ms. Baseline: exiftool's one-liner started on
// that single file (what a per-file inotify hook would pay), from the same run.
// Usage: node bench/latency.js [FILES=30]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, startDaemon } from './lib/daemon.js';
import { benchConfig, dateOf, photo, photoName } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIFTOOL = join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');
const files = Number(process.argv[2] ?? 30);

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1];

/** Where the default rule files the i-th photo: `{year}/{date}/{name}{ext}`. */
function targetOf(library, i) {
  const [y, m, d] = dateOf(i).slice(0, 10).split(':');
  return join(library, y, `${y}-${m}-${d}`, photoName(i));
}

async function daemonLatencies(settle) {
  const dir = await mkdtemp(join(tmpdir(), 'photosortd-bench-latency-'));
  try {
    await mkdir(join(dir, 'inbox'));
    await writeFile(join(dir, 'photosortd.config.yaml'), benchConfig({ settle }));
    const daemon = startDaemon(join(dir, 'photosortd.config.yaml'));
    await daemon.watching;
    const times = [];
    for (let i = 0; i < files; i++) {
      const bytes = await photo(i);
      const target = targetOf(join(dir, 'library'), i);
      await writeFile(join(dir, 'inbox', photoName(i)), bytes);
      const dropped = performance.now();
      while (!existsSync(target)) {
        if (performance.now() - dropped > 30_000) throw new Error(`${target} never appeared`);
        await sleep(2);
      }
      times.push(performance.now() - dropped);
    }
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    return times;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exiftoolLatencies() {
  const dir = await mkdtemp(join(tmpdir(), 'photosortd-bench-latency-'));
  try {
    const times = [];
    for (let i = 0; i < files; i++) {
      const file = join(dir, photoName(i));
      await writeFile(file, await photo(i));
      const started = performance.now();
      execFileSync(EXIFTOOL, [
        '-q',
        '-d',
        `${dir}/%Y/%Y-%m-%d`,
        '-Directory<DateTimeOriginal',
        file,
      ]);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows = [
  ['exiftool one-liner started on the one file — baseline', await exiftoolLatencies()],
  ['photosortd daemon, `settle: 200`', await daemonLatencies(200)],
  ['photosortd daemon, default `settle: 1000`', await daemonLatencies(1000)],
];
const lines = [
  '## Drop-to-filed latency',
  '',
  `\`node bench/latency.js ${files}\` — the daemon running and idle (no AI, no places); ${files} photos written into the inbox one at a time, each timed from the end of its write until it exists at its library path (polled every 2 ms). The baseline is exiftool's one-liner run on the same single file, process start included.`,
  '',
  '| how | p50 (ms) | p95 (ms) | max (ms) |',
  '|---|---:|---:|---:|',
  ...rows.map(
    ([how, t]) =>
      `| ${how} | ${quantile(t, 0.5).toFixed(0)} | ${quantile(t, 0.95).toFixed(0)} | ${Math.max(...t).toFixed(0)} |`,
  ),
  '',
  "- The daemon's latency is `settle` plus the work on the file: a file is taken only once it",
  '  has gone `settle` ms without changing, so a file still being copied is never filed',
  '  half-written. It is then handed on at once: a lone JPEG waits for no companion. Only a group',
  '  that may still get a member waits: for a file of its name the watcher sees still being',
  "  written (a HEIC's MOV, a RAW's JPEG), or up to 2 s for a video's still; late sidecars,",
  '  RAW/JPEG halves and videos follow their filed file through the journal.',
  '  The rest (tens of ms) is hashing, reading its tags (in-process for a JPEG, see',
  '  docs/ARCHITECTURE.md), the check that no process still has',
  "  the file open, and the journaled, fsynced move; the p95 is the shared machine's load.",
  '',
];
console.log(lines.join('\n'));

// A burst: FILES photos appear in the inbox at once (renamed in from a folder on the same
// filesystem) while the daemon runs. Measured: files/s until the inbox is empty, the daemon's
// peak RSS (and with its exiftool processes), and EMFILE anywhere in its log. Baseline:
// exiftool's one-liner filing a copy of the same files, in the same run.
// Usage: node bench/burst.js [FILES=10000]
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryOf, sleep, startDaemon } from './lib/daemon.js';
import { benchConfig, generate } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIFTOOL = join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');
const files = Number(process.argv[2] ?? 10_000);

const dir = await mkdtemp(join(tmpdir(), 'photosortd-bench-burst-'));
try {
  const staging = join(dir, 'staging');
  await generate(staging, files);
  await cp(staging, join(dir, 'exiftool'), { recursive: true });
  let started = performance.now();
  execFileSync(EXIFTOOL, [
    '-q',
    '-r',
    '-d',
    `${dir}/exiftool/%Y/%Y-%m-%d`,
    '-Directory<DateTimeOriginal',
    join(dir, 'exiftool'),
  ]);
  const exiftoolSeconds = (performance.now() - started) / 1000;

  await mkdir(join(dir, 'inbox'));
  await writeFile(join(dir, 'photosortd.config.yaml'), benchConfig());
  const daemon = startDaemon(join(dir, 'photosortd.config.yaml'));
  await daemon.watching;
  const idle = memoryOf(daemon.child.pid);
  const names = await readdir(staging);
  started = performance.now();
  for (const name of names) await rename(join(staging, name), join(dir, 'inbox', name));
  let peakTree = 0;
  let filed = 0;
  const filedLine = /"msg":"filed"/g;
  while (filed < files) {
    if (performance.now() - started > 1_800_000) throw new Error(`only ${filed} filed in 30 min`);
    await sleep(250);
    peakTree = Math.max(peakTree, memoryOf(daemon.child.pid).treeRss);
    filed = (daemon.log().match(filedLine) ?? []).length;
  }
  const seconds = (performance.now() - started) / 1000;
  const { peak } = memoryOf(daemon.child.pid);
  daemon.child.kill('SIGTERM');
  const exit = await daemon.exited;
  const emfile = (daemon.log().match(/EMFILE/g) ?? []).length;
  const failed = (daemon.log().match(/"msg":"file failed"/g) ?? []).length;

  const lines = [
    '## Burst',
    '',
    `\`node bench/burst.js ${files}\` — ${files} generated 160×120 JPEGs renamed into the inbox of a running daemon (defaults: settle 1000 ms, concurrency 256; no AI, no places), timed from the first rename until the daemon has logged every file as filed. Memory from \`/proc\`: the Node process's high-water mark (VmHWM), and the largest sum of its and its exiftool processes' RSS sampled every 250 ms.`,
    '',
    '| measure | photosortd daemon | baseline |',
    '|---|---:|---:|',
    `| files/s (baseline: exiftool one-liner filing a copy of the same files) | ${(files / seconds).toFixed(0)} | ${(files / exiftoolSeconds).toFixed(0)} |`,
    `| wall time (s) | ${seconds.toFixed(1)} | ${exiftoolSeconds.toFixed(1)} |`,
    `| peak RSS of the Node process (MB) (baseline: the same daemon idle before the burst) | ${peak.toFixed(0)} | ${idle.rss.toFixed(0)} |`,
    `| peak RSS with exiftool's processes (MB) | ${peakTree.toFixed(0)} | ${idle.treeRss.toFixed(0)} |`,
    `| EMFILE in the log | ${emfile} | 0 |`,
    `| files failed | ${failed} | 0 |`,
    `| exit status on SIGTERM | ${exit} | 0 |`,
    '',
  ];
  console.log(lines.join('\n'));
  if (emfile > 0 || failed > 0 || exit !== 0) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}

// Idle cost: a daemon watching an empty inbox (and a library of FILES photos) for SECONDS,
// after a warm-up. Measured: RSS and CPU of the daemon with its exiftool processes. Baseline:
// a bare Node process watching the same inbox with chokidar, in the same run.
// Usage: node bench/idle.js [SECONDS=60] [FILES=1000]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSecondsOf, memoryOf, sleep, startDaemon } from './lib/daemon.js';
import { benchConfig, generate } from './lib/photos.js';

const seconds = Number(process.argv[2] ?? 60);
const files = Number(process.argv[3] ?? 1000);
const WARM_UP = 5000;

/** CPU share (% of one core) and RSS of a process tree over `seconds`, after the warm-up. */
async function measure(pid) {
  await sleep(WARM_UP);
  const cpu = cpuSecondsOf(pid);
  await sleep(seconds * 1000);
  return { cpu: ((cpuSecondsOf(pid) - cpu) / seconds) * 100, ...memoryOf(pid) };
}

const dir = await mkdtemp(join(tmpdir(), 'photosortd-bench-idle-'));
try {
  await mkdir(join(dir, 'inbox'));
  await generate(join(dir, 'library', '2020'), files);
  await writeFile(join(dir, 'photosortd.config.yaml'), benchConfig());
  const daemon = startDaemon(join(dir, 'photosortd.config.yaml'));
  await daemon.watching;
  const ours = await measure(daemon.child.pid);
  daemon.child.kill('SIGTERM');
  await daemon.exited;

  const bare = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { watch } from 'chokidar'; watch(${JSON.stringify(join(dir, 'inbox'))}, { awaitWriteFinish: true });`,
    ],
    { stdio: 'ignore', cwd: new URL('..', import.meta.url) },
  );
  const base = await measure(bare.pid);
  bare.kill('SIGTERM');

  const lines = [
    '## Idle',
    '',
    `\`node bench/idle.js ${seconds} ${files}\` — a daemon (defaults; no AI, no places, API off) watching an empty inbox, with ${files} photos already in its library, measured over ${seconds} s after a ${WARM_UP / 1000} s warm-up. CPU is user + system time of the process and its children (exiftool's perl processes) as a share of one core. The baseline is a bare Node process watching the same inbox with chokidar, measured the same way.`,
    '',
    '| measure | photosortd daemon | baseline: Node + chokidar |',
    '|---|---:|---:|',
    `| CPU (% of one core) | ${ours.cpu.toFixed(2)} | ${base.cpu.toFixed(2)} |`,
    `| RSS of the Node process (MB) | ${ours.rss.toFixed(0)} | ${base.rss.toFixed(0)} |`,
    `| RSS with child processes (MB) | ${ours.treeRss.toFixed(0)} | ${base.treeRss.toFixed(0)} |`,
    '',
  ];
  console.log(lines.join('\n'));
} finally {
  await rm(dir, { recursive: true, force: true });
}

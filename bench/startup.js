// Fixed cost of the CLI: how long a command takes when it has nothing to do, against a bare
// `node -e 0` and exiftool's own `exiftool -ver` measured in the same run. Each command runs
// RUNS times, the commands taking turns, so that a change of load on the shared machine falls
// on all of them alike; the median wall time of each is reported. With OTHER, the path of a
// second checkout with its own dist/ built (e.g. main before a change), its commands are timed
// in the same rounds and shown beside this one's.
// Usage: node bench/startup.js [RUNS=20] [OTHER]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withThisNode } from './lib/daemon.js';
import { benchConfig } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIFTOOL = join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');
const runs = Number(process.argv[2] ?? 20);
const other = process.argv[3] ? resolve(process.argv[3]) : null;
/** The goal of issue 14 for `scan` of an empty folder. */
const SCAN_GOAL_S = 0.25;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time in seconds of one run of `file args`, which must exit with `code`. */
function timed(file, args, cwd, code) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: withThisNode(),
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== code) {
    throw new Error(
      `${file} ${args.join(' ')} exited with ${result.status} (expected ${code}): ${result.stderr}`,
    );
  }
  return seconds;
}

/** The photosortd commands timed, for the checkout at `root`, in the project folder `dir`. */
function photosortdCommands(root, dir, label) {
  const bin = join(root, 'bin/photosortd');
  // Run as a user runs it: through the bin's shell lines, on this Node.
  const node = (args, code = 0) => [bin, args, dir, code];
  const config = join(dir, 'photosortd.config.yaml');
  const apiConfig = join(dir, 'api.config.yaml');
  return [
    [`${label}photosortd --version`, ...node(['--version'])],
    [`${label}photosortd --help`, ...node(['--help'])],
    [
      `${label}photosortd scan EMPTY --json`,
      ...node(['scan', 'inbox', '--config', config, '--json']),
    ],
    // No daemon runs: `status` says so and exits 1.
    [`${label}photosortd status (no daemon)`, ...node(['status', '--config', apiConfig], 1)],
  ];
}

/** A project folder (config, empty inbox) for one checkout. */
async function project(dir) {
  await mkdir(join(dir, 'inbox'), { recursive: true });
  await writeFile(join(dir, 'photosortd.config.yaml'), benchConfig());
  // Port 9 (discard) is not listened on: `status` finds no daemon and nothing in its place.
  await writeFile(
    join(dir, 'api.config.yaml'),
    benchConfig().replace(/^api: .*$/m, "api: { enabled: true, listen: '127.0.0.1:9' }"),
  );
  return dir;
}

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-startup-'));
try {
  const commands = [
    ['node -e 0', process.execPath, ['-e', '0'], work, 0],
    ['exiftool -ver', EXIFTOOL, ['-ver'], work, 0],
    ...photosortdCommands(ROOT, await project(join(work, 'this')), ''),
    ...(other ? photosortdCommands(other, await project(join(work, 'other')), 'OTHER: ') : []),
  ];
  // One untimed round first: it makes the library and state folders and warms the disk cache.
  for (const [, file, args, cwd, code] of commands) timed(file, args, cwd, code);
  const times = new Map(commands.map(([name]) => [name, []]));
  for (let round = 0; round < runs; round++) {
    for (const [name, file, args, cwd, code] of commands) {
      times.get(name).push(timed(file, args, cwd, code));
    }
  }
  const node = median(times.get('node -e 0'));
  const exiftool = median(times.get('exiftool -ver'));
  const rows = commands.map(([name]) => {
    const m = median(times.get(name));
    const shown = name.replace('OTHER: ', `\`${other}\`: `);
    return `| ${shown} | ${m.toFixed(3)} | ${(m / node).toFixed(1)}× | ${(m / exiftool).toFixed(1)}× |`;
  });
  const scan = median(times.get('photosortd scan EMPTY --json'));
  const lines = [
    '## Start-up (fixed cost)',
    '',
    `\`node bench/startup.js ${process.argv.slice(2).join(' ')}\`, after \`npm run build\` — the median wall time of ${runs} runs of each command, the commands taking turns (after one untimed round that makes the library and state folders). \`scan EMPTY\` is \`photosortd scan\` of an empty folder with the benchmarks' configuration (no AI, no places, API off); \`status (no daemon)\` has the API on and no daemon running, so it exits 1 saying so. The baselines are a bare \`node -e 0\` and exiftool's own \`exiftool -ver\` (the Perl exiftool photosortd ships), in the same run.`,
    '',
    '| command | median wall (s) | ÷ `node -e 0` | ÷ `exiftool -ver` |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    `Goal (issue 14): \`scan\` of an empty folder ≤ ${SCAN_GOAL_S} s — ${scan <= SCAN_GOAL_S ? 'met' : 'NOT met'} (${scan.toFixed(3)} s).`,
    '',
  ];
  console.log(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}

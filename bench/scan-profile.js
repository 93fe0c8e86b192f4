// Where `photosortd scan` spends its time on camera-sized photos: runs it under
// `node --cpu-prof` on FILES generated 12 MP JPEGs and prints the profile's self time by
// category. `--against DIR` profiles another checkout's build (DIR/bin/photosortd) on the
// same photos in the same run, e.g. an older commit built in a git worktree
// (`git worktree add /tmp/before REV && cd /tmp/before && npm ci && npm run build`), and
// puts its figures beside this build's.
// Usage: node bench/scan-profile.js [FILES=150] [--against DIR]
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig, largePhoto, photoName } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const againstAt = args.indexOf('--against');
const against = againstAt >= 0 ? args[againstAt + 1] : undefined;
const files = Number(args.find((arg, i) => /^\d+$/.test(arg) && i !== againstAt + 1) ?? 150);

/**
 * Categories of self time, first match wins: what the function is (a native call shows as
 * its name with no script) or which script it runs in.
 */
const CATEGORIES = [
  ['SHA-256 of file contents', (fn, url) => url.includes('crypto/hash')],
  ['waiting (exiftool, fsync, disk)', (fn) => fn === '(idle)'],
  [
    'open-writer check (/proc/*/fd)',
    (fn, url) => fn === 'readlink' || fn === 'readlinkSync' || url.includes('open-writers'),
  ],
  [
    'loading modules',
    (fn, url) =>
      url.includes('internal/modules') ||
      url.includes('cjs-module-lexer') ||
      fn === 'compileSourceTextModule' ||
      fn === 'compileForInternalLoader' ||
      fn === 'readFileUtf8' ||
      fn === 'internalModuleStat',
  ],
  [
    'journal and index (SQLite)',
    (fn, url) => url.includes('journal') || url.includes('better-sqlite3'),
  ],
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  [
    'file system calls',
    (fn) =>
      [
        'read',
        'open',
        'openFileHandle',
        'close',
        'stat',
        'lstat',
        'fstat',
        'readdir',
        'realpath',
        'link',
        'unlink',
        'mkdir',
        'fsync',
        'statfs',
        'rename',
      ].includes(fn),
  ],
];

function summarise(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const totals = new Map(CATEGORIES.map(([name]) => [name, 0]));
  totals.set('other JavaScript', 0);
  let all = 0;
  for (const [id, micros] of self) {
    const { functionName, url } = nodes.get(id).callFrame;
    const category =
      CATEGORIES.find(([, match]) => match(functionName, url))?.[0] ?? 'other JavaScript';
    totals.set(category, totals.get(category) + micros);

    all += micros;
  }
  return { all, totals };
}

/** Profiles `scan` by `checkout`'s build on a fresh copy of `source`. */
async function profile(work, source, checkout, name) {
  const dir = join(work, name);
  await cp(source, join(dir, 'inbox'), { recursive: true });
  await writeFile(join(dir, 'photosortd.config.yaml'), benchConfig());
  execFileSync('sync');
  // Run as a user runs it (the bin's shell lines add Node's flags). Node 20 refuses
  // --cpu-prof in NODE_OPTIONS, so the `node` the bin finds first on PATH adds it.
  const withProfiler = join(dir, 'node-with-profiler');
  await mkdir(withProfiler);
  await writeFile(
    join(withProfiler, 'node'),
    `#!/bin/sh\nexec '${process.execPath}' --cpu-prof --cpu-prof-dir='${join(dir, 'profile')}' "$@"\n`,
    { mode: 0o755 },
  );
  const started = process.hrtime.bigint();
  execFileSync(
    join(checkout, 'bin/photosortd'),
    ['scan', join(dir, 'inbox'), '--config', join(dir, 'photosortd.config.yaml'), '--json'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PATH: `${withProfiler}${delimiter}${process.env.PATH ?? ''}` },
    },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const [file] = await readdir(join(dir, 'profile'));
  const result = summarise(JSON.parse(await readFile(join(dir, 'profile', file), 'utf8')));
  await rm(dir, { recursive: true, force: true });
  return { wall, ...result };
}

const ms = (micros) => (micros / 1000).toFixed(0);

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-profile-'));
try {
  const source = join(work, 'source');
  execFileSync('mkdir', ['-p', source]);
  for (let i = 0; i < files; i++) await writeFile(join(source, photoName(i)), await largePhoto(i));
  const builds = [['this build', ROOT]];
  if (against) builds.unshift([`--against build`, against]);
  const results = [];
  for (const [name, checkout] of builds)
    results.push(await profile(work, source, checkout, name.replace(/\W/g, '')));
  const mine = results.at(-1);
  const order = [...mine.totals].sort((a, b) => b[1] - a[1]).map(([category]) => category);
  const cell = (result, category) =>
    `${ms(result.totals.get(category))} (${((100 * result.totals.get(category)) / result.all).toFixed(0)} %)`;
  const lines = [
    "## Where scan's time goes (12 MP JPEGs)",
    '',
    `\`node bench/scan-profile.js ${files}${against ? ' --against DIR' : ''}\` — \`photosortd scan\` of ${files} generated 12 MP JPEGs (≈3.7 MB, date folders, no AI) under \`node --cpu-prof\`, each build on a fresh copy of the same photos; self time of the main thread by category, in ms (share of its samples). Perl's time (exiftool) is not in the profile; the main thread waits for it under "waiting".`,
    '',
    `| where the main thread's time went | ${builds.map(([name]) => name).join(' | ')} |`,
    `|---|${builds.map(() => '---:').join('|')}|`,
    ...order.map(
      (category) => `| ${category} | ${results.map((r) => cell(r, category)).join(' | ')} |`,
    ),
    `| **all samples** | ${results.map((r) => ms(r.all)).join(' | ')} |`,
    `| wall time of the scan | ${results.map((r) => r.wall.toFixed(0)).join(' | ')} |`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}

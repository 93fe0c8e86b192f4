// Where `photosortd scan` spends its time on camera-sized photos: runs it under
// `node --cpu-prof` on FILES generated 12 MP JPEGs and prints the profile's self time by
// category. `--bin DIR` profiles another checkout's build (DIR/bin/photosortd), e.g. an
// older commit built in a git worktree, to compare before and after a change.
// Usage: node bench/scan-profile.js [FILES=150] [--bin DIR]
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig, largePhoto, photoName } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const binAt = args.indexOf('--bin');
const checkout = binAt >= 0 ? args[binAt + 1] : ROOT;
const files = Number(args.find((arg, i) => /^\d+$/.test(arg) && args[i - 1] !== '--bin') ?? 150);

/**
 * Categories of self time, first match wins: what the function is (a native call shows as
 * its name with no script) or which script it runs in.
 */
const CATEGORIES = [
  ['SHA-256 of file contents', (fn, url) => url.includes('crypto/hash')],
  ['waiting (exiftool, fsync, disk)', (fn) => fn === '(idle)'],
  [
    'open-writer check (/proc/*/fd)',
    (fn, url) => fn === 'readlink' || url.includes('open-writers'),
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

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-profile-'));
try {
  const source = join(work, 'source');
  execFileSync('mkdir', ['-p', source]);
  for (let i = 0; i < files; i++) await writeFile(join(source, photoName(i)), await largePhoto(i));
  await cp(source, join(work, 'inbox'), { recursive: true });
  await writeFile(join(work, 'photosortd.config.yaml'), benchConfig());
  execFileSync('sync');
  const started = process.hrtime.bigint();
  execFileSync(
    process.execPath,
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      join(work, 'profile'),
      join(checkout, 'bin/photosortd'),
      'scan',
      join(work, 'inbox'),
      '--config',
      join(work, 'photosortd.config.yaml'),
      '--json',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const [name] = await readdir(join(work, 'profile'));
  const { all, totals } = summarise(
    JSON.parse(await readFile(join(work, 'profile', name), 'utf8')),
  );
  const lines = [
    `\`node bench/scan-profile.js ${files}${binAt >= 0 ? ' --bin DIR' : ''}\` — \`photosortd scan\` of ${files} generated 12 MP JPEGs (≈3.7 MB) under \`node --cpu-prof\`: ${wall.toFixed(0)} ms wall, ${(all / 1000).toFixed(0)} ms of main-thread samples.`,
    '',
    "| where the main thread's time went | ms | share |",
    '|---|---:|---:|',
    ...[...totals]
      .sort((a, b) => b[1] - a[1])
      .map(
        ([category, micros]) =>
          `| ${category} | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / all).toFixed(0)} % |`,
      ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}

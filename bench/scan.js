// Throughput of `photosortd scan` against exiftool's own one-liner doing the same job on
// identical copies of the same files, measured in the same run, on sets shaped like real
// cards and phones: small JPEGs (by date; by date and city on a fresh state), 12 MP JPEGs,
// RAW-sized files and videos of hundreds of MB.
// Each tool also runs on the set's first file alone, in the same rounds: its fixed cost
// (start-up, and what its first file loads), and throughput is the slope between the two,
// (files − 1) / (time of the set − time of one file): what a daemon that is already running,
// or a scan of a whole card, sees per file.
// Usage: node bench/scan.js [ROUNDS] [--sets small,city,12mp,raw,video] [--scale F]
// (`--scale 0.1` makes every set a tenth of its size, to check that the benchmark works.)
import { execFileSync } from 'node:child_process';
import { cp, link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withThisNode } from './lib/daemon.js';
import {
  benchConfig,
  dateOf,
  generate,
  largePhoto,
  photoName,
  rawSizedPhoto,
  writeVideo,
} from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIFTOOL = join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');
const BIN = join(ROOT, 'bin/photosortd');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const rounds = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 3);
const scale = Number(option('--scale', '1'));
const only = new Set(option('--sets', 'small,city,12mp,raw,video').split(','));
const count = (n) => Math.max(2, Math.round(n * scale));

/** Real places (latitude, longitude) the `city` set's photos were "taken" at. */
const PLACES = [
  [38.7223, -9.1393],
  [48.8566, 2.3522],
  [35.6762, 139.6503],
  [40.7128, -74.006],
  [-33.8688, 151.2093],
  [52.52, 13.405],
  [-22.9068, -43.1729],
  [55.7558, 37.6173],
  [19.4326, -99.1332],
  [1.3521, 103.8198],
];

/**
 * Each set: how its files are made, the one-liner's tag and folder, and the rule photosortd
 * files by. The one-liner renames each file into `DIR/<folder>`; photosortd journals, checks
 * and moves it into the same folders.
 */
const SETS = {
  small: {
    what: (n) => `${n} small JPEGs (160×120, ≈10 kB), date folders`,
    files: count(1000),
    make: (dir, n) => generate(dir, n),
    oneLiner: (dir) => ['-d', `${dir}/%Y/%Y-%m-%d`, '-Directory<DateTimeOriginal'],
  },
  city: {
    what: (n) =>
      `${n} small JPEGs with GPS, date + city folders, first run (fresh state: the places are loaded as a new user's first scan loads them)`,
    files: count(1000),
    make: async (dir, n) => {
      await generate(dir, n);
      await exiftoolEach(dir, n, (i) => {
        const [lat, lon] = PLACES[i % PLACES.length];
        return [
          `-GPSLatitude=${Math.abs(lat)}`,
          `-GPSLatitudeRef=${lat < 0 ? 'S' : 'N'}`,
          `-GPSLongitude=${Math.abs(lon)}`,
          `-GPSLongitudeRef=${lon < 0 ? 'W' : 'E'}`,
        ];
      });
    },
    oneLiner: (dir) => [
      '-api',
      'geolocation',
      '-d',
      '%Y-%m-%d',
      `-Directory<${dir}/$DateTimeOriginal $GeolocationCity`,
    ],
    config: { geocode: true, template: '{date} {place.city}/{name}{ext}' },
  },
  '12mp': {
    what: (n) => `${n} JPEGs of 12 MP (4000×3000, ≈3.7 MB), date folders`,
    files: count(150),
    make: (dir, n) => writeEach(dir, n, (i) => largePhoto(i)),
    oneLiner: (dir) => ['-d', `${dir}/%Y/%Y-%m-%d`, '-Directory<DateTimeOriginal'],
  },
  raw: {
    what: (n) =>
      `${n} RAW-sized files (TIFF 3000×2800 RGB, 25 MB, EXIF date), date folders, hard-linked into each run's folder`,
    files: count(120),
    linked: true,
    make: async (dir, n) => {
      await writeEach(
        dir,
        n,
        (i) => rawSizedPhoto(i),
        (i) => photoName(i).replace('.jpg', '.tif'),
      );
      // sharp keeps no EXIF in a TIFF; exiftool writes the date where a camera's TIFF has it.
      await exiftoolEach(dir, n, (i) => [`-DateTimeOriginal=${dateOf(i)}`], '.tif');
    },
    oneLiner: (dir) => ['-d', `${dir}/%Y/%Y-%m-%d`, '-Directory<DateTimeOriginal'],
  },
  video: {
    what: (n) =>
      `${n} MP4 videos of 250 MB (QuickTime CreateDate), date folders, hard-linked into each run's folder`,
    files: count(80),
    linked: true,
    make: async (dir, n) => {
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < n; i++) await writeVideo(join(dir, `VID_${i}.mp4`), i, 250);
    },
    oneLiner: (dir) => ['-d', `${dir}/%Y/%Y-%m-%d`, '-Directory<CreateDate'],
  },
};

async function writeEach(dir, n, bytesOf, nameOf = photoName) {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) await writeFile(join(dir, nameOf(i)), await bytesOf(i));
}

/** Runs one exiftool process over `n` files of `dir`, writing `tagsOf(i)` into each. */
async function exiftoolEach(dir, n, tagsOf, ext = '.jpg') {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push('-overwrite_original', ...tagsOf(i), join(dir, photoName(i).replace('.jpg', ext)));
    lines.push('-execute');
  }
  const argsFile = join(dir, '..', `${ext.slice(1)}-args.txt`);
  await writeFile(argsFile, lines.join('\n'));
  execFileSync(EXIFTOOL, ['-q', '-@', argsFile], { stdio: 'ignore' });
}

async function countFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).length;
}

function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function configFor(set) {
  const base = benchConfig();
  if (!set.config) return base;
  return base
    .replace('geocode: { enabled: false }', `geocode: { enabled: ${set.config.geocode} }`)
    .replace('{year}/{date}/{name}{ext}', set.config.template);
}

/** The one-liner on `dir`, timed. */
function runExiftool(set, dir) {
  return timed(() => execFileSync(EXIFTOOL, ['-q', '-r', ...set.oneLiner(dir), dir]));
}

/**
 * `photosortd scan` of `home`/inbox with `home`'s configuration and a fresh state, timed. Run
 * as a user runs it, through the bin's shell lines (Node's flags), with this Node.
 */
function runPhotosortd(home) {
  const config = join(home, 'photosortd.config.yaml');
  return timed(() =>
    execFileSync(BIN, ['scan', join(home, 'inbox'), '--config', config, '--json'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: withThisNode(),
    }),
  );
}

/**
 * `source`'s files put into `dir` for one run: copied, or for a `linked` set hard-linked.
 * Neither tool reads a large file's content (each reads its metadata and moves it by
 * rename or link), so a link gives the same work on the same real-sized files, and rounds
 * of 10 GB of videos no longer spend minutes copying; more files make the slope exact.
 */
async function copyFor(set, source, dir) {
  if (!set.linked) return cp(source, dir, { recursive: true });
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(source)) await link(join(source, name), join(dir, name));
}

/** A folder for one photosortd run: `inbox` made from `source`, the set's config. */
async function prepare(home, set, source) {
  await copyFor(set, source, join(home, 'inbox'));
  await writeFile(join(home, 'photosortd.config.yaml'), configFor(set));
}

/**
 * Medians of `rounds` runs of the one-liner and of `photosortd scan` (a fresh state each) on
 * fresh copies of the set, and of each on a copy of its first file alone.
 */
async function measure(work, name, set) {
  const source = join(work, name, 'source');
  await set.make(source, set.files);
  const single = join(work, name, 'single');
  const [first] = (await readdir(source)).sort();
  await mkdir(single, { recursive: true });
  await cp(join(source, first), join(single, first));
  const times = { exiftool: [], photosortd: [], exiftoolOne: [], photosortdOne: [] };
  for (let round = 0; round < rounds; round++) {
    const at = (what) => join(work, name, `${what}-${round}`);
    await copyFor(set, source, at('exiftool'));
    await copyFor(set, single, at('exiftool-one'));
    await prepare(at('photosortd'), set, source);
    await prepare(at('photosortd-one'), set, single);
    execFileSync('sync');
    const runs = [
      () => times.exiftool.push(runExiftool(set, at('exiftool'))),
      () => times.exiftoolOne.push(runExiftool(set, at('exiftool-one'))),
      () => times.photosortd.push(runPhotosortd(at('photosortd'))),
      () => times.photosortdOne.push(runPhotosortd(at('photosortd-one'))),
    ];
    // Alternate which runs first, so neither always gets the warmer cache.
    for (const run of round % 2 === 0 ? runs : runs.reverse()) run();
    if ((await countFiles(join(at('photosortd'), 'library'))) !== set.files)
      throw new Error(`photosortd did not file every file of the ${name} set`);
    if ((await countFiles(at('exiftool'))) !== set.files)
      throw new Error(`the one-liner did not keep every file of the ${name} set`);
    for (const what of ['exiftool', 'exiftool-one', 'photosortd', 'photosortd-one'])
      await rm(at(what), { recursive: true, force: true });
  }
  await rm(join(work, name), { recursive: true, force: true });
  return Object.fromEntries(Object.entries(times).map(([tool, xs]) => [tool, median(xs)]));
}

/** Files per second between a run of one file and a run of `files`. */
const throughput = (files, wall, one) => (files - 1) / Math.max(wall - one, 1e-3);

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-scan-'));
try {
  const rows = [];
  for (const [name, set] of Object.entries(SETS)) {
    if (!only.has(name)) continue;
    process.stderr.write(`scan bench: ${name}\n`);
    const t = await measure(work, name, set);
    const ours = throughput(set.files, t.photosortd, t.photosortdOne);
    const theirs = throughput(set.files, t.exiftool, t.exiftoolOne);
    rows.push(
      `| ${set.what(set.files)} | ${t.exiftool.toFixed(2)} (${t.exiftoolOne.toFixed(2)}) | ${t.photosortd.toFixed(2)} (${t.photosortdOne.toFixed(2)}) | ${(t.exiftool / t.photosortd).toFixed(2)}× | ${theirs.toFixed(0)} | ${ours.toFixed(0)} | **${(ours / theirs).toFixed(2)}×** |`,
    );
  }
  const lines = [
    '## Scan throughput',
    '',
    `\`node bench/scan.js ${rounds}\` — each set generated once, then per round copied afresh for each tool (the RAW and video sets hard-linked); wall time, median of ${rounds} rounds, order alternated. Baseline: exiftool's one-liner renaming every file into the same folders (\`exiftool -r -d DIR/%Y/%Y-%m-%d '-Directory<DateTimeOriginal' DIR\`; \`CreateDate\` for videos; \`-api geolocation\` and \`$GeolocationCity\` for the city set). photosortd: \`photosortd scan INBOX --json\` (no AI), journaled, verified, no-clobber moves into the same library folders. In brackets each tool's run on the set's first file alone (photosortd's with a fresh state), timed in the same rounds: start-up and what a first file loads (the places, for the city set). Throughput is the slope between the two, (files − 1) / (time of the set − time of one file), and its ratio is how many times photosortd's is the one-liner's.`,
    '',
    '| set | one-liner, s (one file) | photosortd scan, s (one file) | wall time ratio | one-liner files/s | photosortd files/s | throughput ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}

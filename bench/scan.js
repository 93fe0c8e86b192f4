// Throughput of `photosortd scan` against exiftool's own one-liner doing the same job
// (file by DateTimeOriginal into YYYY/YYYY-MM-DD) on identical copies of the same photos,
// measured in the same run. Usage: node bench/scan.js [FILES] [ROUNDS]
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig, generate } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIFTOOL = join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');
const BIN = join(ROOT, 'bin/photosortd');
const files = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 3);

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

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-scan-'));
try {
  const source = join(work, 'source');
  await generate(source, files);
  const exiftoolTimes = [];
  const photosortdTimes = [];
  for (let round = 0; round < rounds; round++) {
    const a = join(work, `exiftool-${round}`);
    const b = join(work, `photosortd-${round}`);
    await cp(source, a, { recursive: true });
    await cp(source, join(b, 'inbox'), { recursive: true });
    await writeFile(join(b, 'photosortd.config.yaml'), benchConfig());
    // Alternate which runs first, so neither always gets the warmer cache.
    const runExiftool = () =>
      exiftoolTimes.push(
        timed(() =>
          execFileSync(EXIFTOOL, [
            '-q',
            '-r',
            '-d',
            `${a}/%Y/%Y-%m-%d`,
            '-Directory<DateTimeOriginal',
            a,
          ]),
        ),
      );
    const runPhotosortd = () =>
      photosortdTimes.push(
        timed(() =>
          execFileSync(
            process.execPath,
            [
              BIN,
              'scan',
              join(b, 'inbox'),
              '--config',
              join(b, 'photosortd.config.yaml'),
              '--json',
            ],
            {
              stdio: ['ignore', 'ignore', 'inherit'],
            },
          ),
        ),
      );
    if (round % 2 === 0) {
      runExiftool();
      runPhotosortd();
    } else {
      runPhotosortd();
      runExiftool();
    }
    if ((await countFiles(join(b, 'library'))) !== files)
      throw new Error('photosortd did not file every photo');
  }
  const ex = median(exiftoolTimes);
  const ps = median(photosortdTimes);
  const lines = [
    '## Scan throughput (no AI, no geocoding)',
    '',
    `${files} generated 160×120 JPEGs with DateTimeOriginal, filed into \`{year}/{date}/{name}{ext}\`; median of ${rounds} rounds, order alternated.`,
    '',
    '| tool | wall time (s) | files/s | ratio |',
    '|---|---:|---:|---:|',
    `| exiftool one-liner (\`exiftool -r -d DIR/%Y/%Y-%m-%d '-Directory<DateTimeOriginal'\`) — baseline | ${ex.toFixed(2)} | ${(files / ex).toFixed(0)} | 1.00 |`,
    `| \`photosortd scan --json\` (journaled, hashed, verified moves) | ${ps.toFixed(2)} | ${(files / ps).toFixed(0)} | ${(ex / ps).toFixed(2)}× |`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}

// How fast a file is put in place on each kind of library filesystem, by the strategy
// safe-move picks there: hard link (ext4 and the like), rename onto an O_EXCL reservation
// (same disk without hard links: exFAT, rclone) and verified copy (another disk). Moves
// FILES files of SIZE MB, one at a time, through safeMove (dist/), and prints the median time
// per file and MB/s, with the ratio to the hard-link move on the temp disk measured in the
// same run. Needs root for the mounts; a mount that cannot be made is reported and left out.
// Usage: node bench/library-fs.js [FILES=40] [SIZE_MB=8]
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mountLibraryFs, whyNoMount } from './lib/mounts.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const files = Number(process.argv[2] ?? 40);
const sizeMb = Number(process.argv[3] ?? 8);

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const { safeMove } = await import('../dist/lib/safe-move.js');

/** Writes the inputs into `inbox` and returns their names and hashes. */
async function inputs(inbox) {
  await mkdir(inbox, { recursive: true });
  const made = [];
  for (let i = 0; i < files; i++) {
    const bytes = randomBytes(sizeMb * 1024 * 1024);
    const name = `VID_${i}.mov`;
    await writeFile(join(inbox, name), bytes);
    made.push({ name, hash: createHash('sha256').update(bytes).digest('hex') });
  }
  return made;
}

/** Moves every input from `inbox` to `library`; the median ms per file and the strategy. */
async function measure(inbox, library) {
  const made = await inputs(inbox);
  execFileSync('sync');
  const times = [];
  let strategy;
  for (const { name, hash } of made) {
    const started = performance.now();
    const result = await safeMove(join(inbox, name), join(library, '2024', name), {
      expectedHash: hash,
      onExists: 'fail',
    });
    times.push(performance.now() - started);
    strategy = result.strategy;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], strategy };
}

const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-libfs-'));
const mounts = [];
const rows = [];
try {
  const base = await measure(join(work, 'inbox-a'), join(work, 'library'));
  rows.push(['temp disk (ext4), same disk', base]);
  for (const kind of ['exfat', 'rclone']) {
    const why = whyNoMount(kind);
    if (why) {
      process.stderr.write(`${kind} left out: ${why}\n`);
      continue;
    }
    const mount = await mountLibraryFs(kind, { sizeMb: Math.max(256, files * sizeMb * 3) });
    mounts.push(mount);
    rows.push([
      `${kind}, same disk`,
      await measure(join(mount.dir, 'inbox'), join(mount.dir, 'library-1')),
    ]);
    rows.push([
      `${kind}, from the temp disk`,
      await measure(join(work, `inbox-${kind}`), join(mount.dir, 'library-2')),
    ]);
  }
} finally {
  for (const mount of mounts) await mount.unmount();
  await rm(work, { recursive: true, force: true });
}

const lines = [
  '## Library filesystems',
  '',
  `${files} files of ${sizeMb} MB moved one at a time with safeMove into a library on each filesystem (\`node bench/library-fs.js ${files} ${sizeMb}\`); median per file, and its ratio to the hard-link move on the temp disk in the same run. Each time includes hashing the file once (the verify).`,
  '',
  '| library | strategy | ms per file | MB/s | × the same-disk link |',
  '|---|---|---:|---:|---:|',
  ...rows.map(
    ([what, { ms, strategy }]) =>
      `| ${what} | ${strategy} | ${ms.toFixed(1)} | ${((sizeMb * 1000) / ms).toFixed(0)} | ${(ms / rows[0][1].ms).toFixed(2)} |`,
  ),
  '',
  'A same-disk move without hard links is a rename onto a reserved name: no bytes are copied, only the verify reads the file (through FUSE on these mounts). A move from another disk copies every byte once, at the speed the target takes writes.',
  '',
];
process.stdout.write(lines.join('\n'));

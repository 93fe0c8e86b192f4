// Crash suite, long run: a daemon filing a burst of FILES photos is SIGKILLed at KILLS random
// moments and restarted each time; then every input must exist exactly once (by content) in
// the library or inbox, no partial copy may be left, and `undo --all` must give back the
// original inbox byte for byte. Prints a markdown section; exits 1 when anything is wrong.
// Usage: node bench/crash.js [FILES=500] [KILLS=20] [SEED] [--large]
// --large pads every photo to 2 MiB, above the size hashed on sight: the daemon then files
// them by hard link unread (src/pipeline/content-hash.ts), and the kills land in that path.
// PHOTOSORTD_TEST_LIBRARY=exfat or rclone puts the library on a real mount of that kind (an
// exFAT image on a loop device, an rclone FUSE mount): filesystems without hard links.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCrashTrial, seeded } from './lib/crash.js';
import { mountLibraryFs, whyNoMount } from './lib/mounts.js';
import { benchConfig, generate } from './lib/photos.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [files = 500, kills = 20, seed = Date.now() % 1_000_000] = process.argv
  .slice(2)
  .filter((arg) => !arg.startsWith('--'))
  .map(Number);
const large = process.argv.includes('--large');

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const kind = process.env.PHOTOSORTD_TEST_LIBRARY;
if (kind && whyNoMount(kind)) {
  process.stderr.write(`PHOTOSORTD_TEST_LIBRARY=${kind}, but ${whyNoMount(kind)}\n`);
  process.exit(2);
}
const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-crash-'));
const mount = kind ? await mountLibraryFs(kind, { sizeMb: 1024 }) : undefined;
const library = mount ? join(mount.dir, 'library') : join(work, 'library');
const on = mount
  ? {
      exfat: 'an exFAT image (loop device, exfat-fuse)',
      rclone: 'an rclone mount of a local folder (`--vfs-cache-mode writes`)',
    }[kind]
  : 'the same disk as the inbox';
let failed = false;
try {
  // Every third photo carries an XMP date, so exiftool reads it (the rest are read
  // in-process): the kills land while exiftool's processes are busy too.
  await generate(join(work, 'inbox'), files, 0, large ? 2 << 20 : 0, 3);
  await writeFile(
    join(work, 'photosortd.config.yaml'),
    benchConfig({ concurrency: 4 }).replace(
      'library: ./library',
      `library: ${JSON.stringify(library)}`,
    ),
  );
  const trial = await runCrashTrial({
    inbox: join(work, 'inbox'),
    library,
    configFile: join(work, 'photosortd.config.yaml'),
    kills,
    random: seeded(seed),
  });
  const midBurst = trial.filedAtKill.filter((n) => n > 0 && n < files).length;
  const checks = [
    ['inputs lost (content in neither library nor inbox)', trial.lost.length, 0],
    ['inputs present more than once', trial.twice.length, 0],
    ['partial copies left anywhere', trial.partial.length, 0],
    ['exiftool processes outliving a killed daemon (5 s grace)', trial.orphans, 0],
    ['files in the library after the last run', trial.filed.size, files],
    ['exit status of the last run (SIGTERM)', trial.lastExit, 0],
    ['`undo --all` exit status', trial.undo.code, 0],
    [
      'inbox after `undo --all` identical to the original (paths and bytes)',
      trial.sameInbox ? 'yes' : 'no',
      'yes',
    ],
    ['files left in the library after `undo --all`', trial.libraryAfterUndo.length, 0],
  ];
  failed = checks.some(([, got, want]) => got !== want);
  const lines = [
    `## Crash suite${mount ? ` (library on ${kind})` : ''}${large ? ' (2 MiB photos)' : ''}`,
    '',
    `${files} generated JPEGs (every third with an XMP date, which exiftool reads; the rest read in-process)${large ? ' padded to 2 MiB (above the size hashed on sight: filed unread where a hard link can move them, read first where not)' : ''} dropped at once into an inbox on the temp disk, filed into a library on ${on}; the daemon (concurrency 4, settle 200 ms) SIGKILLed ${kills} times at random moments (seed ${seed}: \`${kind ? `PHOTOSORTD_TEST_LIBRARY=${kind} ` : ''}node bench/crash.js ${files} ${kills} ${seed}${large ? ' --large' : ''}\` replays it), restarted after each kill, then run to the end and stopped with SIGTERM. ${midBurst} of the ${kills} kills landed mid-burst; the rest during start-up or recovery, or once the inbox was empty. Total ${trial.seconds.toFixed(0)} s.`,
    '',
    '| check | result | expected |',
    '|---|---:|---:|',
    ...checks.map(([what, got, want]) => `| ${what} | ${got} | ${want} |`),
    '',
    `Files in the library after each kill: ${trial.filedAtKill.join(', ')}.`,
    '',
  ];
  if (trial.undo.stderr)
    lines.push('`undo --all` said:', '', '```', trial.undo.stderr.trim(), '```', '');
  process.stdout.write(lines.join('\n'));
} finally {
  await mount?.unmount();
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

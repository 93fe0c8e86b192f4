// Concurrency torture, long run: a daemon files FILES photos from two inboxes (every third on
// tmpfs, so copied across filesystems) while `scan --dry-run`, `scan`, `undo --last 5`, a
// second `run` and `journal` run over and over against the same state folder. Then every
// input must exist exactly once (by content), no partial file may be left, no journal row
// `planned`, and `undo --all` must give back both inboxes byte for byte. Prints a markdown
// section; exits 1 when anything is wrong.
// Usage: node bench/torture.js [FILES=300]
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareTorture, runTortureTrial } from './lib/torture.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const files = Number(process.argv[2] ?? 300);
const OTHER_FS = '/dev/shm';

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const work = await mkdtemp(join(tmpdir(), 'photosortd-bench-torture-'));
const far = await mkdtemp(join(OTHER_FS, 'photosortd-bench-torture-'));
let failed = false;
try {
  const setup = await prepareTorture({ dir: work, far, outsideFiles: 20 });
  const trial = await runTortureTrial({ ...setup, files });
  const { answers } = trial;
  const checks = [
    ['inputs lost (content nowhere)', trial.lost.length, 0],
    ['inputs present more than once', trial.twice.length, 0],
    ['partial copies left anywhere', trial.partial.length, 0],
    ['journal rows left `planned`', trial.planned, 0],
    ['`scan --dry-run` runs that changed a file', answers.dryRunChangedSomething, 0],
    [
      'commands answering otherwise than expected',
      [answers.dryRun, answers.scan, answers.undo, answers.secondRun, answers.journal].reduce(
        (n, a) => n + a.other.length,
        0,
      ),
      0,
    ],
    ['folder scanned beside the daemon unchanged', trial.outsideUntouched ? 'yes' : 'no', 'yes'],
    ['exit status of the daemon (SIGTERM)', trial.lastExit, 0],
    ['`undo --all` exit status', trial.undo.code, 0],
    [
      'both inboxes after `undo --all` identical to what was dropped',
      trial.inboxesRestored ? 'yes' : 'no',
      'yes',
    ],
    ['files left in the library after `undo --all`', trial.libraryAfterUndo.length, 0],
  ];
  failed = checks.some(([, got, want]) => got !== want);
  const lines = [
    '## Concurrency torture',
    '',
    `${files} generated JPEGs written into two inboxes of a running daemon (every third on tmpfs, filed across filesystems; written under a dot name and renamed, five at a time every 250 ms), while these ran over and over against the same state folder until every photo was filed: \`scan --dry-run\` of another folder (${answers.dryRun.ok} runs), \`scan\` of it (${answers.scan.refused} refused: the daemon owns the state folder), \`undo --last 5\` through the daemon (${answers.undo.ok} runs), a second \`run\` (${answers.secondRun.refused} refused) and \`journal\` (${answers.journal.ok} reads). Total ${trial.seconds.toFixed(0)} s.`,
    '',
    '| check | result | expected |',
    '|---|---:|---:|',
    ...checks.map(([what, got, want]) => `| ${what} | ${got} | ${want} |`),
    '',
  ];
  const others = Object.entries(answers).flatMap(([command, a]) =>
    Array.isArray(a?.other) ? a.other.map((line) => `- \`${command}\`: ${line}`) : [],
  );
  if (others.length > 0) lines.push('Answers other than expected:', '', ...others, '');
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
  await rm(far, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

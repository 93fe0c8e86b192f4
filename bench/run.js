// `npm run bench`: runs every benchmark, each in its own Node process, prints a summary table
// and the sections, and rewrites BENCHMARKS.md: a header describing the machine and the
// command, then one section per benchmark. A section not run this time (`--only`) keeps its
// earlier text. `--quick` runs small sizes to check that the suite works; its figures are not
// meant for BENCHMARKS.md, so it writes nothing unless `--write` is given as well.
// Usage: node bench/run.js [--quick] [--write] [--only scan,latency,...]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'BENCHMARKS.md');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
const write = !quick || args.includes('--write');

/** name, script, full-size arguments, quick arguments; in the order BENCHMARKS.md lists them. */
const BENCHMARKS = [
  ['scan', 'scan.js', ['5'], ['1', '--scale', '0.05']],
  ['scan-profile', 'scan-profile.js', ['150'], ['10']],
  ['latency', 'latency.js', ['30'], ['5']],
  ['burst', 'burst.js', ['10000'], ['200']],
  ['idle', 'idle.js', ['60', '1000'], ['5', '50']],
  ['tagging', 'tagging.js', ['16'], ['4']],
  ['cluster', 'cluster.js', ['64', '100'], ['8', '10']],
  ['search', 'search.js', ['100000,1000000', '30'], ['20000', '10']],
  ['geocode', 'geocode.js', [], []],
  ['journal', 'journal.js', ['200000', '500'], ['20000', '50']],
  ['crash', 'crash.js', ['500', '20'], ['60', '3']],
  ['torture', 'torture.js', ['300'], ['30']],
  ['library-fs', 'library-fs.js', ['40', '8'], ['5', '2']],
  ['startup', 'startup.js', ['20'], ['3']],
];

function runOne(script, scriptArgs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join('bench', script), ...scriptArgs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    child.on('exit', (code, signal) =>
      resolve({ code: code ?? signal, stdout, seconds: (performance.now() - started) / 1000 }),
    );
  });
}

/** `## Heading` → its section's text (heading line included), in file order. */
function sections(markdown) {
  const result = new Map();
  for (const part of markdown.split(/^(?=## )/m).slice(1)) {
    result.set(part.split('\n', 1)[0], part.trimEnd() + '\n');
  }
  return result;
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown CPU',
  nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
  memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at start)`,
  node: process.version,
};
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});

const runs = [];
for (const [name, script, full, small] of BENCHMARKS) {
  if (only && !only.has(name)) continue;
  const scriptArgs = quick ? small : full;
  const load = loadavg()[0].toFixed(1);
  process.stderr.write(`bench: ${name} (node bench/${script} ${scriptArgs.join(' ')})\n`);
  const result = await runOne(script, scriptArgs);
  runs.push({
    name,
    command: `node bench/${script} ${scriptArgs.join(' ')}`.trim(),
    load,
    ...result,
  });
}

const summary = [
  '| benchmark | command | exit | wall time (s) | load average at start |',
  '|---|---|---:|---:|---:|',
  ...runs.map(
    (r) => `| ${r.name} | \`${r.command}\` | ${r.code} | ${r.seconds.toFixed(0)} | ${r.load} |`,
  ),
];
process.stdout.write(`\n${summary.join('\n')}\n\n`);
for (const run of runs) process.stdout.write(`${run.stdout.trim()}\n\n`);

if (write) {
  const today = new Date().toISOString();
  const kept = existsSync(OUT) ? sections(readFileSync(OUT, 'utf8')) : new Map();
  const fresh = new Map();
  for (const run of runs) {
    if (run.code !== 0 || !run.stdout.startsWith('## ')) continue;
    const [heading, ...rest] = run.stdout.trim().split('\n');
    fresh.set(
      heading,
      [
        heading,
        '',
        `_Run ${today} with \`${run.command}\`; load average ${run.load} at start._`,
        ...rest,
      ].join('\n') + '\n',
    );
  }
  const header = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`node bench/run.js`), which builds `dist/`, runs each benchmark',
    'in its own Node process and replaces its section below; `npm run bench -- --only NAME,...`',
    `refreshes some (${BENCHMARKS.map(([name]) => name).join(', ')}). Each figure stands next to`,
    'its baseline measured in the same run.',
    '',
    `Last run: ${today}, \`${['node bench/run.js', ...args].join(' ')}\`, on ${machine.nproc} cores`,
    `(\`nproc\`), ${machine.cpu}, ${machine.memory}, Node ${machine.node}. The machine is shared, so`,
    'the load average each section started at is given with it.',
    '',
  ];
  const body = [...new Set([...kept.keys(), ...fresh.keys()])].map(
    (heading) => fresh.get(heading) ?? kept.get(heading),
  );
  writeFileSync(OUT, [header.join('\n'), ...body].join('\n'));
}
if (runs.some((r) => r.code !== 0)) process.exitCode = 1;

// The concurrency torture trial shared by test/torture.test.ts (short) and bench/torture.js
// (long): a daemon files a stream of photos from two inboxes, one on another filesystem, while
// every other command a user (or a cron job) might run at the same moment runs against the
// same state folder. Then nothing may be lost, doubled or partial, no journal row may be left
// `planned`, and `undo --all` must give back both inboxes byte for byte.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BIN, sleep, startDaemon } from './daemon.js';
import { generate, photo, photoName } from './photos.js';

/** A temporary name of a copy in progress (safe-move's cross-device copy or reservation). */
const PARTIAL = /^\..+\.photosortd-.*\.tmp$/;

/** Which inbox the i-th photo is dropped into: every third goes to the other filesystem. */
const inboxOf = (i) => (i % 3 === 2 ? 1 : 0);

/** `photosortd ARGS...` as a user runs it; resolves with its exit code and output. */
function cli(args, timeout = 300_000) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** Every file below `root` as relative path → SHA-256, dotfiles included. */
async function hashesBelow(root) {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const result = new Map();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    result.set(
      relative(root, path),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return result;
}

/** The journal as `photosortd journal --json` prints it (a read-only copy: safe beside a daemon). */
async function journalRows(configFile) {
  const result = await cli(['journal', '--json', '--limit', '100000', '--config', configFile]);
  if (result.code !== 0) throw new Error(`photosortd journal failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/**
 * Lays out a trial in `dir`: an inbox there and `far` (a folder on another filesystem) as
 * the second, `outsideFiles` photos in a folder no daemon watches, and a configuration with
 * the API on a free port. Returns what {@link runTortureTrial} takes, but for `files`.
 */
export async function prepareTorture({ dir, far, outsideFiles, concurrency }) {
  const inboxes = [join(dir, 'inbox'), far];
  await mkdir(inboxes[0], { recursive: true });
  const outside = join(dir, 'outside');
  await generate(outside, outsideFiles, 100_000);
  const configFile = join(dir, 'photosortd.config.yaml');
  await writeFile(
    configFile,
    [
      'library: ./library',
      `inboxes: [./inbox, ${far}]`,
      'state: ./state',
      'createLibrary: true',
      'settle: 200',
      ...(concurrency ? [`concurrency: ${concurrency}`] : []),
      'geocode: { enabled: false }',
      'tagging: { enabled: false }',
      "api: { listen: '127.0.0.1:0' }",
      'rules: [{ name: default, to: "{year}/{date}/{name}{ext}" }]',
      '',
    ].join('\n'),
  );
  return { inboxes, outside, library: join(dir, 'library'), configFile };
}

/**
 * Runs the trial. `inboxes` are the daemon's watched folders (the second on another
 * filesystem than `library`), `outside` a folder of photos no daemon watches, `configFile`
 * the daemon's configuration (API on). `files` photos are written into the inboxes (every
 * third into the second) in small bursts while, over and over until the last is filed:
 * `scan --dry-run OUTSIDE`, `scan OUTSIDE` (refused while the daemon owns the state folder),
 * `undo --last 5` (through the daemon), a second `run` (refused), and `journal`.
 * Returns what a user would check, and a count of what each command answered.
 */
export async function runTortureTrial({
  inboxes,
  outside,
  library,
  configFile,
  files,
  timeoutMs = 600_000,
}) {
  const started = performance.now();
  const outsideBefore = await hashesBelow(outside);
  const daemon = startDaemon(configFile);
  const answers = {
    dryRun: { ok: 0, other: [] },
    scan: { refused: 0, other: [] },
    undo: { ok: 0, other: [] },
    secondRun: { refused: 0, other: [] },
    journal: { ok: 0, other: [] },
    dryRunChangedSomething: 0,
  };
  const note = (list, result) => {
    if (list.length < 5) list.push(`exit ${result.code}: ${result.stderr.trim().slice(0, 300)}`);
  };
  let writing = true;
  try {
    await daemon.watching;

    const writer = (async () => {
      for (let i = 0; i < files; i++) {
        const inbox = inboxes[inboxOf(i)];
        // Written under a dot name and renamed, as a copying tool finishing a file does.
        const temp = join(inbox, `.${photoName(i)}.part`);
        await writeFile(temp, await photo(i));
        await rename(temp, join(inbox, photoName(i)));
        // A copy that goes on for a while, so the other commands meet it mid-stream.
        if (i % 5 === 4) await sleep(250);
      }
      writing = false;
    })();

    // Done once every photo has a move row (filed, or filed and put back by an undo).
    let finished = false;
    const progress = (async () => {
      while (!finished) {
        const moved = new Set(
          (await journalRows(configFile))
            .filter((row) => row.op === 'move')
            .map((row) => row.source.split('/').pop()),
        );
        finished = !writing && [...Array(files).keys()].every((i) => moved.has(photoName(i)));
        if (performance.now() - started > timeoutMs) throw new Error('torture trial timed out');
        await sleep(300);
      }
    })();
    const meddle = async (run) => {
      while (!finished) await run();
    };

    await Promise.all([
      writer,
      progress,
      meddle(async () => {
        const before = await hashesBelow(outside);
        const result = await cli(['scan', outside, '--dry-run', '--json', '--config', configFile]);
        if (result.code === 0) answers.dryRun.ok += 1;
        else note(answers.dryRun.other, result);
        const after = await hashesBelow(outside);
        if (JSON.stringify([...before]) !== JSON.stringify([...after])) {
          answers.dryRunChangedSomething += 1;
        }
      }),
      meddle(async () => {
        const result = await cli(['scan', outside, '--json', '--config', configFile]);
        if (result.code === 2 && result.stderr.includes('is using the state folder')) {
          answers.scan.refused += 1;
        } else note(answers.scan.other, result);
        await sleep(200);
      }),
      meddle(async () => {
        const result = await cli(['undo', '--last', '5', '--config', configFile]);
        if (result.code === 0) answers.undo.ok += 1;
        else note(answers.undo.other, result);
        await sleep(500);
      }),
      meddle(async () => {
        const result = await cli(['run', '--config', configFile], 60_000);
        if (result.code === 2 && result.stderr.includes('is using the state folder')) {
          answers.secondRun.refused += 1;
        } else note(answers.secondRun.other, result);
        await sleep(300);
      }),
      meddle(async () => {
        try {
          await journalRows(configFile);
          answers.journal.ok += 1;
        } catch (error) {
          note(answers.journal.other, { code: 1, stderr: String(error) });
        }
        await sleep(100);
      }),
    ]);
    daemon.child.kill('SIGTERM');
  } catch (error) {
    daemon.killGroup();
    throw error;
  }
  const lastExit = await daemon.exited;
  const seconds = (performance.now() - started) / 1000;

  const inputs = new Map();
  const expected = [new Map(), new Map()];
  for (let i = 0; i < files; i++) {
    const hash = createHash('sha256')
      .update(await photo(i))
      .digest('hex');
    inputs.set(photoName(i), hash);
    expected[inboxOf(i)].set(photoName(i), hash);
  }
  for (const [path, hash] of outsideBefore) inputs.set(`outside/${path}`, hash);
  const places = [
    ['library', await hashesBelow(library)],
    ['inbox', await hashesBelow(inboxes[0])],
    ['inbox2', await hashesBelow(inboxes[1])],
    ['outside', await hashesBelow(outside)],
  ];
  const copies = new Map();
  for (const [, found] of places) {
    for (const hash of found.values()) copies.set(hash, (copies.get(hash) ?? 0) + 1);
  }
  const lost = [...inputs].filter(([, hash]) => !copies.has(hash)).map(([name]) => name);
  const twice = [...inputs].filter(([, hash]) => copies.get(hash) > 1).map(([name]) => name);
  const partial = places.flatMap(([where, found]) =>
    [...found.keys()]
      .filter((path) => PARTIAL.test(path.split('/').pop()) || path.endsWith('.part'))
      .map((path) => `${where}/${path}`),
  );
  const planned = (await journalRows(configFile)).filter((row) => row.status === 'planned');

  const undo = await cli(['undo', '--all', '--config', configFile]);
  const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const back = await Promise.all(inboxes.map((inbox) => hashesBelow(inbox)));
  return {
    seconds,
    answers,
    lastExit,
    lost,
    twice,
    partial,
    planned: planned.length,
    undo: { code: undo.code, stderr: undo.stderr.trim() },
    inboxesRestored: same(back[0], expected[0]) && same(back[1], expected[1]),
    libraryAfterUndo: [...(await hashesBelow(library)).keys()],
    outsideUntouched: same(await hashesBelow(outside), outsideBefore),
  };
}

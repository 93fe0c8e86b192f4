// The crash trial shared by test/crash.test.ts (short) and bench/crash.js (long): a daemon
// filing a burst is SIGKILLed at random moments and restarted, then the library, the inbox
// and `undo --all` are checked against the inbox as it was before the first start.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { BIN, isLive, sleep, startDaemon, tree } from './daemon.js';

/** A cross-device copy in progress: `.NAME.photosortd-<random hex>.tmp` (see src/lib/safe-move.ts). */
const PARTIAL = /^\..+\.photosortd-.*\.tmp$/;

/** How long a killed daemon's exiftool processes get to end before they count as orphans. */
const ORPHAN_GRACE_MS = 5_000;

/**
 * SIGKILLs the daemon alone and returns how many of its child processes (exiftool's perl
 * processes) outlive it by more than {@link ORPHAN_GRACE_MS}; those are then killed, so that
 * one failure does not pile up over the rounds.
 */
async function crashCountingOrphans(daemon) {
  const children = tree(daemon.child.pid).slice(1);
  daemon.crash();
  await daemon.exited;
  const deadline = Date.now() + ORPHAN_GRACE_MS;
  while (children.some(isLive) && Date.now() < deadline) await sleep(50);
  const orphans = children.filter(isLive).length;
  daemon.killGroup();
  return orphans;
}

/** Every file below `root` as sorted relative paths, dotfiles included. */
async function filesBelow(root) {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** Map of relative path → SHA-256 for every file below `root`. */
async function hashesBelow(root) {
  const result = new Map();
  for (const path of await filesBelow(root)) {
    result.set(
      path,
      createHash('sha256')
        .update(await readFile(join(root, path)))
        .digest('hex'),
    );
  }
  return result;
}

/** A repeatable generator of numbers in [0, 1) (mulberry32), so a failing run can be replayed. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function poll(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function undoAll(configFile, env) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'undo', '--all', '--config', configFile],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
}

/**
 * Moves every file of `staging` to the same relative path in `inbox` (a rename: each arrives
 * whole), as the second half of a card copy arriving seconds after the first.
 */
async function dropLate(staging, inbox) {
  for (const path of await filesBelow(staging)) {
    await mkdir(dirname(join(inbox, path)), { recursive: true });
    await rename(join(staging, path), join(inbox, path));
  }
}

/**
 * Inputs of one shot (same inbox folder, same name but for the extension: a RAW and its JPEG)
 * that did not end in one library folder under one name: `IMG_1.CR3` and `IMG_1 (1).JPG`,
 * or two folders. Each is named by its inbox path.
 */
function splitShots(original, filed) {
  const where = new Map([...filed].map(([path, hash]) => [hash, path]));
  const shots = new Map();
  for (const [path, hash] of original) {
    const key = join(dirname(path), basename(path, extname(path)).toLowerCase());
    shots.set(key, [...(shots.get(key) ?? []), where.get(hash)]);
  }
  const split = [];
  for (const [key, places] of shots) {
    if (places.length < 2) continue;
    const named = places.map(
      (place) => place && join(dirname(place), basename(place, extname(place))),
    );
    if (named.some((name) => !name || name !== named[0])) split.push(key);
  }
  return split;
}

/**
 * Runs the trial on a prepared folder: `inbox` full of distinct files, `configFile` a daemon
 * configuration watching it and filing into `library`, with the API off. Each of `kills`
 * rounds starts the daemon, waits until a random share of the files still in the inbox has
 * been filed (plus up to 30 ms more), and SIGKILLs it; a last start runs until the inbox is
 * empty and stops with SIGTERM; then `undo --all`. With `late`, the files of `late.staging`
 * are renamed into the inbox `late.afterMs` after the first start, kills or not: the halves
 * of RAW+JPEG pairs arriving seconds apart, which must end as one shot (`splitShots`).
 * Returns what a user would check: which inputs were lost or filed twice, partial files,
 * whether the inbox came back exactly, and how many exiftool processes outlived the killed
 * daemons (`orphans`).
 */
export async function runCrashTrial({
  inbox,
  library,
  configFile,
  kills,
  env = {},
  random = Math.random,
  timeoutMs = 600_000,
  late,
}) {
  const original = await hashesBelow(inbox);
  if (late) for (const [path, hash] of await hashesBelow(late.staging)) original.set(path, hash);
  const arrived = late
    ? sleep(late.afterMs).then(() => dropLate(late.staging, inbox))
    : Promise.resolve();
  const total = original.size;
  const filedAtKill = [];
  let orphans = 0;
  const started = performance.now();
  let current = null;
  let lastExit;
  try {
    for (let round = 0; round < kills; round++) {
      const daemon = (current = startDaemon(configFile, env));
      // Some rounds die during start-up (recovery, indexing), the rest mid-burst.
      if (random() < 0.15) await sleep(random() * 300);
      else {
        await daemon.watching;
        const already = (await filesBelow(library)).length;
        const left = total - already;
        const goal = already + Math.ceil((random() * 2 * left) / (kills - round + 1));
        await poll(
          async () =>
            (await filesBelow(library)).length >= goal || (await filesBelow(inbox)).length === 0,
          timeoutMs,
          `${goal} files in the library`,
        );
        await sleep(random() * 30);
      }
      orphans += await crashCountingOrphans(daemon);
      filedAtKill.push((await filesBelow(library)).length);
    }
    await arrived;
    const last = (current = startDaemon(configFile, env));
    await last.watching;
    await poll(async () => (await filesBelow(inbox)).length === 0, timeoutMs, 'an empty inbox');
    last.child.kill('SIGTERM');
    lastExit = await last.exited;
  } catch (error) {
    // A trial that fails or times out leaves no daemon behind (it runs in its own group).
    if (current && current.child.exitCode === null && current.child.signalCode === null) {
      current.killGroup();
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;

  const filed = await hashesBelow(library);
  const left = await hashesBelow(inbox);
  const copies = new Map();
  for (const hash of [...filed.values(), ...left.values()]) {
    copies.set(hash, (copies.get(hash) ?? 0) + 1);
  }
  const lost = [...original].filter(([, hash]) => !copies.has(hash)).map(([path]) => path);
  const twice = [...original].filter(([, hash]) => copies.get(hash) > 1).map(([path]) => path);
  const partial = [...filed.keys(), ...left.keys()].filter((path) =>
    PARTIAL.test(path.split('/').pop()),
  );
  const undo = await undoAll(configFile, env);
  const restored = await hashesBelow(inbox);
  const sameInbox =
    restored.size === original.size &&
    [...original].every(([path, hash]) => restored.get(path) === hash);
  return {
    total,
    filedAtKill,
    orphans,
    filed,
    lastExit,
    lost,
    twice,
    partial,
    undo,
    restored,
    sameInbox,
    libraryAfterUndo: await filesBelow(library),
    splitShots: splitShots(original, filed),
    seconds,
  };
}

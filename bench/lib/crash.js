// The crash trial shared by test/crash.test.ts (short) and bench/crash.js (long): a daemon
// filing a burst is SIGKILLed at random moments and restarted, then the library, the inbox
// and `undo --all` are checked against the inbox as it was before the first start.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BIN, sleep, startDaemon } from './daemon.js';

/** A cross-device copy in progress: `.NAME.photosortd-<random hex>.tmp` (see src/lib/safe-move.ts). */
const PARTIAL = /^\..+\.photosortd-.*\.tmp$/;

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
 * Runs the trial on a prepared folder: `inbox` full of distinct files, `configFile` a daemon
 * configuration watching it and filing into `library`, with the API off. Each of `kills`
 * rounds starts the daemon, waits until a random share of the files still in the inbox has
 * been filed (plus up to 30 ms more), and SIGKILLs it; a last start runs until the inbox is
 * empty and stops with SIGTERM; then `undo --all`. Returns what a user would check: which
 * inputs were lost or filed twice, partial files, and whether the inbox came back exactly.
 */
export async function runCrashTrial({
  inbox,
  library,
  configFile,
  kills,
  env = {},
  random = Math.random,
  timeoutMs = 600_000,
}) {
  const original = await hashesBelow(inbox);
  const total = original.size;
  const filedAtKill = [];
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
      daemon.crash();
      await daemon.exited;
      filedAtKill.push((await filesBelow(library)).length);
    }
    const last = (current = startDaemon(configFile, env));
    await last.watching;
    await poll(async () => (await filesBelow(inbox)).length === 0, timeoutMs, 'an empty inbox');
    last.child.kill('SIGTERM');
    lastExit = await last.exited;
  } catch (error) {
    // A trial that fails or times out leaves no daemon behind (it runs in its own group).
    if (current && current.child.exitCode === null && current.child.signalCode === null) {
      current.crash();
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
    filed,
    lastExit,
    lost,
    twice,
    partial,
    undo,
    restored,
    sameInbox,
    libraryAfterUndo: await filesBelow(library),
    seconds,
  };
}

// Running the real daemon from the benchmarks and the crash trial, and measuring it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI as a user runs it from a clone (needs `dist/`). */
export const BIN = fileURLToPath(new URL('../../bin/photosortd', import.meta.url));

/**
 * This process's environment with `extra`, and the folder of the Node running it first on
 * PATH: `bin/photosortd` run as a user runs it (its shell lines add Node's flags) then runs
 * on this Node.
 */
export function withThisNode(extra = {}) {
  return {
    ...process.env,
    ...extra,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  };
}

/**
 * Starts `photosortd run --config FILE`. `watching` resolves once it logs that it watches its
 * inboxes (and rejects if it exits first); `exited` resolves with its exit code or signal;
 * `log()` is everything it has logged so far; `crash()` SIGKILLs the daemon alone, as the
 * OOM killer or `kill -9` would (its exiftool processes must then end by themselves);
 * `killGroup()` SIGKILLs whatever is left of its process group.
 */
export function startDaemon(configFile, env = {}) {
  const child = spawn(BIN, ['run', '--config', configFile], {
    env: withThisNode({ PHOTOSORTD_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, so that killGroup() can clean up whatever a crash leaves.
    detached: true,
  });
  let log = '';
  const listeners = new Set();
  child.stderr.on('data', (chunk) => {
    log += chunk.toString();
    for (const listener of listeners) listener();
  });
  const watching = new Promise((resolve, reject) => {
    const check = () => {
      if (log.includes('"msg":"watching"')) resolve();
    };
    listeners.add(check);
    child.once('exit', (code, signal) =>
      reject(new Error(`the daemon exited (${code ?? signal}) before watching:\n${log}`)),
    );
  });
  // A rejection after a deliberate kill is expected; callers await `watching` when it matters.
  watching.catch(() => {});
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const crash = () => process.kill(child.pid, 'SIGKILL');
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Nothing is left of the group.
    }
  };
  return { child, watching, exited, log: () => log, crash, killGroup };
}

/** The process and every process below it (exiftool's perl processes, for one). */
export function tree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while /proc was being read.
    }
  }
  const all = [];
  const visit = (p) => {
    all.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return all;
}

/** Whether `pid` is a process that has not exited (a zombie has: it only awaits its reaper). */
export function isLive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function statusKb(pid, field) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`${field}:\\s+(\\d+)`),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory of a process in MB: `rss` now and `peak` (the kernel's high-water mark) for the
 * process itself, and `treeRss` now for it and its descendants together.
 */
export function memoryOf(pid) {
  return {
    rss: statusKb(pid, 'VmRSS') / 1024,
    peak: statusKb(pid, 'VmHWM') / 1024,
    treeRss: tree(pid).reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0) / 1024,
  };
}

/** CPU seconds (user + system) used so far by a process and its descendants. */
export function cpuSecondsOf(pid) {
  const tick = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks / tick;
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/build-dist.ts once it built dist/ for the whole run. */
    distBuilt?: boolean;
  }
}

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The CLI as a user runs it from a clone. */
export const BIN = `${ROOT}bin/photosortd`;

let built = false;

/**
 * Builds dist/ once per test process, unless the run's global setup built it before any test
 * started (the slow suites'): CLI and daemon tests run `bin/photosortd` as a user would, and
 * it must not run code older than the sources under test. Built once for the run, dist/ is
 * also never rewritten by one suite while another's daemon loads it.
 */
export function ensureBuilt(): void {
  if (built || inject('distBuilt') === true) return;
  buildDist();
  built = true;
}

/**
 * Compiles src/ into dist/. Type errors are the typecheck step's business; tsc still emits,
 * and a missing entry point fails where the CLI is run.
 */
export function buildDist(): void {
  try {
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  } catch {
    // Reported by `npm run typecheck`; the emitted files are still usable for the run.
  }
}

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `photosortd ARGS...` to completion. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts `photosortd ARGS...` in the background (for `run`). */
export function startCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  ensureBuilt();
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, PHOTOSORTD_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code (or signal) once the process has ended. */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve(child.exitCode ?? child.signalCode);
    else child.once('exit', (code, signal) => resolve(code ?? signal));
  });
}

/**
 * Collects a daemon's log (stderr) from now on; `waitFor(text)` resolves once a line with
 * `text` has been logged after the previous match, and rejects if the process exits first.
 */
export function logOf(child: ChildProcess): {
  text: () => string;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
} {
  let seen = '';
  let from = 0;
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  return {
    text: () => seen,
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          const at = seen.indexOf(text, from);
          if (at >= 0) {
            from = at + text.length;
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            reject(new Error(`daemon exited before logging ${text}:\n${seen}`));
          } else if (Date.now() > deadline) {
            reject(new Error(`timed out waiting for the daemon to log ${text}:\n${seen}`));
          } else setTimeout(poll, 20);
        };
        poll();
      }),
  };
}

/** Resolves when the daemon has logged that it is watching its inboxes. */
export function watching(child: ChildProcess): Promise<void> {
  return logOf(child).waitFor('"msg":"watching"');
}

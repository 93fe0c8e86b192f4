import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { listFiles, waitFor } from './support/fs.js';

/**
 * The README's quick start on a fresh copy of the repository, as a new user runs it: the
 * tracked files copied (`git ls-files`), `npm start` in the background, real photos and an
 * AVCHD `.mts` clip dropped into `inbox/`, then the README's own commands — the CLI lines of
 * "Run" and the curl lines of "Control API", taken from README.md as written — and finally
 * the lint and format checks of `npm test`, which must not trip over the user's files.
 *
 * Two things differ from a user's machine, both said here: `npm ci` is replaced by a link to
 * this checkout's node_modules and `npm run build` (no network, and minutes saved), and the
 * API port 7717 is replaced by a free one, in the example config and in the README's curl
 * lines alike, because other daemons run on this machine.
 */

const SAMPLES = [
  'dn_Nokia Lumia 800.jpg',
  'dn_Samsung GT-I9000 (Galaxy S).jpg',
  'et_Pentax.jpg',
  'et_Google.jpg',
  'et_M2TS.mts',
];
const SCAN_SAMPLE = 'et_MWG.jpg';

let copy: string;
let home: string;
let port: number;
let daemon: ChildProcess | null = null;
let daemonLog = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs a shell line in the copy, as a user types it. */
function sh(
  line: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', line],
      { cwd: copy, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The lines of README.md's fenced blocks that start with `prefix`. */
function readmeLines(readme: string, prefix: string): string[] {
  const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.replace(/\s+#.*$/, '').trim());
}

async function inboxFiles(): Promise<string[]> {
  return (await listFiles(join(copy, 'inbox'))).filter((name) => name !== '.gitkeep');
}

beforeAll(async () => {
  if (!HAS_CORPUS) return;
  copy = await mkdtemp(join(tmpdir(), 'photosortd-quick-start-'));
  home = await mkdtemp(join(tmpdir(), 'photosortd-quick-start-home-'));
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(ROOT, path)));
  for (const path of tracked) {
    await mkdir(dirname(join(copy, path)), { recursive: true });
    await copyFile(join(ROOT, path), join(copy, path));
  }
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  port = await freePort();
  const example = join(copy, 'photosortd.config.example.yaml');
  const text = await readFile(example, 'utf8');
  expect(text).toContain("listen: '127.0.0.1:7717'");
  await writeFile(example, text.replace('127.0.0.1:7717', `127.0.0.1:${port}`));
  const build = await sh('npm run build');
  expect(build.code, build.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  // Only when the test failed before stopping the daemon it started.
  if (daemon?.pid && daemon.exitCode === null && daemon.signalCode === null) {
    process.kill(-daemon.pid, 'SIGKILL');
  }
  if (copy) await rm(copy, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
});

describe.skipIf(!HAS_CORPUS)('the README quick start on a fresh copy', () => {
  it('npm start, photos into inbox/, the README commands as written, then lint and format pass', async () => {
    const readme = await readFile(join(copy, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');

    // `npm start` in the background, in its own process group so the test can stop it.
    daemon = spawn('npm', ['start'], {
      cwd: copy,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
    daemon.stderr?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
    await waitFor(async () => daemonLog.includes('"msg":"watching"'), {
      what: `npm start to watch the inbox:\n${daemonLog}`,
      timeoutMs: 120_000,
    });

    for (const name of SAMPLES) await copyFile(join(CORPUS_DEV, name), join(copy, 'inbox', name));
    await waitFor(async () => (await inboxFiles()).length === 0, {
      what: 'the samples to leave the inbox',
      timeoutMs: 120_000,
    });
    const filed = await listFiles(join(copy, 'library'));
    expect(filed).toHaveLength(SAMPLES.length);
    expect(filed).toContain('2008/2008-12-31/et_M2TS.mts');

    // The CLI lines of "Run", as written; `status | pause | resume` is three commands.
    const cli = readmeLines(readme, './bin/photosortd ');
    const remote = cli.find((line) => line.includes('status | pause | resume'))!;
    const [status, pause, resume] = remote
      .replace(/^\.\/bin\/photosortd /, '')
      .split(' | ')
      .map((command) => `./bin/photosortd ${command}`);
    const statusOut = await sh(status!);
    expect(statusOut.code, statusOut.stderr).toBe(0);
    expect(statusOut.stdout).toContain('running');
    const paused = await sh(pause!);
    expect(paused.code, paused.stderr).toBe(0);
    expect((await sh(status!)).stdout).toContain('paused');
    expect((await sh(resume!)).code).toBe(0);
    expect((await sh(status!)).stdout).toContain('running');

    const journalLine = cli.find((line) => line.startsWith('./bin/photosortd journal'))!;
    const journal = await sh(journalLine);
    expect(journal.code, journal.stderr).toBe(0);
    expect(journal.stdout).toContain('et_M2TS.mts');

    // The curl lines of "Control API" (not the one that follows /events forever).
    const curl = [
      ...readmeLines(readme, 'KEY='),
      ...readmeLines(readme, 'curl ').filter((line) => !line.includes('/events')),
    ].map((line) => line.replaceAll('127.0.0.1:7717', `127.0.0.1:${port}`));
    expect(curl.some((line) => line.includes('/undo'))).toBe(true);
    const answers = await sh(curl.join('\necho\n'));
    expect(answers.code, answers.stderr).toBe(0);
    const [statusJson, undoJson] = answers.stdout.trim().split('\n');
    expect(JSON.parse(statusJson!)).toMatchObject({ state: 'running' });
    const undone = JSON.parse(undoJson!) as { undone: unknown[]; refused: unknown[] };
    expect(undone.refused).toEqual([]);
    expect(undone.undone.length).toBeGreaterThan(0);
    expect((await inboxFiles()).length).toBe(undone.undone.length);

    // `scan ~/Downloads/phone --dry-run`, as written, with a home that has that folder.
    const scanLine = cli.find((line) => / scan ~\/Downloads\/phone --dry-run/.test(line))!;
    await mkdir(join(home, 'Downloads', 'phone'), { recursive: true });
    await copyFile(join(CORPUS_DEV, SCAN_SAMPLE), join(home, 'Downloads', 'phone', SCAN_SAMPLE));
    await chmod(join(home, 'Downloads', 'phone', SCAN_SAMPLE), 0o644);
    const scan = await sh(scanLine, { HOME: home });
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.stdout).toContain('FILE\tTARGET');
    expect(scan.stdout).toContain(SCAN_SAMPLE);
    expect(scan.stderr).toContain('would move');
    expect(existsSync(join(home, 'Downloads', 'phone', SCAN_SAMPLE))).toBe(true);

    process.kill(-daemon.pid!, 'SIGTERM');
    await new Promise((resolve) => daemon!.once('exit', resolve));

    // `npm test`'s lint and format steps, with the user's photos, clip and state in place.
    expect(await inboxFiles()).toContain('et_M2TS.mts');
    expect(existsSync(join(copy, '.photosortd', 'journal.sqlite'))).toBe(true);
    const lint = await sh('npm run lint', {}, 600_000);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const format = await sh('npm run format:check', {}, 300_000);
    expect(format.code, format.stdout + format.stderr).toBe(0);
  }, 900_000);
});

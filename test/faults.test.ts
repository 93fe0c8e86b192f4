import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { buildStages, openWriter } from '../src/app/assemble.js';
import type { FileJob } from '../src/pipeline/job.js';
import { createExifStage } from '../src/pipeline/exif.js';
import { identify } from '../src/pipeline/identify.js';
import { createExifTool } from '../src/lib/exiftool.js';
import { silentLogger } from '../src/lib/logger.js';
import { BIN, ensureBuilt, runCli, startCli } from './support/cli.js';
import { listFiles, sha256, snapshot, tempDir, waitFor } from './support/fs.js';
import { makeJpeg, writeJpeg } from './support/media.js';
import { libraryKindFromEnv, useMount, whyNoMount } from './support/mounts.js';
import { journalOf, project, scanProject, type Project } from './support/project.js';

// The CLI runs from dist/, built once per test process: under load that alone can take most
// of a test's minute, so it is done before the tests start.
beforeAll(() => ensureBuilt(), 300_000);

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

/** Runs a command as root's helper (mount, umount); `false` when the machine refuses. */
function tryRun(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder with a fresh tmpfs of `size` mounted on it, unmounted after the test. Mounting
 * needs root (the CI container and this machine run the suite as root).
 */
async function tmpfs(path: string, size: string): Promise<void> {
  await mkdir(path, { recursive: true });
  if (!tryRun('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path])) {
    throw new Error(`mounting a tmpfs on ${path} failed: this suite needs root (mount)`);
  }
  cleanup.push(() => tryRun('umount', ['-l', path]));
}

/**
 * The real exiftool with a user config (found through EXIFTOOL_HOME, which exiftool-vendored
 * passes on) that makes it sleep on files named `*exiftool-hangs*` and SIGKILL itself on
 * files named `*exiftool-dies*`: a stuck or crashing exiftool, made for real.
 */
async function faultyExiftoolHome(): Promise<string> {
  const home = await tempDir('photosortd-exiftool-home-');
  await writeFile(
    join(home, '.ExifTool_config'),
    [
      "no warnings 'redefine';",
      'my $extract = \\&Image::ExifTool::ExtractInfo;',
      '*Image::ExifTool::ExtractInfo = sub {',
      '    my $file = defined $_[1] && !ref $_[1] ? $_[1] : $_[0]{FILENAME};',
      '    if (defined $file && !ref $file) {',
      '        sleep 3600 if $file =~ /exiftool-hangs/;',
      "        kill 'KILL', $$ if $file =~ /exiftool-dies/;",
      '    }',
      '    goto &$extract;',
      '};',
      '1;',
      '',
    ].join('\n'),
  );
  return home;
}

/**
 * `PHOTOSORTD_TEST_LIBRARY=exfat` or `rclone` runs the suite with every library on a real
 * mount of that kind (a filesystem without hard links); unset, on the temp folder's own.
 */
const libraryKind = libraryKindFromEnv();
const libraryMount = libraryKind ? useMount(libraryKind) : undefined;
if (libraryKind && whyNoMount(libraryKind)) {
  throw new Error(`PHOTOSORTD_TEST_LIBRARY=${libraryKind}, but ${whyNoMount(libraryKind)}`);
}

/** {@link project} with its library on the mount the suite was asked to use, if any. */
async function libraryProject(config: Record<string, unknown> = {}): Promise<Project> {
  if (!libraryMount) return project(config);
  const library = await mkdtemp(join(libraryMount().dir, 'library-'));
  cleanup.push(() => rm(library, { recursive: true, force: true }));
  return { ...(await project({ library, ...config })), library };
}

const photo = (p: Project, name: string, seed: number, date = '2019:01:10 10:00:00') =>
  writeJpeg(join(p.inbox, name), { date, seed });

// Plain JPEGs are read in-process by default; these files are sent to exiftool, whose faults
// are the subject here.
describe('exiftool failing on one file', () => {
  it('crashing on it: the file goes to Unsorted with the reason and the next file is filed', async () => {
    const p = await libraryProject({ metadata: { reader: 'exiftool' } });
    await photo(p, 'IMG_exiftool-dies.jpg', 1);
    await photo(p, 'IMG_fine.jpg', 2);
    const home = await faultyExiftoolHome();

    const scan = await scanProject(p, { env: { EXIFTOOL_HOME: home } });

    const died = scan.byName.get('IMG_exiftool-dies.jpg');
    expect(died).toMatchObject({
      action: 'unsorted',
      target: join(p.library, 'Unsorted', 'IMG_exiftool-dies.jpg'),
    });
    expect(died?.reason).toMatch(/exiftool could not read it/);
    expect(scan.byName.get('IMG_fine.jpg')).toMatchObject({
      action: 'move',
      target: join(p.library, '2019', '2019-01-10', 'IMG_fine.jpg'),
    });
    expect(await listFiles(p.library)).toEqual([
      '2019/2019-01-10/IMG_fine.jpg',
      'Unsorted/IMG_exiftool-dies.jpg',
    ]);
    const rows = await journalOf(p);
    expect(rows.map((r) => [basename(r.target), r.status])).toEqual(
      expect.arrayContaining([
        ['IMG_exiftool-dies.jpg', 'done'],
        ['IMG_fine.jpg', 'done'],
      ]),
    );
  });

  it('hanging on it: the read times out, is retried once, and the file is reported unreadable (for Unsorted), with the reason', async () => {
    const dir = await tempDir('photosortd-exif-hang-');
    const hangs = join(dir, 'IMG_exiftool-hangs.jpg');
    const fine = join(dir, 'IMG_fine.jpg');
    await writeJpeg(hangs, { date: '2019:01:10 10:00:00', seed: 3 });
    await writeJpeg(fine, { date: '2019:01:10 10:00:00', seed: 4 });
    // exiftool-vendored reads EXIFTOOL_HOME when it starts a process; only this test's do.
    const saved = process.env.EXIFTOOL_HOME;
    process.env.EXIFTOOL_HOME = await faultyExiftoolHome();
    const exiftool = createExifTool({ maxProcs: 1, taskTimeoutMillis: 1000 });
    cleanup.push(() => exiftool.end());
    cleanup.push(() => {
      if (saved === undefined) delete process.env.EXIFTOOL_HOME;
      else process.env.EXIFTOOL_HOME = saved;
    });
    const exif = createExifStage({ exiftool, dates: ['exif'], reader: 'exiftool' });
    const job = (source: string): Promise<FileJob> =>
      identify({ source, root: dir } as FileJob).then(exif);

    const started = performance.now();
    const hung = await job(hangs);
    const seconds = (performance.now() - started) / 1000;
    // Two attempts of 1 s each, not an hour.
    expect(seconds).toBeGreaterThan(1.9);
    expect(seconds).toBeLessThan(15);
    expect(hung.error).toMatchObject({ code: 'UNREADABLE', stage: 'exif' });
    expect(hung.error?.message).toContain(hangs);
    expect(hung.error?.message).toMatch(/timed? ?out/i);
    // A fresh exiftool process reads the next file.
    expect((await job(fine)).meta?.takenAt).toMatchObject({ year: 2019, month: 1, day: 10 });
  }, 30_000);
});

describe('the library refusing or failing writes', () => {
  it('permission denied on the library: every file stays in the inbox and the journal says why', async () => {
    const p = await libraryProject();
    await photo(p, 'IMG_1.jpg', 10);
    await photo(p, 'IMG_2.jpg', 11);
    const before = await snapshot(p.inbox);
    // Root ignores permissions, so the CLI runs as `nobody` with the inbox and state its own
    // and the library root's (mode 0755).
    await chmod(p.library, 0o755);
    await mkdir(p.state);
    for (const path of [p.inbox, p.state, ...[...before.keys()].map((n) => join(p.inbox, n))]) {
      await chown(path, 65534, 65534);
    }
    ensureBuilt();
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN, 'scan', p.inbox, '--config', p.config, '--json'],
        { cwd: p.dir, uid: 65534, gid: 65534, env: { ...process.env, HOME: p.dir } },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );

    expect(result.code).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; error: string });
    expect(lines.map((l) => l.action)).toEqual(['error', 'error']);
    for (const line of lines) expect(line.error).toMatch(/permission/i);
    expect(await snapshot(p.inbox)).toEqual(before);
    expect(await listFiles(p.library)).toEqual([]);
    const rows = await journalOf(p);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed']);
    for (const row of rows) expect(row.error).toMatch(/permission/i);
  });

  it('the target folder replaced by a file: that photo stays in the inbox, the file is untouched, the others are filed', async () => {
    const p = await libraryProject();
    await photo(p, 'IMG_blocked.jpg', 20, '2019:01:10 10:00:00');
    await photo(p, 'IMG_other.jpg', 21, '2019:02:10 10:00:00');
    await mkdir(join(p.library, '2019'), { recursive: true });
    await writeFile(join(p.library, '2019', '2019-01-10'), 'not a folder');
    const blockedBytes = await sha256(join(p.inbox, 'IMG_blocked.jpg'));

    const scan = await scanProject(p);

    expect(scan.code).toBe(1);
    expect(scan.byName.get('IMG_blocked.jpg')?.action).toBe('error');
    expect(scan.byName.get('IMG_blocked.jpg')?.error).toContain('2019-01-10');
    expect(scan.byName.get('IMG_other.jpg')?.action).toBe('move');
    expect(await sha256(join(p.inbox, 'IMG_blocked.jpg'))).toBe(blockedBytes);
    expect(await readFile(join(p.library, '2019', '2019-01-10'), 'utf8')).toBe('not a folder');
    expect((await journalOf(p)).map((r) => [basename(r.source), r.status]).sort()).toEqual([
      ['IMG_blocked.jpg', 'failed'],
      ['IMG_other.jpg', 'done'],
    ]);
  });

  it('a disk filling up during cross-device copies: what fits is filed, the rest stays whole in the inbox', async () => {
    const p = await project({ library: '/dev/null/placeholder' });
    const library = join(p.dir, 'small-library');
    await tmpfs(library, '160k');
    await writeFile(
      p.config,
      (await readFile(p.config, 'utf8')).replace('/dev/null/placeholder', library),
    );
    // Photos of about 40 kB each (random bytes after the image, which readers ignore): the
    // tmpfs holds a few, not all ten.
    for (let i = 0; i < 10; i++) {
      const image = await makeJpeg({ date: '2019:01:10 10:00:00', seed: 30 + i });
      await writeFile(join(p.inbox, `IMG_${i}.jpg`), Buffer.concat([image, randomBytes(40_000)]));
    }
    const before = await snapshot(p.inbox);

    const scan = await scanProject(p);

    const filed = await snapshot(library);
    const left = await snapshot(p.inbox);
    expect(scan.code).toBe(1);
    expect(filed.size).toBeGreaterThan(0);
    expect(left.size).toBeGreaterThan(0);
    // Every photo is whole in exactly one place, and no partial copy is left behind.
    expect([...filed.values(), ...left.values()].sort()).toEqual([...before.values()].sort());
    expect([...filed.keys()].filter((path) => basename(path).startsWith('.'))).toEqual([]);
    for (const [name] of left) expect(scan.byName.get(name)?.error).toMatch(/space/i);
    const rows = await journalOf(p);
    expect(rows.filter((r) => r.status === 'done')).toHaveLength(filed.size);
    expect(rows.filter((r) => r.status === 'failed')).toHaveLength(left.size);
  });
});

describe('the file changing under the pipeline', () => {
  /** Runs a file through the real stages, calling `between` after `plan` and before `move`. */
  async function fileWith(p: Project, name: string, between: (source: string) => Promise<void>) {
    const config = await loadConfig(p.config);
    const services = await openWriter(config, 'scan', silentLogger());
    cleanup.push(() => services.close());
    const stages = buildStages(config, services, { batch: () => 'b1', dryRun: false });
    let job = { source: join(p.inbox, name), root: p.inbox } as FileJob;
    for (const stage of stages) {
      if (stage.name === 'move') await between(job.source);
      job = await stage.run(job);
    }
    return job;
  }

  it('deleted after hashing: nothing is filed and the journal row is failed', async () => {
    const p = await libraryProject();
    await photo(p, 'IMG_gone.jpg', 40);
    const job = await fileWith(p, 'IMG_gone.jpg', (source) => rm(source));
    expect(job.plan?.action).toBe('error');
    expect(job.error?.message).toContain('IMG_gone.jpg');
    expect(await listFiles(p.library)).toEqual([]);
    expect((await journalOf(p)).map((r) => r.status)).toEqual(['failed']);
  });

  it('replaced by other bytes after hashing: the new bytes stay in the inbox, nothing is filed', async () => {
    const p = await libraryProject();
    await photo(p, 'IMG_swapped.jpg', 41);
    const other = await writeJpeg(join(p.dir, 'other.jpg'), { seed: 42 });
    const job = await fileWith(p, 'IMG_swapped.jpg', (source) => writeFile(source, other));
    expect(job.error?.code).toBe('SOURCE_CHANGED');
    expect(await readFile(join(p.inbox, 'IMG_swapped.jpg'))).toEqual(other);
    expect(await listFiles(p.library)).toEqual([]);
    const [row] = await journalOf(p);
    expect(row?.status).toBe('failed');
  });
});

describe('the daemon at start and when its inbox goes away', () => {
  it('refuses a corrupt journal with a clear message and never recreates it over the history', async () => {
    const p = await libraryProject();
    await mkdir(p.state);
    const garbage = Buffer.from('SQLite format 3\0' + 'this is not a database '.repeat(200));
    await writeFile(join(p.state, 'journal.sqlite'), garbage);

    const run = await runCli(['run', '--config', p.config], { timeoutMs: 30_000 });

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(join(p.state, 'journal.sqlite'));
    expect(await readFile(join(p.state, 'journal.sqlite'))).toEqual(garbage);
  });

  it('an inbox unmounted while files are in flight: each file is whole in the library or on the unmounted disk, once', async () => {
    const p = await libraryProject({ settle: 200, concurrency: 2 });
    await tmpfs(p.inbox, '64m');
    // A second mount of the same tmpfs keeps its files reachable after the inbox is unmounted.
    const keep = join(p.dir, 'keep');
    await mkdir(keep);
    if (!tryRun('mount', ['--bind', p.inbox, keep])) throw new Error('mount --bind failed');
    cleanup.push(() => tryRun('umount', ['-l', keep]));
    const daemon = startCli(['run', '--config', p.config]);
    let log = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    cleanup.push(() => daemon.kill('SIGKILL'));
    await waitFor(() => log.includes('"msg":"watching"'), { what: 'the daemon watching' });
    const inputs = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const image = await makeJpeg({ date: '2019:01:10 10:00:00', seed: 50 + i });
      const bytes = Buffer.concat([image, randomBytes(200_000)]);
      await writeFile(join(p.inbox, `IMG_${i}.jpg`), bytes);
      inputs.add(await sha256(join(p.inbox, `IMG_${i}.jpg`)));
    }
    await waitFor(async () => (await listFiles(p.library)).length >= 5, {
      what: 'some files filed',
      intervalMs: 10,
    });
    expect(tryRun('umount', ['-l', p.inbox])).toBe(true);
    // Wait until the daemon has settled what it had in flight.
    let previous = -1;
    await waitFor(
      async () => {
        const now = (await listFiles(p.library)).length;
        const still = now === previous;
        previous = now;
        return still;
      },
      { what: 'the library to stop changing', intervalMs: 1500 },
    );

    expect(daemon.exitCode).toBe(null);
    const filed = await snapshot(p.library);
    const left = await snapshot(keep);
    expect(filed.size).toBeGreaterThan(0);
    expect(left.size).toBeGreaterThan(0);
    expect([...filed.keys()].filter((path) => basename(path).startsWith('.'))).toEqual([]);
    expect([...filed.values(), ...left.values()].sort()).toEqual([...inputs].sort());
    daemon.kill('SIGTERM');
    await waitFor(() => daemon.exitCode !== null, { what: 'the daemon to stop' });
    expect(daemon.exitCode).toBe(0);
    const rows = await journalOf(p);
    expect(rows.filter((r) => r.status === 'planned')).toEqual([]);
    expect(
      rows
        .filter((r) => r.status === 'done')
        .map((r) => r.target)
        .sort(),
    ).toEqual([...filed.keys()].map((path) => join(p.library, path)).sort());
  }, 90_000);
});

import { link, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/journal/journal.js';
import { readDaemonInfo } from '../src/daemon/daemon-file.js';
import { acquireStateLock, stateLockHolder } from '../src/lib/state-lock.js';
import { exited, logOf, runCli, startCli } from './support/cli.js';
import { listFiles, sha256, waitFor } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { childrenOf, fakeListener, isLive, type FakeListener } from './support/processes.js';
import { jsonLines, project, type Project } from './support/project.js';
import type { ChildProcess } from 'node:child_process';

/** Processes and listeners a test started, ended after it whatever happened. */
const started: ChildProcess[] = [];
const fakes: FakeListener[] = [];
const releases: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  for (const fake of fakes.splice(0)) await fake.close();
  for (const release of releases.splice(0)) await release();
});

/** `photosortd run` on the project, with its log collected from the start. */
function run(p: Project) {
  const child = startCli(['run', '--config', p.config]);
  started.push(child);
  return { child, log: logOf(child) };
}

/** Resolves once the daemon watches its inboxes and has written its daemon.json (API up). */
async function ready(p: Project, daemon: ReturnType<typeof run>): Promise<void> {
  await daemon.log.waitFor('"msg":"watching"', 60_000);
  await waitFor(async () => (await readDaemonInfo(p.state))?.pid === daemon.child.pid, {
    what: 'its daemon.json',
  });
}

async function fake(port = 0): Promise<FakeListener> {
  const listener = await fakeListener(port);
  fakes.push(listener);
  return listener;
}

/** A project whose daemon files quickly, with its API on a free port. */
function apiProject(listen = '127.0.0.1:0'): Promise<Project> {
  return project({ settle: 200, api: { listen } });
}

describe('one owner of a state folder, held by the kernel (issue 12, points 1 and 7)', () => {
  it('two runs started together on a new state folder: one runs, the other exits 2 naming it', async () => {
    const p = await apiProject();
    const a = run(p);
    const b = run(p);
    const first = await Promise.race([
      exited(a.child).then(() => ({ loser: a, winner: b })),
      exited(b.child).then(() => ({ loser: b, winner: a })),
    ]);
    expect(first.loser.child.exitCode).toBe(2);
    const refusal = first.loser.log.text();
    expect(refusal).toContain(`pid ${first.winner.child.pid}`);
    expect(refusal).toContain(`is using the state folder ${p.state}`);
    expect(refusal).not.toContain('already exists');
    await first.winner.log.waitFor('"msg":"watching"', 60_000);
    expect(first.winner.child.exitCode).toBeNull();
  }, 90_000);

  it('a daemon.json left by a power cut, its pid now another process, never blocks a start', async () => {
    const p = await apiProject();
    await mkdir(p.state, { recursive: true });
    // This test's own process is alive and is no photosortd: the pid a reboot may hand out.
    const stale = { pid: process.pid, url: 'http://127.0.0.1:9', startedAt: 'x', secret: 's' };
    await writeFile(join(p.state, 'daemon.json'), JSON.stringify(stale));
    await writeFile(
      join(p.state, 'lock.json'),
      JSON.stringify({ pid: process.pid, command: 'run', startedAt: 'x' }),
    );
    const daemon = run(p);
    await ready(p, daemon);
    const status = await runCli(['status', '--config', p.config]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('is running');
  }, 90_000);

  it('scan --dry-run beside a move in progress recovers nothing and writes nothing', async () => {
    const p = await project();
    // The daemon's state in the middle of a move: the row is `planned`, the file is linked
    // into the library and not yet unlinked from the inbox. Recovery would take the inbox
    // copy for a crash's leftover and unlink it (then the daemon's rollback removed the other).
    const source = join(p.inbox, 'IMG_0001.jpg');
    await writeJpeg(source, { seed: 1 });
    const target = join(p.library, '2024', 'IMG_0001.jpg');
    await mkdir(dirname(target), { recursive: true });
    await link(source, target);
    const hash = await sha256(source);
    const journal = Journal.open(p.state);
    releases.push(() => journal.close());
    const id = journal.begin({
      batch: 'b1',
      op: 'move',
      source,
      target,
      hash,
      size: (await stat(source)).size,
    });
    const lock = await acquireStateLock(p.state, 'run');
    releases.push(() => lock.release());
    const journalBefore = await sha256(join(p.state, 'journal.sqlite'));

    const dryRun = await runCli(['scan', p.inbox, '--dry-run', '--json', '--config', p.config]);
    expect(dryRun.stderr).not.toContain('reconciled');
    expect(jsonLines(dryRun.stdout).map((line) => line.source)).toEqual([source]);
    expect(await sha256(source)).toBe(hash);
    expect(await sha256(target)).toBe(hash);
    expect(journal.db.prepare('SELECT status FROM operations WHERE id = ?').get(id)).toEqual({
      status: 'planned',
    });
    expect(await sha256(join(p.state, 'journal.sqlite'))).toBe(journalBefore);

    const scan = await runCli(['scan', p.inbox, '--config', p.config]);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain(`photosortd run (pid ${process.pid}`);
    expect(await sha256(source)).toBe(hash);
    expect(await sha256(target)).toBe(hash);
  }, 90_000);

  it('a daemon started during a scan waits for it, then runs', async () => {
    const p = await apiProject();
    const scan = await acquireStateLock(p.state, 'scan');
    releases.push(() => scan.release());
    const daemon = run(p);
    await daemon.log.waitFor(`waiting for photosortd scan (pid ${process.pid}`, 60_000);
    expect(daemon.log.text()).not.toContain('"msg":"watching"');
    await scan.release();
    await ready(p, daemon);
  }, 90_000);

  it('scan refuses while the daemon runs, naming its pid and API URL', async () => {
    const p = await apiProject();
    const daemon = run(p);
    await ready(p, daemon);
    const other = join(p.dir, 'other');
    await writeJpeg(join(other, 'IMG_0002.jpg'), { seed: 2 });
    const scan = await runCli(['scan', other, '--config', p.config]);
    expect(scan.code).toBe(2);
    const info = JSON.parse(await readFile(join(p.state, 'daemon.json'), 'utf8')) as {
      url: string;
    };
    expect(scan.stderr).toContain(`photosortd run (pid ${daemon.child.pid}, API at ${info.url}`);
    expect(scan.stderr).toContain('move the files into one of its inboxes');
    expect(await listFiles(other)).toEqual(['IMG_0002.jpg']);
  }, 90_000);

  it('keeps the state folder to its owner: folder 0700, files 0600', async () => {
    const p = await apiProject();
    const daemon = run(p);
    await ready(p, daemon);
    const mode = async (name: string) => (await stat(join(p.state, name))).mode & 0o777;
    expect(await mode('.')).toBe(0o700);
    for (const name of ['journal.sqlite', 'lock.sqlite', 'lock.json', 'daemon.json', 'api-key']) {
      expect([name, await mode(name)]).toEqual([name, 0o600]);
    }
  }, 90_000);
});

describe('the CLI trusts only the daemon of its state folder (issue 12.6, issue 15.9)', () => {
  it('with no daemon, sends nothing but /health to whatever holds api.listen, and says so', async () => {
    const listener = await fake();
    const p = await apiProject(`127.0.0.1:${listener.port}`);
    await mkdir(p.state, { recursive: true });
    await writeFile(join(p.state, 'api-key'), 'psd_the_admin_key\n', { mode: 0o600 });
    // What a crash leaves behind: a daemon.json naming the port the listener now holds.
    const stale = { pid: process.pid, url: listener.url, startedAt: 'x', secret: 'old' };
    await writeFile(join(p.state, 'daemon.json'), JSON.stringify(stale));
    for (const args of [['status'], ['pause'], ['undo', '--last', '1']]) {
      const result = await runCli([...args, '--config', p.config]);
      if (args[0] !== 'undo') {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
          `photosortd is not running for the state folder ${p.state}`,
        );
        expect(result.stderr).toContain(`something answers at ${listener.url}`);
      } else {
        expect(result.stdout).toContain('put back 0 files');
      }
    }
    expect(listener.requests().length).toBeGreaterThan(0);
    for (const request of listener.requests()) {
      expect(request).toMatchObject({ method: 'GET', authorization: null });
      expect(request.url).toMatch(/^\/health/);
    }
  }, 90_000);

  it('when another process answers at the daemon’s URL, says so and sends it no key', async () => {
    const listener = await fake();
    const p = await apiProject();
    await mkdir(p.state, { recursive: true });
    await writeFile(join(p.state, 'api-key'), 'psd_the_admin_key\n', { mode: 0o600 });
    // A live holder of the state lock whose daemon.json URL some other program answers.
    const lock = await acquireStateLock(p.state, 'run');
    releases.push(() => lock.release());
    const info = { pid: process.pid, url: listener.url, startedAt: 'x', secret: 'the-secret' };
    await writeFile(join(p.state, 'daemon.json'), JSON.stringify(info), { mode: 0o600 });
    for (const args of [['status'], ['undo', '--last', '1']]) {
      const result = await runCli([...args, '--config', p.config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Another process answers at ${listener.url}`);
      expect(result.stderr).toContain(`not the photosortd of the state folder ${p.state}`);
    }
    for (const request of listener.requests()) {
      expect(request.authorization).toBeNull();
      expect(request.url).toMatch(/^\/health\?challenge=/);
    }
  }, 90_000);

  it('a port in use refuses the start in one line, exit 2, and frees the state folder', async () => {
    const listener = await fake();
    const p = await apiProject(`127.0.0.1:${listener.port}`);
    const daemon = run(p);
    expect(await exited(daemon.child)).toBe(2);
    const text = daemon.log.text();
    expect(text).toContain(
      `photosortd: The control API cannot listen on 127.0.0.1:${listener.port}`,
    );
    expect(text).not.toMatch(/\n\s+at /);
    expect(await stateLockHolder(p.state)).toBeNull();
    expect(listener.requests()).toEqual([]);
  }, 90_000);

  it('undo through the real CLI puts a file back through the running daemon', async () => {
    const p = await apiProject();
    const daemon = run(p);
    await ready(p, daemon);
    const source = join(p.inbox, 'IMG_0003.jpg');
    await writeJpeg(source, { seed: 3 });
    const hash = await sha256(source);
    const filed = (await waitFor(
      async () => {
        const files = await listFiles(p.library);
        return files.length === 1 ? files[0] : undefined;
      },
      { what: 'the photo to be filed' },
    )) as string;
    const result = await runCli(['undo', '--last', '1', '--config', p.config]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`put back  ${join(p.library, filed)}\n     →  ${source}`);
    expect(result.stdout).toMatch(/^put back 1 file \(batch \S+\)$/m);
    expect(result.code).toBe(0);
    expect(await sha256(source)).toBe(hash);
    expect(await listFiles(p.library)).toEqual([]);
    await daemon.log.waitFor('"msg":"undo"');
  }, 90_000);
});

describe('child processes die with the daemon (issue 12, point 8)', () => {
  it('a SIGKILLed daemon leaves no exiftool behind', async () => {
    const p = await apiProject();
    const daemon = run(p);
    await ready(p, daemon);
    const children = await childrenOf(daemon.child.pid as number);
    expect(children.length).toBeGreaterThan(0);
    for (const pid of children) {
      expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).toContain('exiftool');
    }
    daemon.child.kill('SIGKILL');
    await exited(daemon.child);
    await waitFor(async () => (await Promise.all(children.map(isLive))).every((live) => !live), {
      timeoutMs: 10_000,
      what: `exiftool processes ${children.join(', ')} to end`,
    });
  }, 90_000);
});

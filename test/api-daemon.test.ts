import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiClient,
  Metrics,
  readApiKey,
  startApiServer,
  type ApiServer,
} from '../src/api/index.js';
import type { ControlEvent } from '../src/daemon/control.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { silentLogger } from '../src/lib/logger.js';
import { listFiles, snapshot, waitFor } from './support/fs.js';
import { ROOT } from './support/cli.js';
import { writeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

const cleanups: (() => Promise<void>)[] = [];

/** Prometheus's own checker, from Debian's `prometheus` package, when installed. */
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real daemon with the real API server on a random loopback port, as `run` wires them. */
async function start(): Promise<{
  dir: string;
  inbox: string;
  library: string;
  daemon: Daemon;
  server: ApiServer;
  client: ApiClient;
  key: string;
}> {
  const {
    dir,
    inbox,
    loaded: config,
  } = await projectConfig(
    { settle: 300, concurrency: 2, api: { listen: '127.0.0.1:0' } },
    'photosortd-api-daemon-',
  );
  const logger = silentLogger();
  const daemon = await launchDaemon(config, logger);
  cleanups.push(() => daemon.stop(10_000));
  const metrics = new Metrics();
  daemon.subscribe((event) => {
    if (event.type === 'file') metrics.recordFile(event);
  });
  const server = await startApiServer({ config, control: daemon, logger, metrics });
  cleanups.push(() => server.close());
  const key = await readApiKey(config.state);
  if (!key) throw new Error('the API did not write <state>/api-key');
  return {
    dir,
    inbox,
    library: config.library,
    daemon,
    server,
    client: new ApiClient(server.url, key),
    key,
  };
}

describe('the API steering a real daemon', () => {
  it('pause holds new files in the inbox while in-flight ones finish; resume files them', async () => {
    const { inbox, library, client } = await start();
    const events: ControlEvent[] = [];
    const stream = new AbortController();
    const following = (async () => {
      for await (const event of client.events(stream.signal)) events.push(event);
    })();
    cleanups.push(async () => {
      stream.abort();
      await following;
    });

    // Paused: files dropped now stay in the inbox, however long they wait.
    expect((await client.pause()).state).toBe('paused');
    for (let i = 0; i < 6; i++) {
      await writeJpeg(join(inbox, `IMG_${i}.jpg`), { date: '2015:05:05 10:00:00', seed: 700 + i });
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await listFiles(inbox)).toHaveLength(6);
    expect(await listFiles(library)).toEqual([]);
    expect((await client.status()).state).toBe('paused');
    expect((await client.resume()).state).toBe('running');
    await waitFor(async () => (await listFiles(library)).length === 6, { what: 'six filed' });

    // Paused in the middle of a burst: what was in flight finishes whole, the rest waits,
    // and nothing is lost or half-moved either way.
    for (let i = 6; i < 12; i++) {
      await writeJpeg(join(inbox, `IMG_${i}.jpg`), { date: '2015:05:05 10:00:00', seed: 700 + i });
    }
    await waitFor(() => events.filter((event) => event.type === 'file').length > 6, {
      what: 'a file of the second drop',
    });
    expect((await client.pause()).state).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await listFiles(inbox)).length + (await listFiles(library)).length).toBe(12);
    expect((await client.status()).state).toBe('paused');

    expect((await client.resume()).state).toBe('running');
    await waitFor(async () => (await listFiles(library)).length === 12, {
      what: 'all twelve filed',
    });
    expect(await listFiles(inbox)).toEqual([]);
    await waitFor(() => events.filter((event) => event.type === 'file').length === 12, {
      what: 'twelve file events',
    });
    expect(events.filter((event) => event.type === 'paused')).toHaveLength(2);
    expect(events.filter((event) => event.type === 'resumed')).toHaveLength(2);

    const metrics = await client.metrics();
    expect(metrics).toMatch(/photosortd_files_total\{action="move"\} 12/);
  });

  it('undo over the API restores the files byte for byte; an unauthenticated undo changes nothing', async () => {
    const { inbox, library, server, client, daemon } = await start();
    for (let i = 0; i < 4; i++) {
      await writeJpeg(join(inbox, 'trip', `IMG_${i}.jpg`), {
        date: `2014:0${i + 1}:01 08:00:00`,
        seed: 800 + i,
      });
    }
    const original = await snapshot(inbox);
    await waitFor(async () => (await listFiles(library)).length === 4, { what: 'four filed' });
    await daemon.idle();

    const journal = await client.journal(10);
    expect(journal).toHaveLength(4);
    expect(journal.every((entry) => entry.op === 'move' && entry.status === 'done')).toBe(true);

    const anonymous = await fetch(`${server.url}/undo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ last: 4 }),
    });
    expect(anonymous.status).toBe(401);
    const bad = await fetch(`${server.url}/undo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: '{"last": 0}',
    });
    expect(bad.status).toBe(401);
    expect(await listFiles(inbox)).toEqual([]);

    const result = await client.undo({ last: 4 });
    expect(result.undone).toHaveLength(4);
    expect(result.refused).toEqual([]);
    expect(await snapshot(inbox)).toEqual(original);
    expect(await listFiles(library)).toEqual([]);
  });

  it('a scrape after filing passes promtool and carries what an operator alerts on', async () => {
    const { inbox, library, daemon, server, key } = await start();
    for (let i = 0; i < 3; i++) {
      await writeJpeg(join(inbox, `IMG_${i}.jpg`), {
        date: `2016:03:0${i + 1} 09:00:00`,
        seed: 900 + i,
      });
    }
    await waitFor(async () => (await listFiles(library)).length === 3, { what: 'three filed' });
    await daemon.idle();

    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^photosortd_files_total\{action="move"\} 3$/m);
    expect(text).toMatch(/^photosortd_journal_operations 3$/m);
    expect(text).toMatch(/^photosortd_journal_bytes [1-9]\d*$/m);
    expect(text).toMatch(new RegExp(`^photosortd_inbox_up\\{inbox="${inbox}"\\} 1$`, 'm'));
    const lastFiled = Number(/^photosortd_last_filed_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    expect(Math.abs(lastFiled - Date.now() / 1000)).toBeLessThan(120);
    for (const name of [
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }

    if (!PROMTOOL) {
      console.warn('promtool (Debian package prometheus) is not installed: skipped its check');
      return;
    }
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);

    // The README's example alerts are valid rules over metrics this scrape really has.
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const rules = /```yaml\n(groups:\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(rules, 'the README shows alert rules').toBeDefined();
    const file = join(tmpdir(), `photosortd-rules-${process.pid}.yaml`);
    await writeFile(file, rules ?? '');
    const rulesCheck = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
    await rm(file, { force: true });
    expect(rulesCheck.status, rulesCheck.stdout + rulesCheck.stderr).toBe(0);
    for (const [name] of (rules ?? '').matchAll(/\bphotosortd_[a-z_]+/g)) {
      expect(text).toMatch(new RegExp(`^${name}[ {]`, 'm'));
    }
  });
});

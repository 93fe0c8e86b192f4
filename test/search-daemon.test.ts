import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, Metrics, readApiKey, startApiServer } from '../src/api/index.js';
import { launchDaemon } from '../src/app/launch.js';
import { silentLogger } from '../src/lib/logger.js';
import { SharedSearch } from '../src/search/index.js';
import { ensureBuilt, runCli } from './support/cli.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { projectConfig } from './support/daemon-project.js';
import { jsonLines } from './support/project.js';
import { colourModel, writeColourPhoto, type HitLine } from './support/search-world.js';

const exiftool = new ExifTool({ maxProcs: 1 });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await exiftool.end();
});

describe('search on a running daemon', () => {
  it('finds what the daemon filed (from the tag stage), answers as the CLI does, and forgets what undo put back', async () => {
    ensureBuilt();
    const work = await tempDir('photosortd-search-daemon-');
    const model = colourModel(work);
    const p = await projectConfig(
      {
        settle: 300,
        api: { listen: '127.0.0.1:0' },
        tagging: { enabled: true, model, labels: ['red', 'green', 'blue'], minScore: 0.3 },
      },
      'photosortd-search-daemon-',
    );
    const logger = silentLogger();
    const daemon = await launchDaemon(p.loaded, logger);
    cleanups.push(() => daemon.stop(10_000));
    const server = await startApiServer({
      config: p.loaded,
      control: daemon,
      logger,
      metrics: new Metrics(),
    });
    cleanups.push(() => server.close());
    const key = await readApiKey(p.state);
    const client = new ApiClient(server.url, key!);
    const search = async (query: string) => {
      const response = await fetch(`${server.url}/search?q=${query}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { results: (HitLine & { thumb: string })[] }).results;
    };

    await writeColourPhoto(
      join(p.inbox, 'first-red.jpg'),
      { name: 'a', rgb: [230, 20, 20], date: '2020:01:01 10:00:00' },
      exiftool,
    );
    await writeColourPhoto(
      join(p.inbox, 'blue.jpg'),
      { name: 'b', rgb: [20, 20, 230], date: '2020:01:02 10:00:00' },
      exiftool,
    );
    await waitFor(
      async () => (await listFiles(p.library)).filter((f) => f.endsWith('.jpg')).length === 2,
      {
        what: 'two photos filed',
      },
    );
    await writeColourPhoto(
      join(p.inbox, 'second-red.jpg'),
      { name: 'c', rgb: [210, 40, 30], date: '2020:01:03 10:00:00' },
      exiftool,
    );
    await waitFor(
      async () => (await listFiles(p.library)).filter((f) => f.endsWith('.jpg')).length === 3,
      {
        what: 'the third photo filed',
      },
    );

    const found = await search('red');
    expect(found.map((hit) => basename(hit.path))).toEqual([
      'first-red.jpg',
      'second-red.jpg',
      'blue.jpg',
    ]);
    // The CLI reads the same index while the daemon runs, and answers the same.
    const cli = await runCli(['search', 'red', '--json', '--config', p.config]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(jsonLines<HitLine>(cli.stdout)).toEqual(found.map(({ thumb: _thumb, ...hit }) => hit));

    // An uploaded photo is embedded by the daemon's own tagger.
    const mine = join(work, 'my-red.jpg');
    await writeColourPhoto(
      mine,
      { name: 'm', rgb: [220, 30, 25], date: '2024:01:01 10:00:00' },
      exiftool,
    );
    const uploaded = await fetch(`${server.url}/similar`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
      body: await readFile(mine),
    });
    expect(uploaded.status).toBe(200);
    const likeMine = ((await uploaded.json()) as { results: HitLine[] }).results;
    expect(
      likeMine
        .map((hit) => basename(hit.path))
        .slice(0, 2)
        .sort(),
    ).toEqual(['first-red.jpg', 'second-red.jpg']);

    // The server's search reads the index the daemon's tag stage writes, not one of its own,
    // and leaves it open for the daemon when it closes.
    const lent = daemon.searchParts().index;
    expect(lent).not.toBeNull();
    const shared = new SharedSearch({ config: p.loaded, daemon: () => daemon.searchParts() });
    expect((await shared.open()).index).toBe(lent);
    await shared.close();
    expect(lent!.counts()).toEqual({ files: 3, searchable: 3 });

    const undone = await client.undo({ last: 1 });
    expect(undone.undone.map((item) => basename(item.from))).toContain('second-red.jpg');
    expect((await search('red')).map((hit) => basename(hit.path))).toEqual([
      'first-red.jpg',
      'blue.jpg',
    ]);
  }, 180_000);
});

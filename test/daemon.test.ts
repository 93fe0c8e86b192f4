import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import type { ControlEvent } from '../src/daemon/control.js';
import { silentLogger } from '../src/lib/logger.js';
import { listFiles, snapshot, waitFor } from './support/fs.js';
import { makeJpeg, writeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

async function setup(
  extra: Record<string, unknown> = {},
): Promise<{ dir: string; config: Config }> {
  const { dir, loaded } = await projectConfig({ settle: 400, ...extra }, 'photosortd-daemon-');
  return { dir, config: loaded };
}

async function start(config: Config): Promise<Daemon> {
  const daemon = await launchDaemon(config, silentLogger());
  running.push(daemon);
  return daemon;
}

describe('the daemon', () => {
  it('files what was already in the inbox, new drops, and a file written slowly, each once', async () => {
    const { dir, config } = await setup();
    const inbox = join(dir, 'inbox');
    const before = await writeJpeg(join(inbox, 'old', 'IMG_0001.jpg'), {
      date: '2023:01:02 03:04:05',
      seed: 1,
    });
    const daemon = await start(config);
    const events: ControlEvent[] = [];
    daemon.subscribe((event) => events.push(event));

    const dropped = await writeJpeg(join(inbox, 'IMG_0002.jpg'), {
      date: '2024:06:12 18:30:00',
      seed: 2,
    });
    await writeFile(join(inbox, 'IMG_0003.jpg.part'), dropped);
    await writeFile(join(inbox, '.hidden.jpg'), dropped);

    // A phone dump over a slow link: the file grows in chunks for longer than `settle`.
    const slow = await makeJpeg({ date: '2024:07:01 09:00:00', seed: 3, width: 400, height: 300 });
    const handle = await open(join(inbox, 'IMG_0004.jpg'), 'w');
    const chunk = Math.ceil(slow.length / 5);
    for (let offset = 0; offset < slow.length; offset += chunk) {
      await handle.write(slow.subarray(offset, offset + chunk));
      await handle.sync();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await handle.close();

    const library = config.library;
    const expected = [
      '2023/2023-01-02/IMG_0001.jpg',
      '2024/2024-06-12/IMG_0002.jpg',
      '2024/2024-07-01/IMG_0004.jpg',
    ];
    await waitFor(async () => (await listFiles(library)).length >= 3, {
      what: 'three filed files',
    });
    await daemon.idle();
    expect(await listFiles(library)).toEqual(expected);
    expect(await readFile(join(library, expected[0]!))).toEqual(before);
    expect(await readFile(join(library, expected[1]!))).toEqual(dropped);
    expect(await readFile(join(library, expected[2]!))).toEqual(slow);
    // Partial and hidden files are not touched.
    expect(await listFiles(inbox)).toEqual(['.hidden.jpg', 'IMG_0003.jpg.part']);
    const filed = events.filter((event) => event.type === 'file' && event.action === 'move');
    expect(filed).toHaveLength(3);
    expect(daemon.status()).toMatchObject({ state: 'running', processed: 3, failed: 0 });
  });

  it('holds files while paused and files them on resume', async () => {
    const { dir, config } = await setup();
    const daemon = await start(config);
    daemon.pause();
    await writeJpeg(join(dir, 'inbox', 'IMG_1.jpg'), { date: '2022:02:02 02:02:02', seed: 11 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await listFiles(join(dir, 'inbox'))).toEqual(['IMG_1.jpg']);
    expect(daemon.status().state).toBe('paused');
    daemon.resume();
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the held file',
    });
    expect(await listFiles(config.library)).toEqual(['2022/2022-02-02/IMG_1.jpg']);
  });

  it('undo puts every file back byte for byte, and the daemon does not file them again', async () => {
    const { dir, config } = await setup();
    const inbox = join(dir, 'inbox');
    for (let i = 0; i < 6; i++) {
      await writeJpeg(join(inbox, i % 2 ? 'a' : 'b', `IMG_${i}.jpg`), {
        date: `2021:0${i + 1}:15 12:00:00`,
        seed: 100 + i,
      });
    }
    const original = await snapshot(inbox);
    const daemon = await start(config);
    await waitFor(async () => (await listFiles(config.library)).length === 6, {
      what: 'six filed files',
    });
    await daemon.idle();
    expect(await listFiles(inbox)).toEqual([]);

    const result = await daemon.undo({ all: true });
    expect(result.undone).toHaveLength(6);
    expect(result.refused).toEqual([]);
    expect(await snapshot(inbox)).toEqual(original);
    // Give the watcher time to see the restored files; they must stay where undo put them.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await daemon.idle();
    expect(await snapshot(inbox)).toEqual(original);
    expect(await listFiles(config.library)).toEqual([]);
    expect((await stat(inbox)).isDirectory()).toBe(true);
  });

  it('watches a network-share inbox by polling (poll: true)', async () => {
    const { dir, config } = await setup();
    const polled = { ...config, inboxes: [{ path: join(dir, 'inbox'), poll: true }] };
    await start(polled);
    await writeJpeg(join(dir, 'inbox', 'nas', 'IMG_P.jpg'), {
      date: '2013:03:03 13:13:13',
      seed: 42,
    });
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the polled file',
      timeoutMs: 20_000,
    });
    expect(await listFiles(config.library)).toEqual(['2013/2013-03-03/IMG_P.jpg']);
  });

  it('sends an unreadable file to Unsorted and goes on with the next', async () => {
    const { dir, config } = await setup({ dates: { from: ['exif'] } });
    const inbox = join(dir, 'inbox');
    await writeFile(join(inbox, 'broken.jpg'), Buffer.from('this is not a JPEG at all'));
    await writeJpeg(join(inbox, 'IMG_9.jpg'), { date: '2020:05:05 05:05:05', seed: 9 });
    const daemon = await start(config);
    await waitFor(async () => (await listFiles(config.library)).length === 2, {
      what: 'two files',
    });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2020/2020-05-05/IMG_9.jpg',
      'Unsorted/broken.jpg',
    ]);
  });
});

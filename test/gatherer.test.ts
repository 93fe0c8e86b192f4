import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import type { Config } from '../src/config/load.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { createGatherer, GROUP_WINDOW_MS, type GathererOptions } from '../src/daemon/gatherer.js';
import { silentLogger } from '../src/lib/logger.js';
import { companionKey } from '../src/lib/sidecars.js';
import { ROOT } from './support/cli.js';
import { livePhotoHalves } from './support/companions.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { makeJpeg } from './support/media.js';
import { startWriter } from './support/writer.js';

/*
 * When the daemon hands a file on: at once, unless a member of its group may still come that
 * would not follow it once filed (a file of its name still being written, a video's still).
 * First the gatherer alone, told by the test what the watcher sees; then a real daemon on
 * real files, where holding or not shows in where the files end up.
 */

// Videos without a position are dated in the machine's zone; pin it so the test means the same anywhere.
process.env.TZ = 'UTC';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A gatherer whose watcher sees `settling` on its way and whose daemon has filed `filed`;
 * what it hands on, and when. A group whose first path is in `handling` is handled once
 * that promise resolves.
 */
function gathering(options: Partial<GathererOptions> = {}) {
  const settling = new Set<string>();
  const filed = new Set<string>();
  const handling = new Map<string, Promise<void>>();
  const submitted: { paths: string[]; at: number }[] = [];
  const started = Date.now();
  const gatherer = createGatherer({
    windowMs: 10_000,
    orphanWaitMs: 60_000,
    fileFiled: (path) => filed.has(path),
    settling: (path) =>
      [...settling].some((other) => other !== path && companionKey(other) === companionKey(path)),
    submit: async (paths) => {
      submitted.push({ paths: [...paths].sort(), at: Date.now() - started });
      await handling.get(paths[0]!);
    },
    ...options,
  });
  return { gatherer, settling, filed, handling, submitted };
}

describe('the gatherer, told what the watcher sees', () => {
  it('hands a lone photo on at once, not after the window', async () => {
    const g = gathering();
    g.gatherer.add('/in/IMG_1.JPG', '/in');
    await g.gatherer.idle();
    expect(g.submitted).toEqual([{ paths: ['/in/IMG_1.JPG'], at: expect.any(Number) }]);
    expect(g.submitted[0]!.at).toBeLessThan(10_000);
  });

  it('holds a photo while a file of its name settles, past the window, and hands both on together', async () => {
    const g = gathering({ windowMs: 100 });
    g.settling.add('/in/IMG_2.MOV');
    g.gatherer.add('/in/IMG_2.HEIC', '/in');
    // Three windows: the MOV is still being written, so the HEIC waits for it.
    await sleep(300);
    expect(g.submitted).toEqual([]);
    expect(g.gatherer.size).toBe(1);
    g.settling.delete('/in/IMG_2.MOV');
    g.gatherer.add('/in/IMG_2.MOV', '/in');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_2.HEIC', '/in/IMG_2.MOV']]);
  });

  it('lets a photo go once the file it waited for went away without arriving', async () => {
    const g = gathering({ windowMs: 100 });
    g.settling.add('/in/IMG_3.CR3');
    g.gatherer.add('/in/IMG_3.JPG', '/in');
    await sleep(250);
    expect(g.submitted).toEqual([]);
    g.settling.delete('/in/IMG_3.CR3');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_3.JPG']]);
  });

  it('holds a video without a still for the window, unless its still is filed already', async () => {
    const g = gathering({ windowMs: 1000 });
    g.filed.add('/in/IMG_5.MOV');
    g.gatherer.add('/in/IMG_4.MOV', '/in');
    g.gatherer.add('/in/IMG_5.MOV', '/in');
    g.gatherer.add('/in/IMG_6.MOV', '/in');
    await sleep(100);
    g.gatherer.add('/in/IMG_6.JPG', '/in');
    await g.gatherer.idle();
    const at = new Map(g.submitted.map((s) => [s.paths.join(' '), s.at]));
    // IMG_5's still is in the library: the video follows it without waiting.
    expect(at.get('/in/IMG_5.MOV')).toBeLessThan(1000);
    // IMG_6's still came: the two go together, without waiting out the window.
    expect(at.get('/in/IMG_6.JPG /in/IMG_6.MOV')).toBeLessThan(1000);
    // IMG_4's still never came.
    expect(at.get('/in/IMG_4.MOV')).toBeGreaterThanOrEqual(995);
    expect(g.submitted).toHaveLength(3);
  });

  it('holds a member arriving while its group is handled until that is done, then hands it on', async () => {
    const g = gathering();
    let finish = () => {};
    g.handling.set('/in/IMG_7.JPG', new Promise<void>((resolve) => (finish = resolve)));
    g.gatherer.add('/in/IMG_7.JPG', '/in');
    await waitFor(() => g.submitted.length === 1, { what: 'the photo handed on' });
    g.gatherer.add('/in/IMG_7.JPG.xmp', '/in');
    await sleep(200);
    // Handed on now it would find no filed photo, and wait a minute as an orphan.
    expect(g.submitted).toHaveLength(1);
    g.filed.add('/in/IMG_7.JPG.xmp');
    finish();
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_7.JPG'], ['/in/IMG_7.JPG.xmp']]);
  });

  it('groups files taken in one turn, though no watcher saw them settling', async () => {
    const g = gathering();
    g.gatherer.add('/in/IMG_8.HEIC', '/in');
    g.gatherer.add('/in/IMG_8.MOV', '/in');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_8.HEIC', '/in/IMG_8.MOV']]);
  });

  it('waits the whole window where the watcher cannot tell, and keeps a lone sidecar’s wait whole', async () => {
    const g = gathering({ windowMs: 150, orphanWaitMs: 400, settling: () => null });
    g.gatherer.add('/in/IMG_9.JPG', '/in');
    g.gatherer.add('/in/IMG_10.xmp', '/in');
    await sleep(300);
    // A second sidecar of the orphan does not cut its wait short.
    g.gatherer.add('/in/IMG_10.AAE', '/in');
    await g.gatherer.idle();
    const at = new Map(g.submitted.map((s) => [s.paths.join(' '), s.at]));
    expect(at.get('/in/IMG_9.JPG')).toBeGreaterThanOrEqual(145);
    // The orphan's wait began when the first window ended, at 150 ms.
    expect(at.get('/in/IMG_10.AAE /in/IMG_10.xmp')).toBeGreaterThanOrEqual(545);
  });
});

describe('a running daemon hands files on when their group is complete', () => {
  const running: Daemon[] = [];
  const SETTLE = 300;

  afterEach(async () => {
    await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
  });

  /** Only embedded dates count, so a photo without one shows whether its group lent it one. */
  async function start(): Promise<{ inbox: string; config: Config; daemon: Daemon }> {
    const { inbox, loaded } = await projectConfig(
      { settle: SETTLE, dates: { from: ['exif'] } },
      'photosortd-gatherer-',
    );
    const daemon = await launchDaemon(loaded, silentLogger());
    running.push(daemon);
    return { inbox, config: loaded, daemon };
  }

  /**
   * Writes `bytes` to `path` in pieces for about a second (longer than the settle period),
   * as a slow copy does, and runs `meanwhile` once the file exists.
   */
  async function slowCopyWhile(bytes: Buffer, path: string, meanwhile: () => Promise<unknown>) {
    const writer = startWriter({
      bytes,
      path,
      chunk: Math.ceil(bytes.length / 12),
      chunkPauseMs: 80,
    });
    await waitFor(() => existsSync(path), { what: `${path} begun`, intervalMs: 5 });
    await meanwhile();
    expect(await writer.done).toBe(0);
  }

  it('files a lone JPEG a settle period after it was written, without the companion window', async () => {
    const { inbox, config } = await start();
    const bytes = await makeJpeg({ date: '2024:05:06 07:08:09', seed: 1 });
    await writeFile(join(inbox, 'IMG_0001.JPG'), bytes);
    const written = Date.now();
    const target = join(config.library, '2024/2024-05-06/IMG_0001.JPG');
    await waitFor(async () => (await listFiles(config.library)).length === 1, {
      what: 'the JPEG',
      intervalMs: 10,
    });
    // It used to wait settle + the 2 s window; what is left is one file's hash, read and move.
    expect(Date.now() - written).toBeLessThan(SETTLE + GROUP_WINDOW_MS);
    expect(await readFile(target)).toEqual(bytes);
  });

  it('keeps a HEIC with its MOV, still being written when the HEIC settled', async () => {
    const { inbox, config, daemon } = await start();
    const staging = await tempDir('photosortd-gatherer-phone-');
    const { video } = await livePhotoHalves(staging, 'IMG_0100.HEIC', 'IMG_0100.MOV');
    // The HEIC carries no date: only its MOV's, lent to the group, keeps it out of Unsorted.
    const heic = join(ROOT, 'test/fixtures/tagging/blue-from-png.heic');
    await slowCopyWhile(await readFile(video), join(inbox, 'IMG_0100.MOV'), () =>
      copyFile(heic, join(inbox, 'IMG_0100.HEIC')),
    );
    await waitFor(async () => (await listFiles(inbox)).length === 0, { what: 'both files' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-23/IMG_0100.HEIC',
      '2019/2019-07-23/IMG_0100.MOV',
    ]);
  });

  it('keeps a MOV that arrived first for its HEIC, and files both on the still’s day', async () => {
    const { inbox, config, daemon } = await start();
    const staging = await tempDir('photosortd-gatherer-phone-');
    const { still, video } = await livePhotoHalves(staging, 'IMG_0200.HEIC', 'IMG_0200.MOV');
    await copyFile(video, join(inbox, 'IMG_0200.MOV'));
    // The MOV has settled and waits in the daemon for a still.
    await waitFor(() => daemon.status().queue.waiting === 1, { what: 'the MOV to be held' });
    expect(await listFiles(config.library)).toEqual([]);
    await copyFile(still, join(inbox, 'IMG_0200.HEIC'));
    await waitFor(async () => (await listFiles(inbox)).length === 0, { what: 'both files' });
    await daemon.idle();
    // Alone, the MOV (dated in UTC) would have gone to the 23rd.
    expect(await listFiles(config.library)).toEqual([
      '2019/2019-07-24/IMG_0200.HEIC',
      '2019/2019-07-24/IMG_0200.MOV',
    ]);
  });

  it('files a JPEG and its RAW, still being copied when the JPEG settled, as one shot', async () => {
    const { inbox, config, daemon } = await start();
    const raw = await readFile(join(ROOT, 'test/fixtures/et_CanonRaw.cr3'));
    // A JPEG without a date: only the RAW's, lent to the group, files it on the shot's day.
    const jpeg = await makeJpeg({ seed: 2 });
    await slowCopyWhile(raw, join(inbox, 'IMG_0001.CR3'), () =>
      writeFile(join(inbox, 'IMG_0001.JPG'), jpeg),
    );
    await waitFor(async () => (await listFiles(inbox)).length === 0, { what: 'both files' });
    await daemon.idle();
    expect(await listFiles(config.library)).toEqual([
      '2018/2018-02-21/IMG_0001.CR3',
      '2018/2018-02-21/IMG_0001.JPG',
    ]);
    expect(await readFile(join(config.library, '2018/2018-02-21/IMG_0001.CR3'))).toEqual(raw);
    // One journal group: undo of the last group brings back both.
    expect((await daemon.undo({ last: 1 })).undone).toHaveLength(2);
    expect(await listFiles(inbox)).toEqual(['IMG_0001.CR3', 'IMG_0001.JPG']);
  });
});

import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import type { Config } from '../src/config/load.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { GROUP_WINDOW_MS } from '../src/daemon/gatherer.js';
import { silentLogger } from '../src/lib/logger.js';
import { ROOT } from './support/cli.js';
import { livePhotoHalves } from './support/companions.js';
import { projectConfig } from './support/daemon-project.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { makeJpeg } from './support/media.js';
import { startWriter } from './support/writer.js';

/*
 * A running daemon on real files hands a file on as soon as its group is complete: a lone
 * JPEG without the companion window, a group whose member is still being copied only once
 * that member is in. Where holding or not matters shows in where the files end up: a member
 * without a date of its own is filed on the day its group lends it (see gatherer.test.ts
 * for the gatherer alone).
 */

// Videos without a position are dated in the machine's zone; pin it so the test means the same anywhere.
process.env.TZ = 'UTC';

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

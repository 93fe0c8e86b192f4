import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { silentLogger } from '../src/lib/logger.js';
import { listFiles, waitFor } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

const running: Daemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

describe('status by action', () => {
  it('counts filed files, duplicates and unsorted files apart', async () => {
    const p = await projectConfig(
      { settle: 200, dates: { from: ['exif'] } },
      'photosortd-handled-',
    );
    const daemon = await launchDaemon(p.loaded, silentLogger());
    running.push(daemon);
    await daemon.ready;
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2022:03:04 05:06:07', seed: 1 });
    await waitFor(() => daemon.status().processed === 1, { what: 'the photo to be filed' });
    const outside = join(p.dir, 'elsewhere');
    await mkdir(outside);
    await copyFile(join(p.library, '2022', '2022-03-04', 'IMG_1.jpg'), join(outside, 'copy.jpg'));
    await copyFile(join(outside, 'copy.jpg'), join(p.inbox, 'copy.jpg'));
    await writeJpeg(join(p.inbox, 'undated.jpg'), { seed: 2 });
    await waitFor(() => daemon.status().processed === 3, { what: 'the other two to be handled' });
    expect(daemon.status().handled).toEqual({
      move: 1,
      unsorted: 1,
      duplicate: 1,
      skip: 0,
      error: 0,
    });
    expect(await listFiles(p.inbox)).toEqual(['copy.jpg']);
  });
});

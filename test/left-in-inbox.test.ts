import { copyFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config/load.js';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { capturedLogger } from './support/captured.js';
import { runCli } from './support/cli.js';
import { listFiles, waitFor } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

const running: Daemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

/** Starts the daemon, waits until everything in the inbox was handled, returns it and its log. */
async function startAndSettle(config: Config, expected: number) {
  const log = capturedLogger('debug');
  const daemon = await launchDaemon(config, log.logger);
  running.push(daemon);
  await daemon.ready;
  await waitFor(() => daemon.status().processed >= expected, {
    what: `${expected} file(s) to be handled`,
  });
  await daemon.idle();
  const warnings = () =>
    log
      .lines()
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.level === 40);
  return { daemon, warnings };
}

describe('a duplicate left in the inbox', () => {
  it('is reported once, remembered across restarts, and journal says why it stayed', async () => {
    const p = await projectConfig({ settle: 200 }, 'photosortd-left-');
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2022:03:04 05:06:07', seed: 1 });
    const first = await startAndSettle(p.loaded, 1);
    const filed = join(p.library, '2022', '2022-03-04', 'IMG_1.jpg');
    await copyFile(filed, join(p.inbox, 'copy.jpg'));
    await waitFor(() => first.daemon.status().processed === 2, { what: 'the copy' });
    expect(first.daemon.status().handled).toMatchObject({ move: 1, duplicate: 1 });
    expect(first.warnings().map((line) => line.msg)).toEqual(['duplicate']);
    await running.pop()!.stop(10_000);

    // A restart: the copy is left again without a hash or a warning.
    for (let restart = 0; restart < 2; restart++) {
      const again = await startAndSettle(p.loaded, 1);
      expect(again.daemon.status().handled).toMatchObject({ duplicate: 0, skip: 1 });
      expect(again.warnings()).toEqual([]);
      await running.pop()!.stop(10_000);
    }
    expect(await listFiles(p.inbox)).toEqual(['copy.jpg']);

    const journal = await runCli(['journal', '--config', p.config]);
    expect(journal.stdout).toContain('left in the inbox:');
    expect(journal.stdout).toContain(
      `${join(p.inbox, 'copy.jpg')}: same content as ${filed}; left where it is (duplicates: skip)`,
    );

    // Changed since (here: its time), it is looked at anew, and said again.
    await utimes(join(p.inbox, 'copy.jpg'), new Date(), new Date('2023-01-01'));
    const changed = await startAndSettle(p.loaded, 1);
    expect(changed.daemon.status().handled).toMatchObject({ duplicate: 1 });
    expect(changed.warnings().map((line) => line.msg)).toEqual(['duplicate']);
  });

  it('is decided anew when the policy changes', async () => {
    const p = await projectConfig({ settle: 200 }, 'photosortd-left-policy-');
    await writeJpeg(join(p.inbox, 'IMG_2.jpg'), { date: '2022:03:04 05:06:07', seed: 2 });
    await startAndSettle(p.loaded, 1);
    await copyFile(join(p.library, '2022', '2022-03-04', 'IMG_2.jpg'), join(p.inbox, 'copy.jpg'));
    await waitFor(() => running[0]!.status().processed === 2, { what: 'the copy' });
    await running.pop()!.stop(10_000);

    const deleting = parseConfig(
      {
        library: p.library,
        inboxes: [p.inbox],
        state: p.state,
        duplicates: 'delete',
        settle: 200,
        geocode: { enabled: false },
        api: { enabled: false },
      },
      null,
    );
    const again = await startAndSettle(deleting, 1);
    expect(again.daemon.status().handled).toMatchObject({ duplicate: 1 });
    expect(await listFiles(p.inbox)).toEqual([]);
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCrashTrial, seeded } from '../bench/lib/crash.js';
import { ensureBuilt } from './support/cli.js';
import { makeJpeg } from './support/media.js';
import { project } from './support/project.js';

describe('a daemon killed at random moments in a burst', () => {
  it('loses and duplicates nothing after restart, and undo --all restores the inbox exactly', async () => {
    ensureBuilt();
    const {
      dir,
      inbox,
      config: configFile,
    } = await project({ settle: 200, concurrency: 4 }, 'photosortd-crash-');
    const count = 120;
    for (let i = 0; i < count; i++) {
      const month = String((i % 12) + 1).padStart(2, '0');
      const bytes = await makeJpeg({
        date: `2019:${month}:10 10:00:${String(i % 60).padStart(2, '0')}`,
        seed: 5000 + i,
      });
      await writeFile(join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), bytes);
    }
    const seed = Date.now() % 100_000;
    const trial = await runCrashTrial({
      inbox,
      library: join(dir, 'library'),
      configFile,
      kills: 3,
      random: seeded(seed),
      timeoutMs: 60_000,
    });
    const why = `seed ${seed}, filed at each kill: ${trial.filedAtKill.join(', ')}`;

    // The kills did land in the middle of the burst, not only before or after it.
    expect(
      trial.filedAtKill.some((n) => n > 0 && n < count),
      why,
    ).toBe(true);
    expect(trial.lastExit, why).toBe(0);
    // Every input exists exactly once in the library, with its bytes; nothing partial is left.
    expect({ lost: trial.lost, twice: trial.twice, partial: trial.partial }, why).toEqual({
      lost: [],
      twice: [],
      partial: [],
    });
    expect(trial.filed.size, why).toBe(count);
    // exiftool's perl processes end with the SIGKILLed daemon (issue 12, point 8).
    expect(trial.orphans, why).toBe(0);
    expect(
      [...trial.filed.keys()].filter((path) => !/^2019\/2019-\d\d-10\/IMG_\d{4}\.jpg$/.test(path)),
    ).toEqual([]);

    expect(trial.undo, why).toEqual({ code: 0, stderr: '' });
    expect(trial.sameInbox, why).toBe(true);
    expect(trial.libraryAfterUndo).toEqual([]);
  }, 180_000);
});

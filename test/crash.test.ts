import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCrashTrial, seeded } from '../bench/lib/crash.js';
import { ensureBuilt, ROOT } from './support/cli.js';
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

  it('files RAW+JPEG pairs whose RAWs arrive seconds later as one shot, beside a first card’s same names', async () => {
    ensureBuilt();
    const {
      dir,
      inbox,
      config: configFile,
    } = await project({ settle: 200, concurrency: 4 }, 'photosortd-crash-pairs-');
    const staging = join(dir, 'late');
    const raw = await readFile(join(ROOT, 'test', 'fixtures', 'et_CanonRaw.cr3'));
    const pairs = 15;
    for (let i = 0; i < pairs; i++) {
      const name = `IMG_${String(i).padStart(4, '0')}`;
      // Both cards shot that day; the first card's camera used the same numbers.
      for (const [card, seed] of [
        ['card1', 7000 + i],
        ['card2', 8000 + i],
      ] as const) {
        await mkdir(join(inbox, card), { recursive: true });
        const jpeg = await makeJpeg({ date: '2018:02:21 12:08:56', offset: '+00:00', seed });
        await writeFile(join(inbox, card, `${name}.JPG`), jpeg);
      }
      // The second card's RAWs (the fixture's shot, made distinct by a trailer) come later.
      await mkdir(join(staging, 'card2'), { recursive: true });
      await writeFile(join(staging, 'card2', `${name}.CR3`), Buffer.concat([raw, randomBytes(64)]));
    }
    const seed = Date.now() % 100_000;
    const trial = await runCrashTrial({
      inbox,
      library: join(dir, 'library'),
      configFile,
      kills: 2,
      random: seeded(seed),
      timeoutMs: 90_000,
      late: { staging, afterMs: 3000 },
    });
    const why = `seed ${seed}, filed at each kill: ${trial.filedAtKill.join(', ')}`;
    expect(trial.lastExit, why).toBe(0);
    expect({ lost: trial.lost, twice: trial.twice, partial: trial.partial }, why).toEqual({
      lost: [],
      twice: [],
      partial: [],
    });
    expect(trial.filed.size, why).toBe(pairs * 3);
    // Each RAW sits beside its own JPEG under one name, whichever card took the plain name.
    expect(trial.splitShots, why).toEqual([]);
    expect(trial.undo, why).toEqual({ code: 0, stderr: '' });
    expect(trial.sameInbox, why).toBe(true);
    expect(trial.libraryAfterUndo).toEqual([]);
  }, 240_000);
});

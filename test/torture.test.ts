import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareTorture, runTortureTrial } from '../bench/lib/torture.js';
import { ensureBuilt } from './support/cli.js';
import { tempDir } from './support/fs.js';

/** tmpfs: another filesystem than the temp folder's, so that those inbox's files are copied. */
const OTHER_FS = '/dev/shm';
const made: string[] = [];

afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('a daemon filing while every other command runs against its state folder', () => {
  it('loses, doubles and half-writes nothing, leaves no planned row, and undo --all restores both inboxes', async () => {
    ensureBuilt();
    const dir = await tempDir('photosortd-torture-');
    const far = await mkdtemp(join(OTHER_FS, 'photosortd-torture-'));
    made.push(dir, far);
    expect((await stat(far)).dev).not.toBe((await stat(dir)).dev);
    const setup = await prepareTorture({ dir, far, outsideFiles: 10, concurrency: 8 });
    const trial = await runTortureTrial({ ...setup, files: 90, timeoutMs: 240_000 });
    const why = JSON.stringify(trial.answers);

    // Each of the other commands really ran beside the daemon, and answered as it should.
    expect(trial.answers.dryRun.ok, why).toBeGreaterThan(0);
    expect(trial.answers.dryRun.other, why).toEqual([]);
    expect(trial.answers.dryRunChangedSomething, why).toBe(0);
    expect(trial.answers.scan.refused, why).toBeGreaterThan(0);
    expect(trial.answers.scan.other, why).toEqual([]);
    expect(trial.answers.undo.ok, why).toBeGreaterThan(0);
    expect(trial.answers.undo.other, why).toEqual([]);
    expect(trial.answers.secondRun.refused, why).toBeGreaterThan(0);
    expect(trial.answers.secondRun.other, why).toEqual([]);
    expect(trial.answers.journal.ok, why).toBeGreaterThan(0);
    expect(trial.answers.journal.other, why).toEqual([]);

    expect(trial.lastExit).toBe(0);
    expect({ lost: trial.lost, twice: trial.twice, partial: trial.partial }).toEqual({
      lost: [],
      twice: [],
      partial: [],
    });
    expect(trial.planned).toBe(0);
    expect(trial.outsideUntouched).toBe(true);
    expect(trial.undo).toEqual({ code: 0, stderr: '' });
    expect(trial.inboxesRestored).toBe(true);
    expect(trial.libraryAfterUndo).toEqual([]);
  }, 300_000);
});

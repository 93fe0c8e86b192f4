import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './support/cli.js';
import { listFiles, snapshot, tempDir, waitFor } from './support/fs.js';
import { makeJpeg } from './support/media.js';

/** Resolves with the exit code (or signal) once the process has ended. */
function exited(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve(child.exitCode ?? child.signalCode);
    else child.once('exit', (code, signal) => resolve(code ?? signal));
  });
}

/** Resolves when the daemon has logged that it is watching. */
function watching(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"msg":"watching"')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`daemon exited with ${code} before watching:\n${seen}`)),
    );
  });
}

describe('a daemon killed in the middle of a burst', () => {
  it('loses and duplicates nothing after restart, and undo --all restores the inbox exactly', async () => {
    const dir = await tempDir('photosortd-crash-');
    const inbox = join(dir, 'inbox');
    const library = join(dir, 'library');
    await mkdir(inbox);
    const configFile = join(dir, 'photosortd.config.yaml');
    await writeFile(
      configFile,
      stringify({
        library: './library',
        inboxes: ['./inbox'],
        state: './state',
        settle: 200,
        concurrency: 4,
        geocode: { enabled: false },
        api: { enabled: false },
        rules: [{ name: 'default', to: '{year}/{date}/{name}{ext}' }],
      }),
    );
    const count = 120;
    for (let i = 0; i < count; i++) {
      const month = String((i % 12) + 1).padStart(2, '0');
      const bytes = await makeJpeg({
        date: `2019:${month}:10 10:00:${String(i % 60).padStart(2, '0')}`,
        seed: 5000 + i,
      });
      await writeFile(join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), bytes);
    }
    const original = await snapshot(inbox);
    const env = { PHOTOSORTD_LOG_LEVEL: 'info' };

    const filedAtKill: number[] = [];
    for (let round = 0; round < 3; round++) {
      const daemon = startCli(['run', '--config', configFile], { env });
      await watching(daemon);
      const already = (await listFiles(library)).length;
      if (already < count) {
        // Kill at a moment when some, but not all, of the remaining files are filed.
        await waitFor(
          async () =>
            (await listFiles(library)).length > already + 5 ||
            (await listFiles(inbox)).length === 0,
          {
            what: 'some progress',
            intervalMs: 20,
          },
        );
      }
      daemon.kill('SIGKILL');
      await exited(daemon);
      filedAtKill.push((await listFiles(library)).length);
    }
    // The kills did land in the middle of the burst, not before or after it.
    expect(filedAtKill.some((n) => n > 0 && n < count)).toBe(true);

    const last = startCli(['run', '--config', configFile], { env });
    await watching(last);
    await waitFor(async () => (await listFiles(inbox)).length === 0, {
      what: 'an empty inbox',
      timeoutMs: 60_000,
    });
    last.kill('SIGTERM');
    expect(await exited(last)).toBe(0);

    // Every input exists exactly once in the library, with its bytes; nothing partial is left.
    const filed = await snapshot(library);
    expect(filed.size).toBe(count);
    expect(new Set(filed.values())).toEqual(new Set(original.values()));
    expect(
      [...filed.keys()].filter((path) => !/^2019\/2019-\d\d-10\/IMG_\d{4}\.jpg$/.test(path)),
    ).toEqual([]);

    const undo = await runCli(['undo', '--all', '--config', configFile]);
    expect(undo.stderr).toBe('');
    expect(undo.code).toBe(0);
    expect(await snapshot(inbox)).toEqual(original);
    expect(await listFiles(library)).toEqual([]);
  }, 180_000);
});

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { STOP_TIMEOUT_MS } from '../src/cli/run.js';
import { exited, logOf, runCli, startCli, watching } from './support/cli.js';
import { exists } from '../src/lib/exists.js';
import { listFiles, snapshot, tempDir, waitFor } from './support/fs.js';
import { makeJpeg, writeJpeg } from './support/media.js';

/** A folder with an inbox, a config file for it, and a way to rewrite that config. */
async function setup(prefix: string, extra: Record<string, unknown> = {}) {
  const dir = await tempDir(prefix);
  const inbox = join(dir, 'inbox');
  const library = join(dir, 'library');
  await mkdir(inbox);
  await mkdir(library);
  const configFile = join(dir, 'photosortd.config.yaml');
  const base = {
    library: './library',
    inboxes: ['./inbox'],
    state: './state',
    settle: 200,
    concurrency: 4,
    geocode: { enabled: false },
    api: { enabled: false },
    rules: [{ name: 'default', to: '{year}/{name}{ext}' }],
    ...extra,
  };
  const writeConfig = (config: Record<string, unknown>) =>
    writeFile(configFile, typeof config.raw === 'string' ? config.raw : stringify(config));
  await writeConfig(base);
  return { dir, inbox, library, configFile, base, writeConfig };
}

describe('SIGTERM', () => {
  it('and SIGHUP during start-up (indexing the library) are kept for when it has started', async () => {
    const { library, configFile } = await setup('photosortd-sigterm-start-');
    // Enough files that indexing the library takes a while.
    for (let folder = 0; folder < 30; folder++) {
      await mkdir(join(library, String(folder)), { recursive: true });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          writeFile(join(library, String(folder), `${i}.jpg`), `photo ${folder}/${i}`),
        ),
      );
    }
    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    // The journal exists as soon as start-up is under way, long before "watching".
    await waitFor(() => exists(join(library, '..', 'state', 'journal.sqlite')), {
      what: 'the journal to be opened',
      intervalMs: 5,
    });
    daemon.kill('SIGHUP');
    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
    // It finishes starting, reloads, then stops the way it always does.
    expect(log.text()).toContain('"msg":"reloading the configuration"');
    expect(log.text()).toContain('"msg":"stopping"');
    expect(log.text()).toContain('"msg":"stopped"');
    expect(await exists(join(library, '..', 'state', 'daemon.json'))).toBe(false);
  });

  it('during a burst exits 0 within the bound, and a restart files the rest with nothing lost', async () => {
    const { inbox, library, configFile } = await setup('photosortd-sigterm-');
    const count = 150;
    for (let i = 0; i < count; i++) {
      const bytes = await makeJpeg({ date: '2021:03:04 05:06:07', seed: 7000 + i });
      await writeFile(join(inbox, `IMG_${String(i).padStart(4, '0')}.jpg`), bytes);
    }
    const original = await snapshot(inbox);

    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    await watching(daemon);
    await waitFor(async () => (await listFiles(library)).length > 5, {
      what: 'some files filed',
      intervalMs: 10,
    });
    const sent = Date.now();
    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
    const took = Date.now() - sent;
    expect(took).toBeLessThan(STOP_TIMEOUT_MS);
    expect(log.text()).toContain('"msg":"stopped"');

    // Stopped part-way: each file is in exactly one place, whole.
    const filedAtStop = await snapshot(library);
    const left = await snapshot(inbox);
    expect(filedAtStop.size).toBeGreaterThan(0);
    expect(left.size).toBeGreaterThan(0);
    expect(filedAtStop.size + left.size).toBe(count);
    expect(new Set([...filedAtStop.values(), ...left.values()])).toEqual(
      new Set(original.values()),
    );

    const again = startCli(['run', '--config', configFile]);
    await watching(again);
    await waitFor(async () => (await listFiles(inbox)).length === 0, {
      what: 'an empty inbox',
      timeoutMs: 60_000,
    });
    again.kill('SIGTERM');
    expect(await exited(again)).toBe(0);
    const filed = await snapshot(library);
    expect(filed.size).toBe(count);
    expect(new Set(filed.values())).toEqual(new Set(original.values()));
    expect([...filed.keys()].every((path) => /^2021\/IMG_\d{4}\.jpg$/.test(path))).toBe(true);
  }, 120_000);
});

describe('SIGHUP', () => {
  it('watches a newly listed inbox and files with the new rules', async () => {
    const { dir, inbox, library, configFile, base, writeConfig } =
      await setup('photosortd-sighup-');
    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    await watching(daemon);

    const second = join(dir, 'second');
    await writeJpeg(join(second, 'waiting.jpg'), { date: '2022:01:02 03:04:05', seed: 1 });
    await writeConfig({
      ...base,
      inboxes: ['./inbox', './second'],
      rules: [{ name: 'new', to: 'new/{year}/{name}{ext}' }],
    });
    daemon.kill('SIGHUP');
    await log.waitFor('"msg":"configuration reloaded"');
    expect(log.text()).toContain(`"added":["${second}"]`);

    await writeJpeg(join(second, 'later.jpg'), { date: '2022:01:02 03:04:05', seed: 2 });
    await writeJpeg(join(inbox, 'first.jpg'), { date: '2022:01:02 03:04:05', seed: 3 });
    await waitFor(async () => (await listFiles(library)).length === 3, { what: '3 filed' });
    expect(await listFiles(library)).toEqual([
      'new/2022/first.jpg',
      'new/2022/later.jpg',
      'new/2022/waiting.jpg',
    ]);

    // Dropping the first inbox again releases it: a file there now stays put.
    await writeConfig({ ...base, inboxes: ['./second'] });
    daemon.kill('SIGHUP');
    await log.waitFor('"msg":"configuration reloaded"');
    expect(log.text()).toContain(`"removed":["${inbox}"]`);
    await writeJpeg(join(inbox, 'ignored.jpg'), { date: '2022:01:02 03:04:05', seed: 4 });
    await writeJpeg(join(second, 'taken.jpg'), { date: '2022:01:02 03:04:05', seed: 5 });
    await waitFor(async () => (await listFiles(library)).includes('2022/taken.jpg'), {
      what: 'taken.jpg filed',
    });
    expect(await listFiles(inbox)).toEqual(['ignored.jpg']);

    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
  }, 60_000);

  it('refuses a broken or looping configuration and keeps the one in use', async () => {
    const { inbox, library, configFile, base, writeConfig } = await setup('photosortd-sighup-bad-');
    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    await watching(daemon);

    await writeConfig({ raw: 'library: ./library\ninboxes: [./inbox\nrules: {{{' });
    daemon.kill('SIGHUP');
    await log.waitFor('new configuration refused; the one in use is kept');

    await writeConfig({ ...base, rules: [{ name: 'bad', to: '{year}/{nonsense}' }] });
    daemon.kill('SIGHUP');
    await log.waitFor('new configuration refused; the one in use is kept');
    expect(log.text()).toContain('nonsense');

    // An inbox inside the library would feed filed photos back in: refused before watching.
    await mkdir(join(library, 'loop'), { recursive: true });
    await writeConfig({ ...base, inboxes: ['./inbox', './library/loop'] });
    daemon.kill('SIGHUP');
    await log.waitFor('new configuration refused; the one in use is kept');
    expect(log.text()).toContain('overlap');

    await writeJpeg(join(inbox, 'still.jpg'), { date: '2020:05:06 07:08:09', seed: 9 });
    await waitFor(async () => (await listFiles(library)).includes('2020/still.jpg'), {
      what: 'still.jpg filed by the old rule',
    });
    expect(log.text()).not.toContain('"msg":"configuration reloaded"');
    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
  }, 60_000);
});

describe('start-up checks', () => {
  it('refuses an inbox inside the library with exit 2 and says why', async () => {
    const { configFile, base, writeConfig, library } = await setup('photosortd-overlap-');
    await mkdir(join(library, 'inbox'), { recursive: true });
    await writeConfig({ ...base, inboxes: ['./library/inbox'] });
    const result = await runCli(['run', '--config', configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('overlap');
    expect(result.stderr).toContain('inboxes[0].path');
  });
});

describe('an inbox that disappears', () => {
  it('shows as missing meanwhile and is watched again when it comes back', async () => {
    const { dir, inbox, library, configFile } = await setup('photosortd-vanish-', {
      api: { listen: '127.0.0.1:0' },
    });
    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    await watching(daemon);
    const status = async () =>
      JSON.parse((await runCli(['status', '--json', '--config', configFile])).stdout) as {
        inboxes: { path: string; watching: boolean; problem?: string }[];
      };
    // The API starts after the watchers; daemon.json names it once it listens.
    await waitFor(
      async () => (await runCli(['status', '--json', '--config', configFile])).code === 0,
      { what: 'the control API' },
    );
    expect((await status()).inboxes).toEqual([{ path: inbox, watching: true }]);

    // As an unmounted disk would: the folder goes away with what was in it.
    await rename(inbox, join(dir, 'elsewhere'));
    await log.waitFor('inbox unavailable');
    expect((await status()).inboxes).toEqual([
      { path: inbox, watching: false, problem: 'missing' },
    ]);

    // It comes back holding a file, and later gets another.
    await mkdir(join(dir, 'back'));
    await writeJpeg(join(dir, 'back', 'was-there.jpg'), { date: '2023:04:05 06:07:08', seed: 1 });
    await rename(join(dir, 'back'), inbox);
    await log.waitFor('inbox is back; watching it again');
    await writeJpeg(join(inbox, 'new.jpg'), { date: '2023:04:05 06:07:08', seed: 2 });
    await waitFor(async () => (await listFiles(library)).length === 2, { what: 'both filed' });
    expect(await listFiles(library)).toEqual(['2023/new.jpg', '2023/was-there.jpg']);
    expect((await status()).inboxes).toEqual([{ path: inbox, watching: true }]);

    // Removed outright and made again: a new folder, watched again too.
    await rm(inbox, { recursive: true });
    await log.waitFor('inbox unavailable');
    await mkdir(inbox);
    await log.waitFor('inbox is back; watching it again');
    await writeJpeg(join(inbox, 'third.jpg'), { date: '2023:04:05 06:07:08', seed: 3 });
    await waitFor(async () => (await listFiles(library)).includes('2023/third.jpg'), {
      what: 'third.jpg filed',
    });

    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
  }, 60_000);
});

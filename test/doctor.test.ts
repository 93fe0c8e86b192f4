import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/lib/version.js';
import { runCli } from './support/cli.js';
import { tempDir } from './support/fs.js';

async function configIn(dir: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'photosortd.config.yaml');
  await writeFile(file, stringify(config));
  return file;
}

describe('photosortd doctor', () => {
  it('prints versions and paths, and exits 0 when everything needed works', async () => {
    const dir = await tempDir('photosortd-doctor-');
    for (const folder of ['a', 'b/c', '.stfolder']) {
      await mkdir(join(dir, 'inbox', folder), { recursive: true });
    }
    await mkdir(join(dir, 'library'));
    const file = await configIn(dir, {
      library: './library',
      inboxes: ['./inbox'],
      state: './state',
      api: { enabled: false },
    });
    const result = await runCli(['doctor', '--config', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`photosortd   ✓ ${VERSION}`);
    expect(result.stdout).toContain(`node         ✓ ${process.version}`);
    expect(result.stdout).toMatch(/perl {9}✓ v5\.\d+/);
    expect(result.stdout).toMatch(/exiftool {5}✓ \d+\.\d+/);
    expect(result.stdout).toMatch(/onnxruntime {2}✓ \d+\.\d+\.\d+/);
    // No model here, and tagging is off: shown, but not a failure.
    expect(result.stdout).toContain('model        – no model at');
    expect(result.stdout).toContain(`config   ${file}`);
    expect(result.stdout).toContain(`inbox 1  ${join(dir, 'inbox')}`);
    expect(result.stdout).toContain(`state    ${join(dir, 'state')}`);
    expect(result.stdout).toContain('startup  ✓ 1 rule(s) compile');
    // The inbox, a, b and b/c; not the hidden one.
    if (process.platform === 'linux') {
      expect(result.stdout).toMatch(
        /inotify {2}✓ 4 folder\(s\) to watch, fs\.inotify\.max_user_watches \d+/,
      );
    }
    expect(result.stdout).toContain('daemon   – not running');
  });

  it('says how files will move from each inbox: a hard link on one disk, a copy from another', async () => {
    const dir = await tempDir('photosortd-doctor-');
    await mkdir(join(dir, 'inbox'));
    await mkdir(join(dir, 'library'));
    // tmpfs: another filesystem than the temp folder's.
    const other = await mkdtemp(join('/dev/shm', 'photosortd-doctor-'));
    const file = await configIn(dir, {
      library: './library',
      inboxes: ['./inbox', other],
      state: './state',
      api: { enabled: false },
    });

    const result = await runCli(['doctor', '--config', file]);

    expect(result.stdout).toMatch(/moves 1 +✓ hard link \(same filesystem\): no bytes copied/);
    expect(result.stdout).toMatch(/moves 2 +✓ copy \(another filesystem\): every byte copied once/);
    // The probe leaves nothing behind in the library.
    expect(await readdir(join(dir, 'library'))).toEqual([]);
  });

  it('exits 2 and names each start-up problem, as run would', async () => {
    const dir = await tempDir('photosortd-doctor-bad-');
    const file = await configIn(dir, {
      library: './library',
      inboxes: ['./missing'],
      state: './state',
      rules: [{ name: 'broken', to: '{year}/{nope}' }],
      tagging: { enabled: true, model: './no-model' },
    });
    const result = await runCli(['doctor', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      `startup  ✗ inboxes[0].path: ${join(dir, 'missing')} does not exist`,
    );
    expect(result.stdout).toMatch(/startup {2}✗ .*nope/);
    expect(result.stdout).toContain(`model        ✗ no model at ${join(dir, 'no-model')}`);
  });

  it('still prints the versions when the configuration cannot be loaded, and exits 2', async () => {
    const dir = await tempDir('photosortd-doctor-config-');
    const file = await configIn(dir, { library: './library', inboxes: ['./inbox'], colour: 1 });
    const result = await runCli(['doctor', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/exiftool {5}✓/);
    expect(result.stdout).toContain('unknown key "colour"');
  });
});

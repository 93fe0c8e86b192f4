import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { listFiles, snapshot } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { project as makeProject } from './support/project.js';

/** A project whose rules tell Canon photos apart, so rule matching shows in the paths. */
async function project(config: Record<string, unknown> = {}) {
  const p = await makeProject(
    {
      rules: [
        { name: 'canon', when: { camera: 'canon' }, to: 'Canon/{year}/{name}{ext}' },
        { name: 'default', to: '{year}/{date}/{name}{ext}' },
      ],
      ...config,
    },
    'photosortd-cli-',
  );
  return { dir: p.dir, file: p.config };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('photosortd CLI', () => {
  it('prints its version and help with status 0, and refuses an unknown command with 2', async () => {
    const version = await runCli(['--version']);
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('scan');
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });

  it('config check names a bad key and exits 2; a good config prints with defaults', async () => {
    const bad = await project({ concurency: 2 });
    const result = await runCli(['config', 'check', '--config', bad.file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown key "concurency"');
    const good = await project();
    const ok = await runCli(['config', 'check', '--config', good.file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('onCollision: suffix');
  });

  it('config check refuses a template with an unknown token, with exit 2', async () => {
    const { file } = await project({ rules: [{ name: 'x', to: '{yaer}/{name}{ext}' }] });
    const result = await runCli(['config', 'check', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('yaer');
  });

  it('scan --dry-run --json reports each file and changes nothing; scan files them; undo restores', async () => {
    // notes.txt is not media: sent to Unsorted rather than left in place (the default).
    const { dir, file } = await project({ nonMedia: 'Unsorted/{name}{ext}' });
    const inbox = join(dir, 'inbox');
    await writeJpeg(join(inbox, 'IMG_A.jpg'), {
      date: '2018:03:04 05:06:07',
      make: 'Canon',
      model: 'EOS 5D',
      seed: 21,
    });
    await writeJpeg(join(inbox, 'sub', 'IMG_B.JPG'), {
      date: '2017:12:31 23:59:59',
      offset: '-05:00',
      seed: 22,
    });
    await writeFile(join(inbox, 'notes.txt'), 'not a photo');
    const before = await snapshot(inbox);

    const dry = await runCli(['scan', inbox, '--dry-run', '--json', '--config', file]);
    expect(dry.code).toBe(0);
    const planned = jsonLines(dry.stdout).sort((a, b) =>
      String(a.source).localeCompare(String(b.source)),
    );
    expect(planned).toHaveLength(3);
    expect(planned[0]).toMatchObject({
      source: join(inbox, 'IMG_A.jpg'),
      target: join(dir, 'library', 'Canon/2018/IMG_A.jpg'),
      action: 'move',
      rule: 'canon',
      takenAt: '2018-03-04T05:06:07',
      dateSource: 'ExifIFD:DateTimeOriginal',
      place: null,
      error: null,
    });
    expect(planned[1]).toMatchObject({
      action: 'unsorted',
      target: join(dir, 'library', 'Unsorted/notes.txt'),
    });
    expect(planned[2]).toMatchObject({
      target: join(dir, 'library', '2017/2017-12-31/IMG_B.JPG'),
      takenAt: '2017-12-31T23:59:59-05:00',
    });
    expect(await snapshot(inbox)).toEqual(before);
    expect(await listFiles(join(dir, 'library'))).toEqual([]);

    const real = await runCli(['scan', inbox, '--config', file]);
    expect(real.code).toBe(0);
    expect(real.stderr).toMatch(/moved\s+2/);
    expect(real.stderr).toMatch(/unsorted\s+1/);
    expect(await listFiles(join(dir, 'library'))).toEqual([
      '2017/2017-12-31/IMG_B.JPG',
      'Canon/2018/IMG_A.jpg',
      'Unsorted/notes.txt',
    ]);
    const batch = /undo --batch (\S+)/.exec(real.stderr)?.[1];
    expect(batch).toBeTruthy();

    const journal = await runCli(['journal', '--json', '--config', file]);
    expect(jsonLines(journal.stdout)).toHaveLength(3);

    const undo = await runCli(['undo', '--batch', batch!, '--config', file]);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain('put back 3 files (batch ');
    expect(await snapshot(inbox)).toEqual(before);
  });

  it('undo needs exactly one selector (exit 2)', async () => {
    const { file } = await project();
    const result = await runCli(['undo', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('exactly one of --last N, --batch ID or --all');
  });

  it('undo refuses a file changed since it was filed, and --force restores it', async () => {
    const { dir, file } = await project();
    await writeJpeg(join(dir, 'inbox', 'IMG_C.jpg'), { date: '2016:01:01 10:00:00', seed: 31 });
    expect((await runCli(['scan', join(dir, 'inbox'), '--config', file])).code).toBe(0);
    const filed = join(dir, 'library', '2016/2016-01-01/IMG_C.jpg');
    await writeFile(filed, Buffer.concat([await readFile(filed), Buffer.from('edited')]));
    const refused = await runCli(['undo', '--last', '1', '--config', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('refused');
    expect(await listFiles(join(dir, 'inbox'))).toEqual([]);
    const forced = await runCli(['undo', '--last', '1', '--force', '--config', file]);
    expect(forced.code).toBe(0);
    expect(await listFiles(join(dir, 'inbox'))).toEqual(['IMG_C.jpg']);
  });
});

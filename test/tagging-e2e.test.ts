import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import { silentLogger } from '../src/lib/logger.js';
import { ROOT, runCli } from './support/cli.js';
import { listFiles, snapshot, tempDir, waitFor } from './support/fs.js';
import { projectConfig } from './support/daemon-project.js';
import { project as makeProject } from './support/project.js';

let work: string;
let modelDir: string;
const exiftool = new ExifTool({ maxProcs: 1 });

/** A solid-colour JPEG with a capture date, so the colour model has something to see. */
async function colourPhoto(
  path: string,
  rgb: [number, number, number],
  date: string,
): Promise<void> {
  const [r, g, b] = rgb;
  await mkdir(join(path, '..'), { recursive: true });
  const bytes = await sharp({
    create: { width: 96, height: 64, channels: 3, background: { r, g, b } },
  })
    .jpeg()
    .withExif({ IFD2: { DateTimeOriginal: date } })
    .toBuffer();
  await writeFile(path, bytes);
}

beforeAll(() => {
  return (async () => {
    work = await tempDir('photosortd-tag-e2e-');
    modelDir = join(work, 'models', 'colour-clip');
    execFileSync(process.execPath, [join(ROOT, 'scripts/make-test-model.js'), modelDir]);
  })();
});

afterAll(async () => {
  await exiftool.end();
});

async function project(tagging: Record<string, unknown>) {
  const p = await makeProject(
    {
      tagging: {
        enabled: true,
        labels: ['red', 'green', 'blue'],
        minScore: 0.4,
        maxTags: 2,
        ...tagging,
      },
      rules: [
        { name: 'reds', when: { tags: ['red'] }, to: 'Red/{year}/{name}{ext}' },
        { name: 'default', to: '{year}/{tag|untagged}/{name}{ext}' },
      ],
    },
    'photosortd-tag-e2e-project-',
  );
  return { dir: p.dir, file: p.config };
}

describe('AI tags, end to end', () => {
  it('a duplicate that stays in the inbox is not run through the model', async () => {
    const { dir, file } = await project({ model: modelDir, write: 'none' });
    const inbox = join(dir, 'inbox');
    await colourPhoto(join(inbox, 'IMG_green.jpg'), [20, 230, 20], '2021:09:09 12:00:00');
    expect((await runCli(['scan', inbox, '--config', file])).code).toBe(0);
    await copyFile(
      join(dir, 'library', '2021', 'green', 'IMG_green.jpg'),
      join(inbox, 'again.jpg'),
    );
    const result = await runCli(['scan', inbox, '--json', '--config', file]);
    const [line] = result.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { action: string; tags: unknown });
    expect(line).toMatchObject({ action: 'duplicate', tags: null });
  }, 180_000);

  it('scan --json reports tags, a rule on a tag routes the file, {tag} names a folder, the sidecar holds the tags', async () => {
    const { dir, file } = await project({ model: modelDir, write: 'sidecar' });
    await colourPhoto(join(dir, 'inbox', 'IMG_red.jpg'), [230, 20, 20], '2021:07:07 12:00:00');
    await colourPhoto(join(dir, 'inbox', 'IMG_blue.jpg'), [20, 20, 230], '2021:08:08 12:00:00');
    const before = await snapshot(join(dir, 'inbox'));

    const result = await runCli(['scan', join(dir, 'inbox'), '--json', '--config', file]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { source: string; rule: string; tags: { label: string }[] },
      );
    const red = lines.find((line) => line.source.endsWith('IMG_red.jpg'));
    const blue = lines.find((line) => line.source.endsWith('IMG_blue.jpg'));
    expect(red?.tags[0]?.label).toBe('red');
    expect(red?.rule).toBe('reds');
    expect(blue?.tags[0]?.label).toBe('blue');
    expect(blue?.rule).toBe('default');

    expect(await listFiles(join(dir, 'library'))).toEqual([
      '2021/blue/IMG_blue.jpg',
      '2021/blue/IMG_blue.jpg.xmp',
      'Red/2021/IMG_red.jpg',
      'Red/2021/IMG_red.jpg.xmp',
    ]);
    const sidecar = await exiftool.readRaw(join(dir, 'library', 'Red/2021/IMG_red.jpg.xmp'), [
      '-XMP-dc:Subject',
    ]);
    expect([sidecar.Subject].flat()).toContain('red');

    // The journal keeps the tags with the move.
    const journal = await runCli(['journal', '--json', '--config', file]);
    const moves = journal.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { source: string; details: { tags?: { label: string }[] } | null },
      );
    const redMove = moves.find((entry) => entry.source.endsWith('IMG_red.jpg'));
    expect(redMove?.details?.tags?.[0]?.label).toBe('red');

    // Undo takes the sidecars photosortd wrote along with the photos.
    const undo = await runCli(['undo', '--all', '--config', file]);
    expect(undo.code).toBe(0);
    expect(await listFiles(join(dir, 'library'))).toEqual([]);
    expect(await snapshot(join(dir, 'inbox'))).toEqual(before);
  });

  it('write: embed puts the tags in the file, and undo restores its original bytes', async () => {
    const { dir, file } = await project({ model: modelDir, write: 'embed' });
    await colourPhoto(join(dir, 'inbox', 'IMG_green.jpg'), [20, 220, 20], '2021:09:09 12:00:00');
    const before = await snapshot(join(dir, 'inbox'));
    expect((await runCli(['scan', join(dir, 'inbox'), '--config', file])).code).toBe(0);
    const filed = join(dir, 'library', '2021/green/IMG_green.jpg');
    expect(await listFiles(join(dir, 'library'))).toEqual(['2021/green/IMG_green.jpg']);
    const embedded = await exiftool.readRaw(filed, ['-XMP-dc:Subject']);
    expect([embedded.Subject].flat()).toContain('green');
    expect((await snapshot(join(dir, 'library'))).get('2021/green/IMG_green.jpg')).not.toBe(
      before.get('IMG_green.jpg'),
    );

    const undo = await runCli(['undo', '--last', '1', '--config', file]);
    expect(undo.code).toBe(0);
    expect(await snapshot(join(dir, 'inbox'))).toEqual(before);
    expect(await listFiles(join(dir, 'library'))).toEqual([]);
  });

  it('with no model, the daemon still files photos and its status says why tagging is off', async () => {
    const { dir, loaded: config } = await projectConfig(
      {
        settle: 200,
        tagging: { enabled: true, model: './no-such-model' },
        rules: [{ name: 'default', to: '{year}/{tag|untagged}/{name}{ext}' }],
      },
      'photosortd-tag-missing-',
    );
    const daemon = await launchDaemon(config, silentLogger());
    try {
      const status = daemon.status();
      expect(status.tagging.enabled).toBe(false);
      expect(status.tagging.reason).toContain('no-such-model');
      await colourPhoto(join(dir, 'inbox', 'IMG_1.jpg'), [20, 200, 20], '2020:02:02 10:00:00');
      await waitFor(async () => (await listFiles(config.library)).length === 1, {
        what: 'the photo filed',
      });
      expect(await listFiles(config.library)).toEqual(['2020/untagged/IMG_1.jpg']);
    } finally {
      await daemon.stop();
    }
  });
});

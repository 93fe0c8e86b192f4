import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config/load.js';
import { Journal } from '../src/journal/journal.js';
import { undo } from '../src/journal/undo.js';
import { exiftoolCli, scanJson } from './support/companions.js';
import { listFiles, tempDir } from './support/fs.js';

const PHOTO = join(import.meta.dirname, 'fixtures', 'et_Google.jpg');

/**
 * A library that already holds the photo (copied in by hand, so only the start-up scan of
 * the library can know it) and an inbox with a byte-identical copy under another name.
 */
async function setup(duplicates: string): Promise<{ inbox: string; config: Config }> {
  const dir = await tempDir('photosortd-duplicates-');
  const inbox = join(dir, 'inbox');
  await mkdir(join(dir, 'library', 'old'), { recursive: true });
  await mkdir(inbox);
  await copyFile(PHOTO, join(dir, 'library', 'old', 'PXL_original.jpg'));
  await copyFile(PHOTO, join(inbox, 'copy of it.jpg'));
  const config = parseConfig(
    {
      library: join(dir, 'library'),
      inboxes: [inbox],
      state: join(dir, 'state'),
      geocode: { enabled: false },
      api: { enabled: false },
      rules: [{ name: 'default', to: '{year}/{date}/{name}{ext}' }],
      duplicates,
    },
    null,
  );
  return { inbox, config };
}

describe('an identical copy under another name', () => {
  it('is reported as a duplicate of the original and left in the inbox (duplicates: skip)', async () => {
    const { inbox, config } = await setup('skip');
    const { code, lines } = await scanJson(config, [inbox]);
    expect(code).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        source: join(inbox, 'copy of it.jpg'),
        action: 'duplicate',
        target: null,
        duplicateOf: join(config.library, 'old', 'PXL_original.jpg'),
      }),
    ]);
    expect(await listFiles(inbox)).toEqual(['copy of it.jpg']);
    expect(await listFiles(config.library)).toEqual(['old/PXL_original.jpg']);
  });

  it('goes to the trash after a byte comparison, and undo brings it back (duplicates: delete)', async () => {
    const { inbox, config } = await setup('delete');
    const { lines } = await scanJson(config, [inbox]);
    expect(lines[0]).toMatchObject({
      action: 'duplicate',
      duplicateOf: join(config.library, 'old', 'PXL_original.jpg'),
    });
    expect(lines[0]?.target).toMatch(
      new RegExp(`^${join(config.state, 'trash')}/.+/copy of it\\.jpg$`),
    );
    expect(await listFiles(inbox)).toEqual([]);
    expect(await listFiles(config.library)).toEqual(['old/PXL_original.jpg']);

    const journal = Journal.open(config.state);
    try {
      const result = await undo(journal, { last: 1 });
      expect(result.undone).toHaveLength(1);
    } finally {
      journal.close();
    }
    expect(await readFile(join(inbox, 'copy of it.jpg'))).toEqual(await readFile(PHOTO));
  });

  it('is moved to the duplicates folder the template names (duplicates: a template)', async () => {
    const { inbox, config } = await setup('Duplicates/{year}/{name}{ext}');
    const { lines } = await scanJson(config, [inbox]);
    const target = join(config.library, 'Duplicates', '2023', 'copy of it.jpg');
    expect(lines[0]).toMatchObject({
      action: 'duplicate',
      target,
      duplicateOf: join(config.library, 'old', 'PXL_original.jpg'),
    });
    expect(await listFiles(inbox)).toEqual([]);
    expect(await readFile(target)).toEqual(await readFile(PHOTO));
  });

  it('dropped twice in one scan is filed once, the other copy a duplicate of it', async () => {
    const { inbox, config } = await setup('skip');
    const twin = join(import.meta.dirname, 'fixtures', 'et_MWG.jpg');
    await copyFile(twin, join(inbox, 'a.jpg'));
    await copyFile(twin, join(inbox, 'b.jpg'));
    const { lines } = await scanJson(config, [inbox]);
    const twins = lines.filter((line) => line.source !== join(inbox, 'copy of it.jpg'));
    const moved = twins.find((line) => line.action === 'move');
    expect(moved?.target).toMatch(/2001-01-01\/[ab]\.jpg$/);
    expect(twins.find((line) => line.action === 'duplicate')?.duplicateOf).toBe(moved?.target);
  });

  it('keeps a sidecar the library lacks in the inbox when its duplicate photo is deleted', async () => {
    const { inbox, config } = await setup('delete');
    exiftoolCli(['-q', '-o', join(inbox, 'copy of it.xmp'), join(inbox, 'copy of it.jpg')]);
    const { lines } = await scanJson(config, [inbox]);
    expect(lines.find((line) => line.source.endsWith('.jpg'))?.action).toBe('duplicate');
    expect(lines.find((line) => line.source.endsWith('.xmp'))).toMatchObject({
      action: 'skip',
      target: null,
    });
    expect(await listFiles(inbox)).toEqual(['copy of it.xmp']);
  });
});

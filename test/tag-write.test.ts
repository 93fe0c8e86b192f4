import { ExifTool } from 'exiftool-vendored';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LABELS_FILE, loadLabels, promptFor } from '../src/tagging/labels.js';
import { writeTags } from '../src/tagging/write-tags.js';

let work: string;
let exiftool: ExifTool;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'photosortd-tagwrite-'));
  exiftool = new ExifTool({ maxProcs: 1 });
});

afterAll(async () => {
  await exiftool?.end();
  if (work) await rm(work, { recursive: true, force: true });
});

async function photo(name: string): Promise<string> {
  const file = join(work, name);
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } })
    .jpeg()
    .toFile(file);
  return file;
}

const TAGS = [
  { label: 'beach', score: 0.61 },
  { label: 'sunset', score: 0.22 },
];

describe('writeTags', () => {
  it('writes NAME.EXT.xmp with XMP-dc:Subject that exiftool reads back, file untouched', async () => {
    const file = await photo('IMG_1.jpg');
    const before = await readFile(file);
    const { written } = await writeTags(file, TAGS, 'sidecar', exiftool);
    expect(written).toBe(`${file}.xmp`);
    expect((await exiftool.read(`${file}.xmp`)).Subject).toEqual(['beach', 'sunset']);
    expect(await readFile(file)).toEqual(before);
  });

  it('merges into an existing sidecar, keeping its keywords and other tags', async () => {
    const file = await photo('IMG_2.jpg');
    await exiftool.write(`${file}.xmp`, { Subject: ['family', 'beach'], Rating: 4 });
    await writeTags(file, TAGS, 'sidecar', exiftool);
    const read = await exiftool.read(`${file}.xmp`);
    expect(read.Subject).toEqual(['family', 'beach', 'sunset']);
    expect(read.Rating).toBe(4);
  });

  it('embeds into the file, keeping the untouched original where asked', async () => {
    const file = await photo('IMG_3.jpg');
    const original = await readFile(file);
    const copy = join(work, 'IMG_3.original');
    const { written } = await writeTags(file, TAGS, 'embed', exiftool, { originalCopy: copy });
    expect(written).toBeNull();
    expect((await exiftool.read(file)).Subject).toEqual(['beach', 'sunset']);
    expect(await readFile(copy)).toEqual(original);
    expect(existsSync(`${file}.xmp`)).toBe(false);
    expect(existsSync(`${file}_original`)).toBe(false);
  });

  it('falls back to a sidecar for a file exiftool cannot write', async () => {
    const file = join(work, 'clip.bin');
    await writeFile(file, Buffer.alloc(64, 7));
    const { written } = await writeTags(file, TAGS, 'embed', exiftool);
    expect(written).toBe(`${file}.xmp`);
    expect((await exiftool.read(written!)).Subject).toEqual(['beach', 'sunset']);
  });

  it('writes nothing for mode none or no tags', async () => {
    const file = await photo('IMG_4.jpg');
    expect(await writeTags(file, TAGS, 'none', exiftool)).toEqual({ written: null });
    expect(await writeTags(file, [], 'sidecar', exiftool)).toEqual({ written: null });
    expect(existsSync(`${file}.xmp`)).toBe(false);
  });

  it('says which file it could not write, with a code', async () => {
    const missingDir = join(work, 'no-such-dir', 'IMG.jpg');
    await expect(writeTags(missingDir, TAGS, 'sidecar', exiftool)).rejects.toMatchObject({
      code: 'TAGS_WRITE_FAILED',
      message: expect.stringContaining(missingDir),
    });
  });
});

describe('labels', () => {
  it('ships about fifty everyday labels, screenshot and receipt among them', async () => {
    const labels = await loadLabels(undefined, work);
    expect(DEFAULT_LABELS_FILE).toMatch(/config[\\/]labels\.txt$/);
    expect(labels.length).toBeGreaterThanOrEqual(40);
    expect(labels).toEqual(expect.arrayContaining(['beach', 'dog', 'receipt', 'screenshot']));
  });

  it('reads a label file relative to the config folder, skipping comments and blanks', async () => {
    await writeFile(join(work, 'mine.txt'), '# mine\ncat\n\n  dog  \ncat # again\n');
    expect(await loadLabels('mine.txt', work)).toEqual(['cat', 'dog']);
    expect(await loadLabels(['a', 'b'], work)).toEqual(['a', 'b']);
  });

  it('names the label file it cannot read', async () => {
    await expect(loadLabels('absent.txt', work)).rejects.toMatchObject({
      code: 'TAGGING_LABELS_UNREADABLE',
      message: expect.stringContaining(join(work, 'absent.txt')),
    });
  });

  it('fills the prompt template', () => {
    expect(promptFor('a photo of {}', 'dog')).toBe('a photo of dog');
    expect(promptFor('photo', 'dog')).toBe('photo dog');
  });
});

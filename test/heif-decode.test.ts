import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeHeif, isHeif } from '../src/tagging/heif-decode.js';
import { thumbnailOf } from '../src/web/thumbnail.js';
import { ROOT } from './support/cli.js';
import { CORPUS_DEV, HAS_CORPUS } from './support/corpus.js';
import { tempDir } from './support/fs.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');

describe('which files are HEIF', () => {
  it('knows a HEIC by its ftyp brand, whatever its name, and not a JPEG, PNG or RAW', async () => {
    const dir = await tempDir('photosortd-heif-');
    const renamed = join(dir, 'upload');
    await writeFile(renamed, await readFile(join(FIXTURES, 'tagging', 'blue-from-png.heic')));
    expect(await isHeif(renamed)).toBe(true);
    for (const other of [
      'dn_FujiFilm FinePixS1Pro (2).jpg',
      'ft_fixture-itxt.png',
      'tagging/et_FujiFilm.raf',
      'et_CanonRaw.cr3',
    ]) {
      expect(await isHeif(join(FIXTURES, other)), other).toBe(false);
    }
  });
});

// Real phone photos of 12 MP and more, read in place (ia_ and im_ files may not be copied).
describe.skipIf(!HAS_CORPUS)('decodeHeif on the corpus (shared corpus)', () => {
  it('turns an iPhone portrait upright by its irot, as the EXIF Orientation 6 says', async () => {
    const image = await decodeHeif(join(CORPUS_DEV, 'ia_iphone_13_pro_max.HEIC'));
    expect([image.width, image.height, image.channels]).toEqual([3024, 4032, 4]);
    expect(image.data.length).toBe(3024 * 4032 * 4);
    const landscape = await decodeHeif(join(CORPUS_DEV, 'dn_IMG_1034.heic'));
    expect([landscape.width, landscape.height]).toEqual([4032, 3024]);
  }, 60_000);

  it('decodes off the event loop: timers keep firing while a 12 MP photo is decoded', async () => {
    await decodeHeif(join(CORPUS_DEV, 'ft_fixture-heic.heic')); // The worker is warm.
    let stall = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last - 5);
      last = now;
    }, 5);
    const start = performance.now();
    try {
      await decodeHeif(join(CORPUS_DEV, 'im_IMG_2682.heic'));
      await decodeHeif(join(CORPUS_DEV, 'dn_IMG_1034.heic'));
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - start;
    // On the main thread the loop stalls for the whole decode (≈0.5 s each); in the worker
    // it only competes for a core, so a loaded machine leaves it well under half of that.
    expect(stall, `longest stall ${stall} ms in ${took} ms of decoding`).toBeLessThan(took / 4);
  }, 60_000);

  it('refuses a truncated HEIC, naming the box cut short, rather than fill it with green', async () => {
    const dir = await tempDir('photosortd-heif-');
    const whole = await readFile(join(CORPUS_DEV, 'ft_fixture-heic.heic'));
    const cut = join(dir, 'cut.heic');
    await writeFile(cut, whole.subarray(0, 300_000));
    await expect(decodeHeif(cut)).rejects.toThrow(
      `truncated HEIF: box 'mdat' declares ${whole.length} bytes, but the file ends at 300000`,
    );
    // Whole boxes but no image in them: libheif's reason, which it only prints, is the error's.
    const junk = join(dir, 'junk.heic');
    const mdat = Buffer.alloc(72);
    mdat.writeUInt32BE(72, 0);
    mdat.write('mdat', 4, 'latin1');
    await writeFile(junk, Buffer.concat([whole.subarray(0, whole.readUInt32BE(0)), mdat]));
    await expect(decodeHeif(junk)).rejects.toThrow(
      'HEIF image not found (Could not parse HEIF file',
    );
  }, 60_000);

  it("gives the dashboard's feed an upright thumbnail of an iPhone HEIC, and none of a truncated one", async () => {
    const dir = await tempDir('photosortd-heif-');
    const heic = join(dir, 'IMG_0001.HEIC');
    await copyFile(join(CORPUS_DEV, 'ft_fixture-heic.heic'), heic);
    const thumb = await thumbnailOf(heic, [dir]);
    const meta = await sharp(thumb!.jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 120, 160]);
    const cut = join(dir, 'IMG_0002.HEIC');
    await writeFile(cut, (await readFile(heic)).subarray(0, 300_000));
    expect(await thumbnailOf(cut, [dir])).toBeUndefined();
  }, 60_000);
});

import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED_GEONAMES_DIR, geonamesFiles, prepareGeonamesData } from '../src/geocode/data.js';

// Laying the GeoNames data out reads ~30 MB of sources and takes seconds of CPU each time;
// the build does it once (dist/geonames), these tests do it for real.
describe('preparing the data', () => {
  it('prepares once into a folder, then finds it current; a copy cut short is made again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-geocode-prepare-'));
    const files = await prepareGeonamesData(dir);
    expect((await readFile(files.admin1, 'utf8')).split('\n').length).toBeGreaterThan(1000);
    const written = (await stat(files.cities)).mtimeMs;
    await prepareGeonamesData(dir);
    expect((await stat(files.cities)).mtimeMs).toBe(written);
    // A preparation cut short leaves no stamp behind: the next start makes the copy again.
    await rm(join(dir, 'source.json'));
    await writeFile(files.cities, 'half a file');
    await prepareGeonamesData(dir);
    expect((await readFile(files.cities, 'utf8')).split('\n').length).toBeGreaterThan(100_000);
  }, 120_000);

  it('a state folder is used only when the package has no current copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'photosortd-geocode-fallback-'));
    const current = await readFile(join(SHIPPED_GEONAMES_DIR, 'source.json'), 'utf8');
    // A package whose copy was made by another preparation (or from other sources).
    const old = join(dir, 'package-copy');
    await cp(SHIPPED_GEONAMES_DIR, old, { recursive: true });
    await writeFile(
      join(old, 'source.json'),
      JSON.stringify({ ...JSON.parse(current), preparation: -1 }),
    );
    const files = await geonamesFiles(join(dir, 'state'), old);
    expect(files.dumpDir).toBe(join(dir, 'state', 'geonames'));
    expect(await readFile(join(files.dumpDir, 'source.json'), 'utf8')).toBe(current);
  }, 120_000);
});

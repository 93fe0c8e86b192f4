import { basename, join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SHOTS,
  hasChromium,
  imageLoaded,
  launchChromium,
  logIn,
  unlabelledControls,
} from './support/browser.js';
import { READ_KEY, dashboardWorld, type DashboardWorld } from './support/dashboard.js';
import { tempDir } from './support/fs.js';
import {
  COLOUR_PHOTOS,
  colourModel,
  dropColourPhotos,
  writeColourPhoto,
} from './support/search-world.js';

/**
 * The dashboard's Search page in a real browser (Debian's chromium through playwright-core)
 * over a real daemon that tagged colour photos with the colour test model as it filed them.
 */

const HAS_CHROMIUM = hasChromium('the dashboard search browser suite');

describe.skipIf(!HAS_CHROMIUM)('dashboard search in chromium', () => {
  const exiftool = new ExifTool({ maxProcs: 1 });
  let world: DashboardWorld;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const model = colourModel(await tempDir('photosortd-search-browser-'));
    world = await dashboardWorld({
      tagging: { enabled: true, model, labels: ['red', 'green', 'blue', 'white'], minScore: 0.3 },
    });
    await dropColourPhotos(world, COLOUR_PHOTOS, exiftool);
    ({ context, page } = await launchChromium());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await world?.stop();
    await exiftool.end();
  });

  /** The file names of the hits on the page, in its order. */
  async function hitNames(): Promise<string[]> {
    const paths = await page
      .locator('.hit')
      .evaluateAll((items) =>
        items.map((item) => (item as unknown as { dataset: { path: string } }).dataset.path),
      );
    return paths.map((path) => basename(path));
  }

  async function allThumbnailsLoaded(): Promise<void> {
    const thumbs = page.locator('.hit img.hit-thumb');
    const count = await thumbs.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) await imageLoaded(thumbs.nth(i), `thumbnail ${i + 1}`);
  }

  it('finds the red photos first for "red", with their thumbnails, for a read-scope login', async () => {
    await logIn(page, world.url, READ_KEY);
    // g then s opens Search, as the navigation link does.
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await page.waitForURL(`${world.url}/ui/search`);
    await page.getByRole('heading', { name: 'Search' }).waitFor();
    // From the keyboard: type the query and press Enter.
    await page.getByLabel('Search for').fill('red');
    await page.getByLabel('Search for').press('Enter');
    await page.waitForURL(/\/ui\/search\?q=red/);
    await page.locator('.hit').first().waitFor();

    const names = await hitNames();
    expect(names.slice(0, 2)).toEqual(['red-a.jpg', 'red-b.jpg']);
    expect(names).toHaveLength(COLOUR_PHOTOS.length);
    await allThumbnailsLoaded();
    const first = page.locator('.hit').first();
    await expect(first.textContent()).resolves.toMatch(/score (1\.0000|0\.9\d{3})/);
    await expect(first.textContent()).resolves.toContain('2021-05-01 10:00');
    await page.screenshot({ path: join(SHOTS, 'dashboard-search.png'), fullPage: true });

    // Readable on a phone, dark or light: nothing wider than the screen; every control labelled.
    await page.setViewportSize({ width: 360, height: 780 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByText('Filters').click();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('shows more like a red photo: the other red first, without the photo itself', async () => {
    await page.getByRole('link', { name: 'More like this: red-a.jpg' }).click();
    await page.waitForURL(/like=/);
    await page.locator('.hit').first().waitFor();
    const names = await hitNames();
    expect(names[0]).toBe('red-b.jpg');
    expect(names).not.toContain('red-a.jpg');
    await allThumbnailsLoaded();
    await expect(page.locator('.like').textContent()).resolves.toContain('red-a.jpg');
  });

  it('narrows with the labelled filters and sorts by date', async () => {
    await page.goto(`${world.url}/ui/search?q=red`);
    await page.getByText('Filters').click();
    await page.getByLabel('Taken from').fill('2021-05-02');
    await page.getByLabel('Minimum score (-1 to 1)').fill('-1');
    await page.getByLabel('Sort by').selectOption('date');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/sort=date/);
    await page.locator('.hit').first().waitFor();
    expect(await hitNames()).toEqual(['white.jpg', 'green.jpg', 'red-b.jpg', 'blue.jpg']);
  });

  it("finds photos like one chosen from the visitor's disk, reds first", async () => {
    const red = join(await tempDir('photosortd-search-browser-upload-'), 'my-red.jpg');
    await writeColourPhoto(
      red,
      { name: 'mine', rgb: [220, 30, 25], date: '2024:01:01 10:00:00' },
      exiftool,
    );
    await page.goto(`${world.url}/ui/search`);
    await page.getByLabel('Or find photos like one of yours').setInputFiles(red);
    await page.getByRole('button', { name: 'Find similar' }).click();
    await page.locator('.hit').first().waitFor();
    expect((await hitNames()).slice(0, 2).sort()).toEqual(['red-a.jpg', 'red-b.jpg']);
    await expect(page.locator('.like').textContent()).resolves.toContain('your photo my-red.jpg');
    await allThumbnailsLoaded();
    expect(await unlabelledControls(page)).toEqual([]);
  });
});

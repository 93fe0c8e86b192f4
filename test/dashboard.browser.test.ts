import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SHOTS,
  hasChromium,
  imageLoaded,
  launchChromium,
  logIn as logInAs,
  unlabelledControls,
} from './support/browser.js';
import { ADMIN_KEY, READ_KEY, dashboardWorld, type DashboardWorld } from './support/dashboard.js';
import { listFiles, sha256, waitFor } from './support/fs.js';
import { writeJpeg } from './support/media.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core against the
 * real daemon and API server. Screenshots of each page go to docs/ for the README.
 */

const HAS_CHROMIUM = hasChromium('the dashboard browser suite');

/** A host name the browser resolves to 127.0.0.1 (as a rebinding attacker's DNS would). */
const REBOUND = 'rebind.example';

describe.skipIf(!HAS_CHROMIUM)('dashboard in chromium', () => {
  let world: DashboardWorld;
  let context: BrowserContext;
  let page: Page;
  let crossSite: Server;

  beforeAll(async () => {
    world = await dashboardWorld({
      // No mtime: a photo without a date goes to Unsorted, for Needs attention.
      dates: { from: ['exif', 'filename'] },
      rules: [{ name: 'by day', to: '{year}/{date}/{name}{ext}' }],
    });
    ({ context, page } = await launchChromium([`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`]));
    // Destructive buttons ask first; the tests say yes.
    page.on('dialog', (dialog) => void dialog.accept());
    // Another origin on the same machine serving a form that posts to the dashboard.
    crossSite = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${world.url}/ui/pause">` +
          '<input name="_csrf" value="guess"><button>go</button></form>',
      );
    });
    await new Promise<void>((resolve) => crossSite.listen(0, '127.0.0.1', resolve));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    crossSite?.close();
    await world?.stop();
  });

  async function logIn(token: string): Promise<void> {
    await logInAs(page, world.url, token);
  }

  async function shoot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
  }

  it('logs in and shows a dropped photo in the live feed with its thumbnail', async () => {
    await logIn(ADMIN_KEY);
    await expect(page.getByRole('heading', { name: 'Now' }).isVisible()).resolves.toBe(true);
    await page.waitForSelector('body[data-live="on"]');

    await writeJpeg(join(world.inbox, 'IMG_0001.jpg'), {
      date: '2024:06:12 18:30:00',
      seed: 0xd9904a,
      width: 96,
      height: 72,
    });
    const item = page.locator('.feed li', { hasText: 'IMG_0001.jpg' });
    await item.waitFor();
    await expect(item.textContent()).resolves.toContain(
      join(world.library, '2024', '2024-06-12', 'IMG_0001.jpg'),
    );
    const thumb = item.locator('img.thumb');
    await imageLoaded(thumb, 'the thumbnail to load');
    await shoot('now');
    await page.setViewportSize({ width: 360, height: 780 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot('now-phone-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('undoes a file from History and finds it back in the inbox', async () => {
    const filed = join(world.library, '2024', '2024-06-12', 'IMG_0001.jpg');
    const hash = await sha256(filed);
    await page.getByRole('link', { name: 'History' }).click();
    await page.locator('.drop summary').first().click();
    await shoot('history');
    await page.getByRole('link', { name: 'Undo file…' }).first().click();
    await expect(page.locator('main').textContent()).resolves.toContain('Will put back: 1 file');
    await page.getByRole('button', { name: 'Undo 1 file' }).click();
    await page.waitForSelector('text=Put back: 1 file');
    const back = join(world.inbox, 'IMG_0001.jpg');
    expect(existsSync(back)).toBe(true);
    expect(await sha256(back)).toBe(hash);
    expect(existsSync(filed)).toBe(false);
  });

  it('files an undated photo from Needs attention with the date given', async () => {
    await writeJpeg(join(world.inbox, 'no-date.jpg'), { seed: 0x59bf6b, width: 96, height: 72 });
    const unsorted = join(world.library, 'Unsorted', 'no-date.jpg');
    await waitFor(() => existsSync(unsorted), { what: 'the undated photo in Unsorted' });
    const hash = await sha256(unsorted);

    await page.getByRole('link', { name: 'Needs attention' }).click();
    const item = page.locator('.attention li', { hasText: unsorted });
    await item.waitFor();
    await expect(item.textContent()).resolves.toContain('no usable capture date');
    // The photo undo put back is listed too, with why it stays.
    await expect(page.locator('.attention').textContent()).resolves.toContain(
      'put back here by undo',
    );
    await shoot('attention');

    await item.getByLabel('Taken at').fill('2021-03-04T05:06');
    await item.getByLabel('City').fill('Porto');
    await item.getByRole('button', { name: 'File it' }).click();
    await page.waitForSelector('.notice.ok');
    const filed = join(world.library, '2021', '2021-03-04', 'no-date.jpg');
    expect(existsSync(filed)).toBe(true);
    expect(await sha256(filed)).toBe(hash);
    expect(existsSync(unsorted)).toBe(false);
    const row = world.daemon.journal(5).find((entry) => entry.target === filed);
    expect(row?.details).toMatchObject({
      dateSource: 'set by hand',
      takenAt: '2021-03-04T05:06:00',
    });
  });

  it('previews a template change over the library, and saving and re-sorting do just that', async () => {
    await writeJpeg(join(world.inbox, 'IMG_0002.jpg'), {
      date: '2023:01:02 10:00:00',
      seed: 0x3da3e8,
      width: 96,
      height: 72,
    });
    await waitFor(() => existsSync(join(world.library, '2023', '2023-01-02', 'IMG_0002.jpg')), {
      what: 'IMG_0002 filed',
    });
    await page.getByRole('link', { name: 'Rules lab' }).click();
    const editor = page.getByLabel(/Configuration/);
    const yaml = await editor.inputValue();
    expect(yaml).toContain('{year}/{date}/{name}{ext}');
    await editor.fill(yaml.replace('{year}/{date}/{name}{ext}', '{year}/{month}/{name}{ext}'));
    await page.getByLabel(/the library itself/).check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#preview').waitFor();
    await shoot('rules');

    const previewed = await page
      .locator('#preview tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [...row.querySelectorAll('code')].map((code) => code.textContent ?? '')),
      );
    const before = new Map<string, string>();
    for (const [source] of previewed) before.set(source ?? '', await sha256(source ?? ''));
    expect(previewed.map(([source, target]) => [source, target])).toEqual(
      expect.arrayContaining([
        [
          join(world.library, '2023', '2023-01-02', 'IMG_0002.jpg'),
          join(world.library, '2023', '01', 'IMG_0002.jpg'),
        ],
        [
          join(world.library, '2021', '2021-03-04', 'no-date.jpg'),
          join(world.library, '2021', '03', 'no-date.jpg'),
        ],
      ]),
    );
    const previewCount = Number(await page.locator('[data-count="moving"]').textContent());
    expect(previewCount).toBe(previewed.length);
    const libraryBefore = await listFiles(world.library);
    // Nothing moved yet.
    expect(libraryBefore).toContain(join('2023', '2023-01-02', 'IMG_0002.jpg'));

    await page.getByRole('button', { name: 'Save and re-sort library' }).click();
    await page.waitForSelector('text=Re-sorted');
    const moved = Number(await page.locator('[data-count="moving"]').textContent());
    expect(moved).toBe(previewCount);
    for (const [source, target] of previewed) {
      expect(existsSync(source ?? ''), source).toBe(false);
      expect(await sha256(target ?? ''), target).toBe(before.get(source ?? ''));
    }
    expect((await listFiles(world.library)).length).toBe(libraryBefore.length);
    expect(await readFile(world.config, 'utf8')).toContain('{year}/{month}/{name}{ext}');
    // The re-sort is one batch, and History can undo it.
    const batch = await page.locator('#preview p code').textContent();
    expect(world.daemon.journal(50).filter((row) => row.batch === batch)).toHaveLength(moved);

    // One undo takes the whole re-sort back.
    await page.getByRole('link', { name: 'Undo this re-sort…' }).click();
    await page.getByRole('button', { name: `Undo ${moved} files` }).click();
    await page.waitForSelector(`text=Put back: ${moved} files`);
    for (const [source] of previewed) {
      expect(await sha256(source ?? ''), source).toBe(before.get(source ?? ''));
    }
  });

  it('labels every control, reads at 360 px and is driven from the keyboard', async () => {
    const pages = ['/', '/ui/history', '/ui/attention', '/ui/rules', '/ui/search'];
    await page.setViewportSize({ width: 360, height: 780 });
    for (const path of pages) {
      await page.goto(world.url + path);
      const unlabelled = await unlabelledControls(page);
      expect(unlabelled, path).toEqual([]);
      const width = await page.evaluate('document.documentElement.scrollWidth');
      expect(width, `${path} scrolls sideways at 360 px`).toBeLessThanOrEqual(360);
    }
    await page.setViewportSize({ width: 1100, height: 900 });

    await page.goto(`${world.url}/`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe(
      'Skip to content',
    );
    await page.keyboard.press('Enter');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('main');
    await page.keyboard.press('g');
    await page.keyboard.press('h');
    await page.waitForURL(`${world.url}/ui/history`);
    await page.keyboard.press('g');
    await page.keyboard.press('a');
    await page.waitForURL(`${world.url}/ui/attention`);
  });

  it('refuses a cross-site form POST and a foreign Host', async () => {
    const other = `http://127.0.0.1:${(crossSite.address() as AddressInfo).port}/`;
    await page.goto(other);
    const [response] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith('/ui/pause')),
      page.locator('#f button').click(),
    ]);
    expect(response.status()).toBe(403);
    expect(world.daemon.status().state).toBe('running');

    const port = new URL(world.url).port;
    const rebound = await page.goto(`http://${REBOUND}:${port}/`);
    expect(rebound?.status()).toBe(421);
    await expect(page.textContent('body')).resolves.toContain('does not answer to the host name');
  });

  it('shows a read-scope login everything and lets it undo nothing', async () => {
    const undoRows = () => world.daemon.journal(100).filter((row) => row.op === 'undo').length;
    const undosBefore = undoRows();
    await page.goto(`${world.url}/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(READ_KEY);
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('link', { name: 'Undo drop…' }).first().click();
    const undo = page.getByRole('button', { name: /^Undo \d+ files?$/ });
    await expect(undo.isDisabled()).resolves.toBe(true);
    // Even a forged click, with the page's own CSRF token, is refused.
    // (A string: this suite's types are Node's, the code runs in the page.)
    const status = await page.evaluate(`(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
      const body = new URLSearchParams({ _csrf: csrf, ids: '1' });
      return (await fetch('/ui/undo', { method: 'POST', body })).status;
    })()`);
    expect(status).toBe(403);
    expect(undoRows()).toBe(undosBefore);
  });
});

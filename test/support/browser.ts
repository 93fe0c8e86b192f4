import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT } from './cli.js';
import { tempDir, waitFor } from './fs.js';

/** Debian's chromium (or PHOTOSORTD_CHROMIUM), which the browser suites drive. */
const CHROMIUM = process.env.PHOTOSORTD_CHROMIUM ?? '/usr/bin/chromium';

/** Whether chromium is there; a suite without it says so once and is skipped. */
export function hasChromium(suite: string): boolean {
  const found = existsSync(CHROMIUM);
  if (!found) console.warn(`chromium not found at ${CHROMIUM}: ${suite} is skipped`);
  return found;
}

/**
 * Where the pages' screenshots go: docs/ (shown in the README) when
 * PHOTOSORTD_SCREENSHOTS=docs asks to refresh them, else a temporary folder, so that a test
 * run leaves the working tree as it found it.
 */
export const SHOTS =
  process.env.PHOTOSORTD_SCREENSHOTS === 'docs'
    ? join(ROOT, 'docs')
    : mkdtempSync(join(tmpdir(), 'photosortd-screenshots-'));

/** A headless chromium with a fresh profile; `args` adds switches. */
export async function launchChromium(
  args: string[] = [],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(await tempDir('photosortd-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
    viewport: { width: 1100, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** Logs in through the form at `url` with `token`, and waits for the Now page. */
export async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('API key or token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${url}/`);
}

/** Waits until `image` shows a picture (loaded, not broken). */
export async function imageLoaded(image: Locator, what: string): Promise<void> {
  await waitFor(
    () =>
      image.evaluate(
        (img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0,
      ),
    { what },
  );
}

/** The form controls on the page that have no label, no aria-label and no text, as HTML. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // A string: this suite's types are Node's, the code runs in the page.
  return (await page.evaluate(`[...document.querySelectorAll(
      'input:not([type=hidden]), textarea, select, button')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
      && !el.textContent.trim())
    .map((el) => el.outerHTML)`)) as string[];
}

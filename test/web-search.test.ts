import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  CookieClient,
  READ_KEY,
  dashboardWorld,
  type DashboardWorld,
} from './support/dashboard.js';
import { tempDir } from './support/fs.js';
import {
  COLOUR_PHOTOS,
  colourModel,
  dropColourPhotos,
  writeColourPhoto,
  type HitLine,
} from './support/search-world.js';

/**
 * The dashboard's Search page over real HTTP: a real daemon tags colour photos with the
 * colour test model as it files them, and the page lists what the API's GET /search and
 * GET /similar return, in their order.
 */

const exiftool = new ExifTool({ maxProcs: 1 });
let world: DashboardWorld;
const others: DashboardWorld[] = [];

beforeAll(async () => {
  const model = colourModel(await tempDir('photosortd-web-search-'));
  world = await dashboardWorld({
    tagging: { enabled: true, model, labels: ['red', 'green', 'blue', 'white'], minScore: 0.3 },
  });
  await dropColourPhotos(world, COLOUR_PHOTOS, exiftool);
}, 120_000);

afterAll(async () => {
  await world?.stop();
  for (const other of others) await other.stop();
  await exiftool.end();
});

/** The API's answer, with a bearer token as its clients send it. */
async function api(path: string): Promise<HitLine[]> {
  const response = await fetch(`${world.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: HitLine[] }).results;
}

/** The paths of the hits a Search page lists, in its order. */
function listed(html: string): string[] {
  return [...html.matchAll(/<li class="hit" data-path="([^"]+)"/g)].map((m) => m[1] ?? '');
}

async function readSession(w: DashboardWorld): Promise<CookieClient> {
  const browser = new CookieClient(w.url);
  expect((await browser.login(READ_KEY)).status).toBe(303);
  return browser;
}

describe('the dashboard Search page', () => {
  it('lists, for a read-scope login, the reds first, as GET /search orders them', async () => {
    const browser = await readSession(world);
    const response = await browser.send('/ui/search?q=red');
    expect(response.status).toBe(200);
    const html = await response.text();
    const paths = listed(html);
    expect(paths.map((path) => basename(path))).toEqual([
      'red-a.jpg',
      'red-b.jpg',
      ...paths.slice(2).map((path) => basename(path)),
    ]);
    expect(paths).toHaveLength(COLOUR_PHOTOS.length);
    expect(paths).toEqual((await api('/search?q=red')).map((hit) => hit.path));
    // Each hit shows its score and date, and its thumbnail loads for the session.
    const first = (await api('/search?q=red'))[0]!;
    expect(html).toContain(`score ${first.score.toFixed(4)}`);
    expect(html).toContain('2021-05-01 10:00');
    const thumb = await browser.send(`/ui/search/thumb/${first.id}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    // The page is in the navigation.
    expect(html).toMatch(/<a href="\/ui\/search" aria-current="page">Search<\/a>/);
  });

  it('applies the filters and the sort the API takes, and keeps them in the form', async () => {
    const browser = await readSession(world);
    const query = 'q=red&from=2021-05-02&to=2021-05-04&minScore=-1&sort=date&kind=photo';
    const html = await (await browser.send(`/ui/search?${query}`)).text();
    expect(listed(html).map((path) => basename(path))).toEqual([
      'green.jpg',
      'red-b.jpg',
      'blue.jpg',
    ]);
    expect(listed(html)).toEqual((await api(`/search?${query}`)).map((hit) => hit.path));
    expect(html).toContain('value="2021-05-02"');
    expect(html).toMatch(/<option value="date" selected="">/);
    const tagged = await (await browser.send('/ui/search?q=blue&tag=red')).text();
    expect(
      listed(tagged)
        .map((path) => basename(path))
        .sort(),
    ).toEqual(['red-a.jpg', 'red-b.jpg']);
  });

  it('finds more like a hit, as GET /similar does, without the photo itself', async () => {
    const browser = await readSession(world);
    const html = await (await browser.send('/ui/search?q=red')).text();
    const more = /href="(\/ui\/search\?like=[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    expect(more).toBeDefined();
    const like = new URL(more!, world.url).searchParams.get('like')!;
    expect(basename(like)).toBe('red-a.jpg');
    const similar = await (await browser.send(more!)).text();
    const paths = listed(similar);
    expect(paths.map((path) => basename(path))[0]).toBe('red-b.jpg');
    expect(paths).not.toContain(like);
    expect(paths).toEqual(
      (await api(`/similar?path=${encodeURIComponent(like)}`)).map((hit) => hit.path),
    );
    expect(similar).toContain('Photos that look like');
  });

  it("finds photos like one of the visitor's own, as POST /similar does, for a read-scope login", async () => {
    const browser = await readSession(world);
    const red = join(await tempDir('photosortd-web-upload-'), 'my-red.jpg');
    await writeColourPhoto(
      red,
      { name: 'mine', rgb: [220, 30, 25], date: '2024:01:01 10:00:00' },
      exiftool,
    );
    const bytes = await readFile(red);
    const form = (csrf: string | null, file: Blob | null) => {
      const data = new FormData();
      if (csrf !== null) data.set('_csrf', csrf);
      if (file) data.set('photo', file, 'my-red.jpg');
      return data;
    };
    const csrf = await browser.csrf();
    const photo = new Blob([bytes], { type: 'image/jpeg' });

    const response = await browser.send('/ui/search?minScore=-1', {
      multipart: form(csrf, photo),
    });
    const html = await response.text();
    expect(response.status, html).toBe(200);
    expect(html).toContain('Photos that look like your photo <code>my-red.jpg</code>');
    const paths = listed(html);
    expect(
      paths
        .slice(0, 2)
        .map((path) => basename(path))
        .sort(),
    ).toEqual(['red-a.jpg', 'red-b.jpg']);
    const uploaded = await fetch(`${world.url}/similar?minScore=-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expect(paths).toEqual(
      ((await uploaded.json()) as { results: HitLine[] }).results.map((hit) => hit.path),
    );

    // Origin and CSRF token are checked as for every other post.
    expect((await browser.send('/ui/search', { multipart: form(null, photo) })).status).toBe(403);
    const elsewhere = await browser.send('/ui/search', {
      multipart: form(csrf, photo),
      headers: { origin: 'https://evil.example' },
    });
    expect(elsewhere.status).toBe(403);
    // No photo, or a file that is none: 422 saying so, with the forms still there.
    const none = await browser.send('/ui/search', { multipart: form(csrf, null) });
    expect(none.status).toBe(422);
    expect(await none.text()).toContain('Choose a photo (or drop one on the field)');
    const text = await browser.send('/ui/search', {
      multipart: form(csrf, new Blob(['not a photo'], { type: 'text/plain' })),
    });
    expect(text.status).toBe(422);
    const said = await text.text();
    expect(said).toContain('the uploaded image holds no image the model can read');
    expect(said).toContain('Or find photos like one of yours');
  });

  it('says what is wrong with a filter, and keeps what was typed', async () => {
    const browser = await readSession(world);
    const response = await browser.send('/ui/search?q=red&minScore=5&from=last+week');
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('minScore: must be at most 1');
    expect(listed(html)).toEqual([]);
    expect(html).toContain('value="red"');

    const stranger = await browser.send('/ui/search?like=%2Fetc%2Fpasswd');
    expect(stranger.status).toBe(404);
    expect(await stranger.text()).toContain(
      '/etc/passwd is not in the search index; give the path of an indexed library file',
    );
    const noThumb = await browser.send('/ui/search/thumb/9999');
    expect(noThumb.status).toBe(404);
    expect(await noThumb.text()).toContain('no file with id 9999 in the search index');
  });

  it('sends a visitor without a session to the login form, page and thumbnails alike', async () => {
    const visitor = new CookieClient(world.url);
    for (const path of ['/ui/search?q=red', '/ui/search/thumb/1']) {
      const response = await visitor.send(path);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/login');
    }
  });

  it('says why search is unavailable and what to do: tagging off, or no model', async () => {
    const off = await dashboardWorld({ tagging: { enabled: false } });
    others.push(off);
    const offPage = await (await readSession(off)).send('/ui/search?q=red');
    expect(offPage.status).toBe(503);
    const offHtml = await offPage.text();
    expect(offHtml).toContain('tagging is off');
    expect(offHtml).toContain('photosortd index');

    const missing = `${await tempDir('photosortd-no-model-')}/clip`;
    const noModel = await dashboardWorld({ tagging: { enabled: true, model: missing } });
    others.push(noModel);
    const noModelPage = await (await readSession(noModel)).send('/ui/search?q=red');
    expect(noModelPage.status).toBe(503);
    const noModelHtml = await noModelPage.text();
    expect(noModelHtml).toContain('search needs the tagging model');
    expect(noModelHtml).toContain('photosortd models pull');
  });
});

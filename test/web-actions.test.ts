import { appendFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toDrops } from '../src/web/drops.js';
import { journalEntry } from './support/recording-daemon-control.js';
import {
  ADMIN_KEY,
  CookieClient,
  dashboardWorlds,
  type DashboardWorld,
} from './support/dashboard.js';
import { listFiles, sha256, waitFor } from './support/fs.js';
import { exiftoolCli } from './support/companions.js';
import { writeJpeg } from './support/media.js';

/**
 * The dashboard's actions over real HTTP on a real daemon and real files: duplicates kept,
 * trashed or filed anyway, undo refusals with the right hint, previews that change nothing.
 */

const world = dashboardWorlds();

async function loggedIn(): Promise<{ w: DashboardWorld; browser: CookieClient; csrf: string }> {
  const w = await world();
  const browser = new CookieClient(w.url);
  await browser.login(ADMIN_KEY);
  return { w, browser, csrf: await browser.csrf() };
}

const DAY = join('2024', '2024-06-12');

async function filedPhoto(w: DashboardWorld, name: string, seed: number): Promise<string> {
  await writeJpeg(join(w.inbox, name), { date: '2024:06:12 18:30:00', seed });
  const filed = join(w.library, DAY, name);
  await waitFor(() => existsSync(filed), { what: `${name} filed` });
  return filed;
}

async function leftDuplicate(w: DashboardWorld, original: string, name: string): Promise<string> {
  const copy = join(w.inbox, name);
  await copyFile(original, copy);
  await waitFor(
    async () => (await w.daemon.attention()).some((item) => item.path === copy && item.duplicateOf),
    {
      what: `${name} left as a duplicate`,
    },
  );
  return copy;
}

describe('duplicates from Needs attention', () => {
  it('shows a duplicate beside the library copy, trashes it, and undo brings it back', async () => {
    const { w, browser, csrf } = await loggedIn();
    const original = await filedPhoto(w, 'IMG_1.jpg', 11);
    const copy = await leftDuplicate(w, original, 'IMG_1 copy.jpg');

    const list = await (await browser.send('/ui/attention')).text();
    expect(list).toContain('same content as');
    // The live feed says why the copy stayed, not only that it did.
    const feed = await (await browser.send('/ui/now/feed')).text();
    expect(feed).toContain(`same content as ${original}; left where it is (duplicates: skip)`);
    const compare = await browser.send(`/ui/duplicate?path=${encodeURIComponent(copy)}`);
    expect(compare.status).toBe(200);
    const html = await compare.text();
    expect(html).toContain(original);
    expect(html).toContain('Keep it in the inbox');

    const trashed = await browser.send('/ui/duplicate/trash', {
      form: { _csrf: csrf, path: copy },
    });
    expect(trashed.status).toBe(200);
    expect(existsSync(copy)).toBe(false);
    const row = w.daemon.journal(5).find((entry) => entry.op === 'delete');
    expect(row?.source).toBe(copy);
    expect(row?.target && existsSync(row.target)).toBe(true);

    const undone = await browser.send('/ui/undo', { form: { _csrf: csrf, ids: String(row?.id) } });
    expect(await undone.text()).toContain('Put back: 1 file');
    expect(await sha256(copy)).toBe(await sha256(original));
  });

  it('files a duplicate anyway under its own name when asked', async () => {
    const { w, browser, csrf } = await loggedIn();
    const original = await filedPhoto(w, 'IMG_2.jpg', 12);
    const copy = await leftDuplicate(w, original, 'IMG_2 again.jpg');
    const response = await browser.send('/ui/duplicate/file', {
      form: { _csrf: csrf, path: copy },
    });
    expect(response.status).toBe(200);
    const filed = join(w.library, DAY, 'IMG_2 again.jpg');
    expect(await sha256(filed)).toBe(await sha256(original));
    expect(existsSync(copy)).toBe(false);
  });
});

describe('undo from History', () => {
  it('refuses a file changed since it was filed with its reason, and offers to force only then', async () => {
    const { w, browser, csrf } = await loggedIn();
    const filed = await filedPhoto(w, 'IMG_3.jpg', 13);
    const other = await filedPhoto(w, 'IMG_4.jpg', 14);
    await appendFile(filed, 'edited');
    const rows = w.daemon.journal(10);
    const changedId = rows.find((row) => row.target === filed)?.id;
    const drop = toDrops(rows)[0];
    expect(drop?.files).toBe(2);

    const confirm = await (
      await browser.send(`/ui/undo?first=${drop?.first}&last=${drop?.last}`)
    ).text();
    expect(confirm).toContain('Will put back: 1 file');
    expect(confirm).toContain('Refused: 1');
    expect(confirm).toContain('changed since it was filed');
    expect(confirm).toContain('Undo anyway, with the changed content (1)');
    // Nothing moved yet: that was the confirmation.
    expect(existsSync(other)).toBe(true);

    const done = await (
      await browser.send('/ui/undo', { form: { _csrf: csrf, ids: `${drop?.first},${drop?.last}` } })
    ).text();
    expect(done).toContain('Put back: 1 file');
    expect(existsSync(join(w.inbox, 'IMG_4.jpg'))).toBe(true);
    expect(existsSync(filed)).toBe(true);

    const forced = await (
      await browser.send('/ui/undo', {
        form: { _csrf: csrf, ids: String(changedId), force: 'true' },
      })
    ).text();
    expect(forced).toContain('Put back: 1 file');
    expect(existsSync(join(w.inbox, 'IMG_3.jpg'))).toBe(true);
  });

  it('does not offer force when the refusal is one force cannot help', async () => {
    const { w, browser } = await loggedIn();
    const filed = await filedPhoto(w, 'IMG_5.jpg', 15);
    // The original place is taken again (the daemon paused, so it stays taken): forcing
    // would overwrite, so it is never offered.
    w.daemon.pause();
    await writeJpeg(join(w.inbox, 'IMG_5.jpg'), { seed: 16 });
    const id = w.daemon.journal(5).find((row) => row.target === filed)?.id;
    const confirm = await (await browser.send(`/ui/undo?id=${id}`)).text();
    expect(confirm).toContain('is occupied by another file');
    expect(confirm).not.toContain('Undo anyway');
  });
});

describe('groups in History', () => {
  it('shows a photo and its sidecar as one group and undoes them together', async () => {
    const { w, browser, csrf } = await loggedIn();
    w.daemon.pause();
    const photo = join(w.inbox, 'IMG_7.jpg');
    await writeJpeg(photo, { date: '2024:06:12 18:30:00', seed: 18 });
    exiftoolCli(['-q', '-o', join(w.inbox, 'IMG_7.xmp'), photo]);
    // Both settled and held, so they are taken together as one group.
    await waitFor(() => w.daemon.status().queue.waiting >= 2, { what: 'both files held' });
    w.daemon.resume();
    const filed = join(w.library, DAY, 'IMG_7.xmp');
    await waitFor(() => existsSync(filed), { what: 'the sidecar filed with its photo' });

    const history = await (await browser.send('/ui/history')).text();
    expect(history).toContain('2 files filed together: 1 sidecar');
    const link = /href="(\/ui\/undo\?group=[^"]+)"/.exec(history)?.[1];
    expect(link).toBeDefined();
    const confirm = await (await browser.send((link ?? '').replace(/&amp;/g, '&'))).text();
    expect(confirm).toContain('Will put back: 2 files');
    const ids = /name="ids" value="([^"]+)"/.exec(confirm)?.[1] ?? '';
    const done = await (await browser.send('/ui/undo', { form: { _csrf: csrf, ids } })).text();
    expect(done).toContain('Put back: 2 files');
    expect(existsSync(join(w.inbox, 'IMG_7.jpg'))).toBe(true);
    expect(existsSync(join(w.inbox, 'IMG_7.xmp'))).toBe(true);
  });
});

describe('Rules lab preview', () => {
  it('previews over an inbox without moving a file', async () => {
    const { w, browser, csrf } = await loggedIn();
    w.daemon.pause();
    await writeJpeg(join(w.inbox, 'IMG_6.jpg'), { date: '2020:02:03 04:05:06', seed: 17 });
    const before = await listFiles(w.dir);
    const yaml = (await (await browser.send('/ui/rules')).text()).includes(
      '{year}/{date}/{name}{ext}',
    );
    expect(yaml).toBe(true);
    const response = await browser.send('/ui/rules/preview', {
      form: {
        _csrf: csrf,
        yaml: `library: ./library\ninboxes: [./inbox]\nstate: ./state\nrules:\n  - { name: flat, to: "{year}/{name}{ext}" }\n`,
        folder: w.inbox,
      },
    });
    const html = await response.text();
    expect(html).toContain(join(w.library, '2020', 'IMG_6.jpg'));
    expect(html).toMatch(/<span data-count="moving">1<\/span> would move/);
    expect(await listFiles(w.dir)).toEqual(before);
  });

  it('names the bad key when a preview or a save gets an invalid configuration, changing nothing', async () => {
    const { w, browser, csrf } = await loggedIn();
    const response = await browser.send('/ui/rules/save', {
      form: { _csrf: csrf, yaml: 'library: ./library\ninboxes: [./inbox]\nonCollision: merge\n' },
    });
    expect(response.status).toBe(409);
    const html = await response.text();
    expect(html).toContain('onCollision');
    // Back on the lab with the text as it was edited, to put right.
    expect(html).toContain('onCollision: merge');
    expect(html).toContain('<textarea');
    expect((await listFiles(w.dir)).filter((name) => name.endsWith('.bak'))).toEqual([]);
  });
});

describe('drops', () => {
  it('splits the journal where no file was handled for a minute, and keeps groups together', () => {
    const at = (seconds: number) => new Date(Date.UTC(2024, 5, 12, 10, 0, seconds)).toISOString();
    const rows = [
      journalEntry({ id: 1, createdAt: at(0), batch: 'a' }),
      journalEntry({ id: 2, createdAt: at(20), batch: 'a', group: 'live' }),
      journalEntry({ id: 3, createdAt: at(21), batch: 'b', group: 'live' }),
      journalEntry({ id: 4, createdAt: at(200), batch: 'b', status: 'undone' }),
      journalEntry({ id: 5, createdAt: at(201), batch: 'b', op: 'undo' }),
    ];
    const drops = toDrops(rows.reverse());
    expect(drops.map((drop) => [drop.first, drop.last, drop.files, drop.undoable])).toEqual([
      [4, 4, 1, 0],
      [1, 3, 3, 3],
    ]);
    expect(drops[1]?.groups.map((group) => group.entries.map((entry) => entry.id))).toEqual([
      [1],
      [2, 3],
    ]);
  });
});

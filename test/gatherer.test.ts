import { describe, expect, it } from 'vitest';
import { createGatherer, type GathererOptions } from '../src/daemon/gatherer.js';
import { companionKey } from '../src/lib/sidecars.js';
import { waitFor } from './support/fs.js';

/*
 * When the daemon hands a file on: at once, unless a member of its group may still come that
 * would not follow it once filed (a file of its name still being written, a video's still).
 * The gatherer alone, told by the test what the watcher sees and what is filed; a running
 * daemon on real files is in group-drops.test.ts.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A gatherer whose watcher sees `settling` on its way and whose daemon has filed `filed`;
 * what it hands on, and when. A group whose first path is in `handling` is handled once
 * that promise resolves.
 */
function gathering(options: Partial<GathererOptions> = {}) {
  const settling = new Set<string>();
  const filed = new Set<string>();
  const handling = new Map<string, Promise<void>>();
  const submitted: { paths: string[]; at: number }[] = [];
  const started = Date.now();
  const gatherer = createGatherer({
    windowMs: 10_000,
    orphanWaitMs: 60_000,
    fileFiled: (path) => filed.has(path),
    settling: (path) =>
      [...settling].some((other) => other !== path && companionKey(other) === companionKey(path)),
    submit: async (paths) => {
      submitted.push({ paths: [...paths].sort(), at: Date.now() - started });
      await handling.get(paths[0]!);
    },
    ...options,
  });
  return { gatherer, settling, filed, handling, submitted };
}

describe('the gatherer, told what the watcher sees', () => {
  it('hands a lone photo on at once, not after the window', async () => {
    const g = gathering();
    g.gatherer.add('/in/IMG_1.JPG', '/in');
    await g.gatherer.idle();
    expect(g.submitted).toEqual([{ paths: ['/in/IMG_1.JPG'], at: expect.any(Number) }]);
    expect(g.submitted[0]!.at).toBeLessThan(10_000);
  });

  it('holds a photo while a file of its name settles, past the window, and hands both on together', async () => {
    const g = gathering({ windowMs: 100 });
    g.settling.add('/in/IMG_2.MOV');
    g.gatherer.add('/in/IMG_2.HEIC', '/in');
    // Three windows: the MOV is still being written, so the HEIC waits for it.
    await sleep(300);
    expect(g.submitted).toEqual([]);
    expect(g.gatherer.size).toBe(1);
    g.settling.delete('/in/IMG_2.MOV');
    g.gatherer.add('/in/IMG_2.MOV', '/in');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_2.HEIC', '/in/IMG_2.MOV']]);
  });

  it('lets a photo go once the file it waited for went away without arriving', async () => {
    const g = gathering({ windowMs: 100 });
    g.settling.add('/in/IMG_3.CR3');
    g.gatherer.add('/in/IMG_3.JPG', '/in');
    await sleep(250);
    expect(g.submitted).toEqual([]);
    g.settling.delete('/in/IMG_3.CR3');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_3.JPG']]);
  });

  it('holds a video without a still for the window, unless its still is filed already', async () => {
    const g = gathering({ windowMs: 1000 });
    g.filed.add('/in/IMG_5.MOV');
    g.gatherer.add('/in/IMG_4.MOV', '/in');
    g.gatherer.add('/in/IMG_5.MOV', '/in');
    g.gatherer.add('/in/IMG_6.MOV', '/in');
    await sleep(100);
    g.gatherer.add('/in/IMG_6.JPG', '/in');
    await g.gatherer.idle();
    const at = new Map(g.submitted.map((s) => [s.paths.join(' '), s.at]));
    // IMG_5's still is in the library: the video follows it without waiting.
    expect(at.get('/in/IMG_5.MOV')).toBeLessThan(1000);
    // IMG_6's still came: the two go together, without waiting out the window.
    expect(at.get('/in/IMG_6.JPG /in/IMG_6.MOV')).toBeLessThan(1000);
    // IMG_4's still never came.
    expect(at.get('/in/IMG_4.MOV')).toBeGreaterThanOrEqual(995);
    expect(g.submitted).toHaveLength(3);
  });

  it('holds a member arriving while its group is handled until that is done, then hands it on', async () => {
    const g = gathering();
    let finish = () => {};
    g.handling.set('/in/IMG_7.JPG', new Promise<void>((resolve) => (finish = resolve)));
    g.gatherer.add('/in/IMG_7.JPG', '/in');
    await waitFor(() => g.submitted.length === 1, { what: 'the photo handed on' });
    g.gatherer.add('/in/IMG_7.JPG.xmp', '/in');
    await sleep(200);
    // Handed on now it would find no filed photo, and wait a minute as an orphan.
    expect(g.submitted).toHaveLength(1);
    g.filed.add('/in/IMG_7.JPG.xmp');
    finish();
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_7.JPG'], ['/in/IMG_7.JPG.xmp']]);
  });

  it('groups files taken in one turn, though no watcher saw them settling', async () => {
    const g = gathering();
    g.gatherer.add('/in/IMG_8.HEIC', '/in');
    g.gatherer.add('/in/IMG_8.MOV', '/in');
    await g.gatherer.idle();
    expect(g.submitted.map((s) => s.paths)).toEqual([['/in/IMG_8.HEIC', '/in/IMG_8.MOV']]);
  });

  it('waits the whole window where the watcher cannot tell, and keeps a lone sidecar’s wait whole', async () => {
    const g = gathering({ windowMs: 150, orphanWaitMs: 400, settling: () => null });
    g.gatherer.add('/in/IMG_9.JPG', '/in');
    g.gatherer.add('/in/IMG_10.xmp', '/in');
    await sleep(300);
    // A second sidecar of the orphan does not cut its wait short.
    g.gatherer.add('/in/IMG_10.AAE', '/in');
    await g.gatherer.idle();
    const at = new Map(g.submitted.map((s) => [s.paths.join(' '), s.at]));
    expect(at.get('/in/IMG_9.JPG')).toBeGreaterThanOrEqual(145);
    // The orphan's wait began when the first window ended, at 150 ms.
    expect(at.get('/in/IMG_10.AAE /in/IMG_10.xmp')).toBeGreaterThanOrEqual(545);
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/journal/journal.js';
import { SearchIndex, syncFromJournal, type MediaFacts } from '../src/search/index.js';
import { KERNEL_WASM } from '../src/search/dot-kernel.js';
import { quantize, dequantize } from '../src/search/quantize.js';
import { ROOT } from './support/cli.js';
import { tempDir } from './support/fs.js';

const LIBRARY = '/lib';
const open: { close(): void }[] = [];
afterEach(() => {
  for (const thing of open.splice(0)) thing.close();
});

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
}

async function index(model = 'test@fp32:0'): Promise<{ index: SearchIndex; state: string }> {
  const state = await tempDir('photosortd-search-index-');
  const idx = SearchIndex.open(state, { model, library: LIBRARY });
  open.push(idx);
  return { index: idx, state };
}

const facts = (over: Partial<MediaFacts> = {}): MediaFacts => ({
  kind: 'photo',
  takenAt: '2024-06-12T18:30:00',
  camera: 'Apple iPhone 12',
  place: { city: 'Lisbon', region: 'Lisbon', country: 'Portugal', countryCode: 'PT' },
  tags: [{ label: 'beach', score: 0.5 }],
  ...over,
});

/** Files a content at a path with an embedding, as the tag stage and the journal sync do. */
function add(idx: SearchIndex, path: string, hash: string, vector: number[], f = facts()): void {
  idx.putEmbedding(hash, unit(vector));
  idx.putFacts(hash, f);
  idx.setFile(path, hash, 100, 1);
}

describe('search index', () => {
  it('runs the kernel its WebAssembly text compiles to (the two cannot drift apart)', () => {
    const built = execFileSync(process.execPath, [join(ROOT, 'scripts/build-dot-kernel.js')]);
    expect(built.toString().trim()).toBe(KERNEL_WASM);
  });

  it('quantizes to int8 with a per-vector scale and back, close to the original', () => {
    const v = unit([0.3, -0.2, 0.9, 0.01]);
    const back = dequantize(quantize(v));
    for (let i = 0; i < v.length; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThan(0.005);
  });

  it('ranks by cosine similarity, with scores, and honours limit and minScore', async () => {
    const { index: idx } = await index();
    add(idx, '/lib/a.jpg', 'a', [1, 0, 0]);
    add(idx, '/lib/b.jpg', 'b', [0.8, 0.6, 0]);
    add(idx, '/lib/c.jpg', 'c', [0, 0, 1]);
    const hits = idx.query({ vector: unit([1, 0, 0]) });
    expect(hits.map((h) => h.path)).toEqual(['/lib/a.jpg', '/lib/b.jpg', '/lib/c.jpg']);
    expect(hits[0]!.score).toBeCloseTo(1, 2);
    expect(hits[1]!.score).toBeCloseTo(0.8, 2);
    expect(idx.query({ vector: unit([1, 0, 0]), limit: 1 }).map((h) => h.path)).toEqual([
      '/lib/a.jpg',
    ]);
    expect(idx.query({ vector: unit([1, 0, 0]), minScore: 0.5 })).toHaveLength(2);
  });

  it('filters on date, place, camera, kind, tag and folder', async () => {
    const { index: idx } = await index();
    add(idx, '/lib/2024/a.jpg', 'a', [1, 0, 0]);
    add(
      idx,
      '/lib/2023/b.jpg',
      'b',
      [1, 0.1, 0],
      facts({
        takenAt: '2023-01-02T10:00:00+01:00',
        camera: 'Canon EOS 5D',
        place: { city: 'Paris', region: null, country: 'France', countryCode: 'FR' },
        tags: [{ label: 'dog', score: 0.6 }],
      }),
    );
    add(idx, '/lib/2023/c.mp4', 'c', [1, 0.2, 0], facts({ kind: 'video', takenAt: null }));
    const q = (f: object) => idx.query({ vector: unit([1, 0, 0]), ...f }).map((h) => h.path);
    expect(q({})).toHaveLength(3);
    expect(q({ from: '2024-01-01' })).toEqual(['/lib/2024/a.jpg']);
    expect(q({ to: '2023-01-02' })).toEqual(['/lib/2023/b.jpg']);
    expect(q({ place: 'fr' })).toEqual(['/lib/2023/b.jpg']);
    expect(q({ place: 'Lisbon' })).toEqual(['/lib/2024/a.jpg', '/lib/2023/c.mp4']);
    expect(q({ camera: 'canon' })).toEqual(['/lib/2023/b.jpg']);
    expect(q({ kind: 'video' })).toEqual(['/lib/2023/c.mp4']);
    expect(q({ tags: ['DOG'] })).toEqual(['/lib/2023/b.jpg']);
    expect(q({ folder: '2023' })).toEqual(['/lib/2023/b.jpg', '/lib/2023/c.mp4']);
    expect(q({ folder: '/lib/2024' })).toEqual(['/lib/2024/a.jpg']);
    expect(q({ sort: 'date' })).toEqual(['/lib/2024/a.jpg', '/lib/2023/b.jpg', '/lib/2023/c.mp4']);
    expect(() => q({ from: 'June' })).toThrow(/--from "June" is not a date/);
  });

  it('follows the journal: filed, re-sorted, undone, deleted; a planned row waits', async () => {
    const { index: idx, state } = await index();
    const journal = Journal.open(state);
    open.push(journal);
    idx.putEmbedding('h1', unit([1, 0, 0]));
    idx.putEmbedding('h2', unit([0, 1, 0]));
    const batch = 'b1';
    const move = (source: string, target: string, hash: string) =>
      journal.finish(journal.begin({ batch, op: 'move', source, target, hash, size: 10 }));
    move('/in/a.jpg', '/lib/x/a.jpg', 'h1');
    move('/in/b.jpg', '/lib/x/b.jpg', 'h2');
    const planned = journal.begin({
      batch,
      op: 'move',
      source: '/in/c.jpg',
      target: '/lib/x/c.jpg',
      hash: 'h1',
      size: 10,
    });
    syncFromJournal(idx, journal);
    const paths = () =>
      idx
        .query({ vector: unit([1, 1, 0]) })
        .map((h) => h.path)
        .sort();
    expect(paths()).toEqual(['/lib/x/a.jpg', '/lib/x/b.jpg']);

    journal.finish(planned);
    move('/lib/x/a.jpg', '/lib/y/a.jpg', 'h1');
    journal.begin({
      batch,
      op: 'undo',
      source: '/lib/x/b.jpg',
      target: '/in/b.jpg',
      hash: 'h2',
      size: 10,
    });
    syncFromJournal(idx, journal);
    // The undo row is still planned: b stays until it is done.
    expect(paths()).toEqual(['/lib/x/b.jpg', '/lib/x/c.jpg', '/lib/y/a.jpg']);
    for (const row of journal.planned()) journal.finish(row.id);
    syncFromJournal(idx, journal);
    expect(paths()).toEqual(['/lib/x/c.jpg', '/lib/y/a.jpg']);
  });

  it('sees what another process wrote, and keeps embeddings per model', async () => {
    const { index: one, state } = await index();
    add(one, '/lib/a.jpg', 'a', [1, 0, 0]);
    expect(one.query({ vector: unit([1, 0, 0]) })).toHaveLength(1);
    const two = SearchIndex.open(state, { model: 'test@fp32:0', library: LIBRARY });
    open.push(two);
    add(two, '/lib/b.jpg', 'b', [0, 1, 0]);
    expect(one.query({ vector: unit([1, 0, 0]) }).map((h) => h.path)).toEqual([
      '/lib/a.jpg',
      '/lib/b.jpg',
    ]);
    const other = SearchIndex.open(state, { model: 'other@q8:1', library: LIBRARY });
    open.push(other);
    expect(other.query({ vector: unit([1, 0, 0]) })).toEqual([]);
    expect(join(state, 'search.sqlite')).toBe(one.file);
  });

  it("sees another process's writes even when it wrote since itself (a journal sync after the daemon filed)", async () => {
    const { index: api, state } = await index();
    add(api, '/lib/a.jpg', 'a', [1, 0, 0]);
    expect(api.query({ vector: unit([1, 0, 0]) })).toHaveLength(1);
    const daemon = SearchIndex.open(state, { model: 'test@fp32:0', library: LIBRARY });
    open.push(daemon);
    add(daemon, '/lib/b.jpg', 'b', [0, 1, 0]);
    // A write of this connection's own must not count as having read the other's.
    add(api, '/lib/c.jpg', 'c', [0, 0, 1]);
    expect(
      api
        .query({ vector: unit([1, 0, 0]) })
        .map((h) => h.path)
        .sort(),
    ).toEqual(['/lib/a.jpg', '/lib/b.jpg', '/lib/c.jpg']);
  });
});

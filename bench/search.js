#!/usr/bin/env node
/**
 * Search benchmark (needs `npx tsc -p tsconfig.build.json` first): the index's in-memory
 * matrix (int8 codes scored by the WebAssembly SIMD kernel) on synthetic 512-d embeddings
 * shaped like CLIP's (clustered unit vectors), at 100,000 and 1,000,000 photos:
 * - query p50 without filters, with a date range, and with place + tag filters;
 * - against a baseline measured in the same run: the same int8 scan in plain JavaScript;
 * - bytes per photo of the matrix and its filter columns;
 * - recall@10 of the int8 search against exact float32 search on the same data;
 * - the first query after a photo is filed, on an index in SQLite (sizes up to 100,000): read
 *   through a second connection, as the API's search did (the matrix is loaded anew), against
 *   the daemon's own connection, which the API now shares (the new row is added in place).
 *
 * Usage: node bench/search.js [SIZES=100000,1000000] [QUERIES=30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddingMatrix } from '../dist/search/matrix.js';
import { quantize } from '../dist/search/quantize.js';
import { SearchIndex } from '../dist/search/store.js';

const sizes = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const queries = Number(process.argv[3] ?? 30);
const dim = 512;
const clusters = 2000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A seeded generator, so every run sees the same data. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(next) {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}
function unit(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

const centreRandom = random(7);
const centres = Array.from({ length: clusters }, () =>
  unit(Float32Array.from({ length: dim }, () => gaussian(centreRandom))),
);
// Noise comes from a pool of gaussian vectors, two picked per photo: cheap enough to make a
// million embeddings twice (once to index, once for the exact float32 answers).
const POOL = 8192;
const poolRandom = random(11);
const pool = new Float32Array(POOL * dim).map(() => gaussian(poolRandom) / Math.sqrt(dim));
/** Photo `i`'s embedding: its cluster's centre plus noise, unit length (made again on demand). */
function embedding(i, out = new Float32Array(dim)) {
  const centre = centres[i % clusters];
  const a = ((i * 2654435761) >>> 0) % POOL;
  const b = ((i * 40503 + 977) >>> 0) % POOL;
  const c = ((i * 9973 + 31) >>> 0) % POOL;
  for (let d = 0; d < dim; d++) {
    out[d] = centre[d] + 0.8 * (pool[a * dim + d] + pool[b * dim + d] + pool[c * dim + d]);
  }
  return unit(out);
}

const PLACES = Array.from({ length: 300 }, (_, i) => ({
  city: `City ${i}`,
  region: null,
  country: `Country ${i % 40}`,
  countryCode: `C${i % 40}`,
}));
const LABELS = Array.from({ length: 60 }, (_, i) => `label${i}`);
function facts(i, next) {
  const year = 2000 + Math.floor(next() * 25);
  const month = 1 + Math.floor(next() * 12);
  return {
    kind: 'photo',
    takenAt: `${year}-${String(month).padStart(2, '0')}-15T12:00:00`,
    camera: `Camera ${Math.floor(next() * 30)}`,
    place: PLACES[Math.floor(next() * PLACES.length)],
    tags: [LABELS[Math.floor(next() * 60)], LABELS[Math.floor(next() * 60)]].map((label) => ({
      label,
      score: 0.3,
    })),
  };
}

/** The same int8 scan as the kernel, in plain JavaScript: the baseline. */
function scalarScan(codes, scales, n, query) {
  const scores = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    const base = r * dim;
    for (let d = 0; d < dim; d++) s += query[d] * codes[base + d];
    scores[r] = s * scales[r];
  }
  return scores;
}

/** The ids of the k best scores, by one pass keeping the best k (as the matrix does). */
function topIds(scores, k) {
  const best = [];
  let worst = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (best.length === k && scores[i] <= worst) continue;
    best.push(i);
    if (best.length > k) {
      best.sort((x, y) => scores[y] - scores[x]);
      best.length = k;
      worst = scores[best[k - 1]];
    }
  }
  return best.sort((x, y) => scores[y] - scores[x]);
}

const rows = [];

for (const n of sizes) {
  const matrix = new EmbeddingMatrix(dim);
  matrix.reserve(n);
  const codes = new Int8Array(n * dim);
  const scales = new Float32Array(n);
  const next = random(99);
  const v = new Float32Array(dim);
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const q = quantize(embedding(i, v));
    codes.set(q.codes, i * dim);
    scales[i] = q.scale;
    matrix.set({
      id: i + 1,
      path: `/lib/${2000 + (i % 25)}/p${i}.jpg`,
      vector: q,
      facts: facts(i, next),
    });
  }
  const loadMs = performance.now() - t;

  // Queries: near a photo (as `similar` is) and made noisy, so each has a real top 10.
  const qs = Array.from({ length: queries }, (_, j) => {
    const base = embedding((j * 7919) % n);
    const noise = random(5000 + j);
    return unit(base.map((x) => x + gaussian(noise) * 0.03));
  });
  const cases = {
    'no filter': {},
    'date range (2010–2014)': { from: '2010-01-01', to: '2014-12-31' },
    'place + tag': { place: 'C7', tags: ['label3'] },
  };
  const results = {};
  for (const [name, filters] of Object.entries(cases)) {
    const times = [];
    for (const vector of qs) {
      t = performance.now();
      matrix.search({ vector, limit: 10, ...filters }, '/lib');
      times.push(performance.now() - t);
    }
    results[name] = median(times);
  }
  const baseline = [];
  for (const vector of qs.slice(0, Math.min(5, qs.length))) {
    t = performance.now();
    topIds(scalarScan(codes, scales, n, vector), 10);
    baseline.push(performance.now() - t);
  }

  // Recall@10 of the int8 search against exact float32 search (embeddings made again).
  const recallQueries = qs.slice(0, n >= 1_000_000 ? 10 : 30);
  const exact = recallQueries.map(() => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const e = embedding(i, v);
    for (let j = 0; j < recallQueries.length; j++) {
      const q = recallQueries[j];
      let s = 0;
      for (let d = 0; d < dim; d++) s += q[d] * e[d];
      exact[j][i] = s;
    }
  }
  let found = 0;
  for (let j = 0; j < recallQueries.length; j++) {
    const truth = new Set(topIds(exact[j], 10).map((i) => i + 1));
    const got = matrix.search({ vector: recallQueries[j], limit: 10 }, '/lib');
    found += got.filter((hit) => truth.has(hit.id)).length;
  }
  const recall = found / (10 * recallQueries.length);

  const base = median(baseline);
  rows.push(
    `| ${n.toLocaleString('en')} | ${Object.values(results)
      .map((ms) => ms.toFixed(1))
      .join(' | ')} | ${base.toFixed(0)} (${(base / results['no filter']).toFixed(1)}×) | ` +
      `${(matrix.bytes / n).toFixed(0)} | ${recall.toFixed(3)} (${recallQueries.length}) | ${(loadMs / 1000).toFixed(1)} |`,
  );
}

/** Filings timed per case; the median is shown. */
const FILINGS = 5;
/** The largest index filled in SQLite for the filing case (a million rows take minutes). */
const FILING_MAX = 100_000;

/**
 * Files photo `i` as the daemon does: the tag stage stores its embedding and facts, then the
 * journal sync (run by the next query) records its path; the sync and the query are timed.
 */
function fileAndQuery(tagStage, reader, i, vector) {
  const hash = `h${i}`;
  tagStage.putEmbedding(hash, embedding(i));
  tagStage.putFacts(hash, facts(i, random(i)));
  const t = performance.now();
  reader.setFile(`/lib/new/p${i}.jpg`, hash, 1000, null);
  reader.query({ vector, limit: 10 });
  return performance.now() - t;
}

/** The first query after a filing: a second connection's reload against the shared one. */
function firstQueryAfterFiling(n) {
  const state = mkdtempSync(join(tmpdir(), 'photosortd-bench-search-'));
  const open = () => SearchIndex.open(state, { model: 'bench', library: '/lib' });
  const daemon = open();
  const next = random(99);
  daemon.transaction(() => {
    for (let i = 0; i < n; i++) {
      daemon.putEmbedding(`h${i}`, embedding(i));
      daemon.putFacts(`h${i}`, facts(i, next));
      daemon.setFile(`/lib/${2000 + (i % 25)}/p${i}.jpg`, `h${i}`, 1000, null);
    }
  });
  const vector = embedding(4242 % n);
  const api = open();
  api.query({ vector, limit: 10 });
  const separate = Array.from({ length: FILINGS }, (_, k) =>
    fileAndQuery(daemon, api, n + k, vector),
  );
  daemon.query({ vector, limit: 10 });
  const shared = Array.from({ length: FILINGS }, (_, k) =>
    fileAndQuery(daemon, daemon, n + FILINGS + k, vector),
  );
  api.close();
  daemon.close();
  rmSync(state, { recursive: true, force: true });
  const [before, after] = [median(separate), median(shared)];
  return `| ${n.toLocaleString('en')} | ${before.toFixed(0)} | ${after.toFixed(1)} | ${(before / after).toFixed(0)}× |`;
}

const filingRows = [...new Set(sizes.map((n) => Math.min(n, FILING_MAX)))].map(
  firstQueryAfterFiling,
);

console.log(
  [
    '## Search',
    '',
    `\`node bench/search.js ${sizes.join(',')} ${queries}\` — the index's in-memory matrix on synthetic`,
    `${dim}-d unit embeddings shaped like CLIP's (${clusters} clusters plus noise), with dates, places,`,
    'cameras and two tags per photo; queries are noisy copies of indexed embeddings (as',
    `\`similar\` asks), top 10, ${queries} per case; p50 in ms. Baseline: the same int8 scan in plain`,
    'JavaScript (no SIMD), in the same run. Recall@10 against exact float32 search on the same',
    `data (number of queries in brackets). Load average at start: ${await loadAverage()}.`,
    '',
    '| photos | no filter | date range (5 of 25 years) | place + tag | plain-JS scan (kernel ×) | bytes/photo | recall@10 | load s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'First query after a photo is filed (ms, median of ' + FILINGS + ' filings), on the index in',
    'SQLite: the journal sync that records the new file, then the query. "Second connection" is',
    "how the API's search read the index before: after the daemon's write it must load the",
    'whole matrix again. "Shared" is the daemon\'s own index, which the API reads now: the row',
    `is added in place. Up to ${FILING_MAX.toLocaleString('en')} photos (filling SQLite with a million takes minutes).`,
    '',
    '| photos | second connection (matrix loaded anew) | shared index (row added in place) | ratio |',
    '|---:|---:|---:|---:|',
    ...filingRows,
    '',
  ].join('\n'),
);

async function loadAverage() {
  const { loadavg } = await import('node:os');
  return loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
}

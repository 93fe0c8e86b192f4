import { dirname, isAbsolute, resolve } from 'node:path';
import { instantiateKernel, strideFor } from './dot-kernel.js';
import {
  cameraMatches,
  dateRange,
  folderMatches,
  placeMatches,
  tagsMatch,
  wallClockMillis,
} from './filters.js';
import { quantizeQuery, type QuantizedVector } from './quantize.js';
import type { IndexedPlace, MediaFacts, SearchQuery } from './types.js';
import { SEARCH_DEFAULTS } from './types.js';

const KINDS = ['photo', 'video', 'other'] as const;
/** Slots added at a time when the matrix is full (grows by half, at least this). */
const MIN_GROWTH = 1024;
/** WebAssembly pages are 64 KiB. */
const PAGE = 65_536;

/** Distinct values of a column, each kept once and referred to by its number. */
class Interner<T> {
  readonly values: T[] = [];
  private readonly ids = new Map<string, number>();

  constructor(private readonly keyOf: (value: T) => string) {}

  id(value: T): number {
    const key = this.keyOf(value);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(key, id);
    }
    return id;
  }

  /** A lookup table: `1` for the ids whose value passes `test`. */
  allowed(test: (value: T) => boolean): Uint8Array {
    return Uint8Array.from(this.values, (value) => (test(value) ? 1 : 0));
  }
}

/** A file's place in the matrix: its row id and the facts filters look at. */
export interface MatrixEntry {
  /** The store's id of the file. */
  id: number;
  path: string;
  vector: QuantizedVector;
  facts: MediaFacts;
}

/** One hit of {@link EmbeddingMatrix.search}: the store's id and the score. */
export interface MatrixHit {
  id: number;
  score: number;
}

/**
 * Every indexed file's embedding in one int8 matrix (in WebAssembly memory, scored by the
 * SIMD kernel), beside the columns filters test: capture time, kind, and interned camera,
 * place, folder and tag set. About 550 bytes a file at 512 dimensions; paths and the rest
 * stay in SQLite and are read for the hits only.
 */
export class EmbeddingMatrix {
  readonly dim: number;
  private readonly stride: number;
  private readonly kernel = instantiateKernel();
  private capacity = 0;
  private used = 0;
  private readonly free: number[] = [];
  private readonly slotOf = new Map<number, number>();
  private ids = new Int32Array(0);
  private scales = new Float32Array(0);
  private taken = new Float64Array(0);
  private kinds = new Uint8Array(0);
  private cameras = new Uint32Array(0);
  private places = new Uint32Array(0);
  private folders = new Uint32Array(0);
  private tagSets = new Uint32Array(0);
  private readonly cameraNames = new Interner<string | null>((v) => v ?? '');
  private readonly placeNames = new Interner<IndexedPlace | null>((v) => JSON.stringify(v));
  private readonly folderNames = new Interner<string>((v) => v);
  private readonly tagLists = new Interner<string[]>((v) => v.join('\n'));

  constructor(dim: number) {
    this.dim = dim;
    this.stride = strideFor(dim);
  }

  /** Files in the matrix. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Bytes held for the files (matrix, scratch scores and filter columns). */
  get bytes(): number {
    return this.kernel.memory.buffer.byteLength + this.capacity * (4 + 4 + 8 + 1 + 4 * 4);
  }

  /** Whether the file with this store id is in the matrix. */
  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  /** Makes room for `count` files at once (loading a known number of rows wastes no slack). */
  reserve(count: number): void {
    if (count > this.capacity) this.grow(count);
  }

  /** Adds a file, or replaces what the matrix holds for its id. */
  set(entry: MatrixEntry): void {
    if (entry.vector.codes.length !== this.dim) {
      throw new Error(
        `embedding has ${entry.vector.codes.length} dimensions, the index ${this.dim}`,
      );
    }
    let slot = this.slotOf.get(entry.id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.used++;
      if (slot >= this.capacity) this.grow(Math.max(MIN_GROWTH, Math.ceil(this.capacity * 1.5)));
      this.slotOf.set(entry.id, slot);
    }
    const row = new Int8Array(
      this.kernel.memory.buffer,
      this.matrixOffset + slot * this.stride,
      this.stride,
    );
    row.fill(0);
    row.set(entry.vector.codes);
    const { facts } = entry;
    this.ids[slot] = entry.id;
    this.scales[slot] = entry.vector.scale;
    this.taken[slot] = wallClockMillis(facts.takenAt);
    this.kinds[slot] = KINDS.indexOf(facts.kind);
    this.cameras[slot] = this.cameraNames.id(facts.camera);
    this.places[slot] = this.placeNames.id(facts.place);
    this.folders[slot] = this.folderNames.id(dirname(entry.path));
    this.tagSets[slot] = this.tagLists.id(facts.tags.map((tag) => tag.label).sort());
  }

  /** Removes a file; its slot is reused. */
  delete(id: number): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    this.slotOf.delete(id);
    this.ids[slot] = -1;
    this.free.push(slot);
  }

  /**
   * The best files for a query, best first (or newest first with `sort: 'date'`). Filters
   * are tested on the columns; `library` resolves a relative `folder`.
   */
  search(query: SearchQuery, library: string): MatrixHit[] {
    const limit = Math.min(query.limit ?? SEARCH_DEFAULTS.limit, SEARCH_DEFAULTS.maxLimit);
    const minScore = query.minScore ?? -Infinity;
    const keep = this.filter(query, library);
    const { codes, scale } = quantizeQuery(query.vector, this.stride);
    const memory = this.kernel.memory.buffer;
    new Int16Array(memory, 0, this.stride).set(codes);
    this.kernel.dots(this.matrixOffset, this.used, this.stride, 0, this.scoresOffset);
    const raw = new Int32Array(memory, this.scoresOffset, this.used);
    const byDate = query.sort === 'date';
    const hits: MatrixHit[] = [];
    let worst = -Infinity;
    // Cheapest tests first: most slots fall below the current k-th best on their score alone,
    // so the filters run only for the few that could make the list.
    for (let slot = 0; slot < this.used; slot++) {
      const score = raw[slot]! * this.scales[slot]! * scale;
      if (score < minScore || (!byDate && hits.length === limit && score <= worst)) continue;
      if (this.ids[slot]! < 0 || (keep !== null && !keep(slot))) continue;
      hits.push({ id: this.ids[slot]!, score });
      if (!byDate && hits.length > limit) {
        hits.sort((a, b) => b.score - a.score);
        hits.length = limit;
        worst = hits[limit - 1]!.score;
      }
    }
    if (byDate) {
      const taken = new Map(hits.map((hit) => [hit.id, this.taken[this.slotOf.get(hit.id)!]!]));
      const time = (id: number) => (Number.isNaN(taken.get(id)!) ? -Infinity : taken.get(id)!);
      return hits.sort((a, b) => time(b.id) - time(a.id) || b.score - a.score).slice(0, limit);
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /** The filters as one test of a slot, each looking up its column (`null`: no filter). */
  private filter(query: SearchQuery, library: string): ((slot: number) => boolean) | null {
    const tests: ((slot: number) => boolean)[] = [];
    const { from, to } = dateRange(query);
    if (from !== -Infinity || to !== Infinity) {
      tests.push((slot) => this.taken[slot]! >= from && this.taken[slot]! <= to);
    }
    if (query.kind) {
      const kind = KINDS.indexOf(query.kind);
      tests.push((slot) => this.kinds[slot] === kind);
    }
    if (query.camera) {
      const wanted = query.camera;
      const ok = this.cameraNames.allowed(
        (camera) => camera !== null && cameraMatches(camera, wanted),
      );
      tests.push((slot) => ok[this.cameras[slot]!] === 1);
    }
    if (query.place) {
      const wanted = query.place;
      const ok = this.placeNames.allowed((place) => place !== null && placeMatches(place, wanted));
      tests.push((slot) => ok[this.places[slot]!] === 1);
    }
    if (query.folder) {
      const folder = isAbsolute(query.folder)
        ? resolve(query.folder)
        : resolve(library, query.folder);
      const ok = this.folderNames.allowed((name) => folderMatches(name, folder));
      tests.push((slot) => ok[this.folders[slot]!] === 1);
    }
    if (query.tags && query.tags.length > 0) {
      const wanted = query.tags;
      const ok = this.tagLists.allowed((labels) => tagsMatch(labels, wanted));
      tests.push((slot) => ok[this.tagSets[slot]!] === 1);
    }
    if (tests.length === 0) return null;
    return (slot) => tests.every((test) => test(slot));
  }

  /** The query block sits first, then the matrix; the kernel's scores follow the matrix. */
  private get matrixOffset(): number {
    return this.stride * 2;
  }

  private get scoresOffset(): number {
    return this.matrixOffset + this.capacity * this.stride;
  }

  private grow(capacity: number): void {
    const needed = this.matrixOffset + capacity * (this.stride + 4);
    const memory = this.kernel.memory;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    }
    const extend = <T extends Int32Array | Float32Array | Float64Array | Uint8Array | Uint32Array>(
      old: T,
      make: (n: number) => T,
    ): T => {
      const next = make(capacity);
      next.set(old as never);
      return next;
    };
    this.ids = extend(this.ids, (n) => new Int32Array(n).fill(-1));
    this.scales = extend(this.scales, (n) => new Float32Array(n));
    this.taken = extend(this.taken, (n) => new Float64Array(n));
    this.kinds = extend(this.kinds, (n) => new Uint8Array(n));
    this.cameras = extend(this.cameras, (n) => new Uint32Array(n));
    this.places = extend(this.places, (n) => new Uint32Array(n));
    this.folders = extend(this.folders, (n) => new Uint32Array(n));
    this.tagSets = extend(this.tagSets, (n) => new Uint32Array(n));
    this.capacity = capacity;
  }
}

import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** HEVC decoding settings, each with its reason. */
const HEIF_DECODE_DEFAULTS = Object.freeze({
  /**
   * The decoding worker ends after this long without work: with libheif's WebAssembly heap,
   * which never shrinks, it holds ~180 MiB after a 12 MP photo (BENCHMARKS.md), which an
   * idle daemon gives back; an `index` run over many HEICs keeps one worker warm.
   */
  idleMs: 15_000,
});

/** Decoded pixels: `width` × `height` × 4 (RGBA), row-major, upright. */
export interface RawImage {
  width: number;
  height: number;
  channels: 4;
  data: Buffer;
}

/** HEIF major brands of still images and sequences (HEVC and friends; AVIF is sharp's). */
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);

/**
 * Whether a file is a HEIF container by its `ftyp` major brand: read from 12 bytes, so a
 * file of another kind never loads the decoder.
 */
export async function isHeif(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    return (
      bytesRead === 12 &&
      head.toString('latin1', 4, 8) === 'ftyp' &&
      HEIF_BRANDS.has(head.toString('latin1', 8, 12))
    );
  } finally {
    await handle.close();
  }
}

/**
 * Why a HEIF file is cut short, or null when each top-level box ends within it. libheif
 * fills the tiles a truncated file lacks with green and reports no error, so this is asked
 * first: a half-green picture must not pass for the photo.
 */
async function truncation(path: string): Promise<string | null> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      if (bytesRead < 8) return `it ends inside a box header at byte ${offset}`;
      const type = header.toString('latin1', 4, 8);
      let length = header.readUInt32BE(0);
      if (length === 1 && bytesRead === 16) length = Number(header.readBigUInt64BE(8));
      if (length === 0) return null; // The last box runs to the end of the file.
      if (length < 8) return `box '${type}' at byte ${offset} has an impossible size ${length}`;
      if (offset + length > size) {
        return `box '${type}' declares ${offset + length} bytes, but the file ends at ${size}`;
      }
      offset += length;
    }
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * The worker's code: heic-decode (libheif in WebAssembly) decodes synchronously for
 * 0.4–2 s per 12 MP photo, which on the main thread would stall the daemon's API and
 * watcher. CommonJS evaluated from a string, so the same code runs from `dist/` and under
 * the test runner; libheif's console chatter is kept as the error's detail instead of
 * reaching stdout (where `--json` output goes). One decode at a time (heic-decode yields
 * mid-decode), so the heap holds one photo however many the tagger has in flight.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const said = [];
console.log = console.warn = console.error = (...args) => said.push(args.map(String).join(' '));
const decode = require(workerData.heicDecode);
async function answer({ id, path }) {
  said.length = 0;
  try {
    const { width, height, data } = await decode({ buffer: readFileSync(path) });
    parentPort.postMessage({ id, width, height, data }, [data.buffer]);
  } catch (error) {
    const detail = said.length > 0 ? ' (' + said.join('; ') + ')' : '';
    parentPort.postMessage({ id, error: (error && error.message) + detail });
  }
}
let queue = Promise.resolve();
parentPort.on('message', (request) => (queue = queue.then(() => answer(request))));
`;

type Reply =
  | { id: number; width: number; height: number; data: Uint8ClampedArray }
  | { id: number; error: string };

interface Pending {
  resolve: (image: RawImage) => void;
  reject: (error: Error) => void;
}

/** The one decoding worker of this process: started on the first HEVC photo. */
class HeifWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly onEnd: (ended: HeifWorker) => void) {
    const heicDecode = createRequire(import.meta.url).resolve('heic-decode');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { heicDecode } });
    this.worker.on('message', (reply: Reply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(`the HEIF decoder failed: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(`the HEIF decoder stopped (exit code ${code})`));
    this.worker.unref();
  }

  decode(path: string): Promise<RawImage> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // Referenced only while it works: an idle worker must not keep a CLI process alive.
    this.worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, path });
    });
  }

  private settle(reply: Reply): void {
    const waiting = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker.unref();
      this.idleTimer = setTimeout(() => {
        // Forgotten first, so a decode asked for meanwhile starts a new worker.
        this.onEnd(this);
        void this.worker.terminate();
      }, HEIF_DECODE_DEFAULTS.idleMs);
      this.idleTimer.unref();
    }
    if (!waiting) return;
    if ('error' in reply) {
      waiting.reject(new Error(reply.error));
      return;
    }
    const { width, height, data } = reply;
    waiting.resolve({
      width,
      height,
      channels: 4,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    });
  }

  /** The worker is gone: every waiting decode fails, and the next one starts a new worker. */
  private fail(reason: string): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.onEnd(this);
    for (const { reject } of this.pending.values()) reject(new Error(reason));
    this.pending.clear();
  }
}

let current: HeifWorker | null = null;

/**
 * Decodes a HEIF file's first image (an iPhone HEIC's photo) to RGBA in a worker thread,
 * with its `irot`/`imir` transformations applied by libheif, so the pixels are upright and
 * its EXIF orientation (which HEIF readers ignore) must not be applied again. Throws when the
 * file is truncated or libheif cannot decode it.
 */
export async function decodeHeif(path: string): Promise<RawImage> {
  const cut = await truncation(path);
  if (cut) throw new Error(`truncated HEIF: ${cut}`);
  current ??= new HeifWorker((ended) => {
    if (current === ended) current = null;
  });
  return current.decode(path);
}

/**
 * Dot products of an int8 matrix with an int16 query, in WebAssembly SIMD (`dot-kernel.wat`,
 * compiled by `node scripts/build-dot-kernel.js`): about 10× faster than the same loop in
 * JavaScript, which has no integer SIMD (BENCHMARKS.md, search).
 */

/** `dot-kernel.wat` compiled; scripts/build-dot-kernel.js prints this line again. */
export const KERNEL_WASM =
  'AGFzbQEAAAABCQFgBX9/f39/AAMCAQAFAwEAAQcRAgZtZW1vcnkCAARkb3RzAAAKtwEBtAEDAn8CewF/IAAgASACbGohBQJAA0AgACAFTw0B/QwAAAAAAAAAAAAAAAAAAAAAIQdBACEGIAMhCQNAIAAgBmr9AAQAIQggByAI/YcBIAn9AAQA/boB/a4BIQcgByAI/YgBIAn9AAQQ/boB/a4BIQcgCUEgaiEJIAZBEGohBiAGIAJJDQALIAQgB/0bACAH/RsBaiAH/RsCIAf9GwNqajYCACAEQQRqIQQgACACaiEADAALCws=';

/** Components are processed 16 at a time; vectors are zero-padded to a multiple of this. */
const LANES = 16;

/** The WebAssembly API as far as the kernel uses it (TypeScript's lib without DOM lacks it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface KernelExports {
  memory: KernelMemory;
  dots(matrix: number, rows: number, stride: number, query: number, out: number): void;
}

let compiled: object | undefined;

/** A fresh kernel instance with its own memory (one per matrix). */
export function instantiateKernel(): KernelExports {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM, 'base64'));
  return new WebAssembly.Instance(compiled).exports as unknown as KernelExports;
}

/** `dim` rounded up to whole SIMD blocks. */
export function strideFor(dim: number): number {
  return Math.ceil(dim / LANES) * LANES;
}

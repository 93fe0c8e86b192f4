#!/usr/bin/env node
/**
 * Compiles src/search/dot-kernel.wat to WebAssembly and prints it as base64, for the
 * `KERNEL_WASM` constant of src/search/dot-kernel.ts (so running photosortd needs no
 * WebAssembly toolchain). Usage: node scripts/build-dot-kernel.js
 */
import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';

const source = new URL('../src/search/dot-kernel.wat', import.meta.url);
const wabt = await wabtInit();
const module = wabt.parseWat('dot-kernel.wat', await readFile(source, 'utf8'), { simd: true });
const { buffer } = module.toBinary({});
console.log(Buffer.from(buffer).toString('base64'));

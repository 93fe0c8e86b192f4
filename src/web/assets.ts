import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's script and stylesheet, shipped in the package (no CDN): the same folder
 * serves from a clone (src/web) and from the built package (dist/web), as both sit two
 * levels below the package root.
 */
const ASSET_DIR = fileURLToPath(new URL('../../src/web/assets/', import.meta.url));

/** The assets by URL name, with their content types. */
export const ASSETS: Readonly<Record<string, string>> = Object.freeze({
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
});

const loaded = new Map<string, Promise<Buffer>>();

/** An asset's bytes, read once. */
export function asset(name: string): Promise<Buffer> | undefined {
  if (!(name in ASSETS)) return undefined;
  let bytes = loaded.get(name);
  if (!bytes) {
    bytes = readFile(ASSET_DIR + name);
    loaded.set(name, bytes);
  }
  return bytes;
}

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROBE_PREFIX } from '../../src/lib/fs-capabilities.js';

/** A fresh folder under the system's temp folder. */
export function tempDir(prefix = 'photosortd-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Every file below `root` (not folders), as sorted paths relative to `root`. The filesystem
 * probe's empty dotfiles (lib/fs-capabilities.ts), which live for a millisecond during the
 * first move onto a filesystem, are not counted: a wait for "one file filed" once took one
 * of them for the photo.
 */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith(PROBE_PREFIX))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** SHA-256 hex of a file's bytes. */
export async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Map of relative path → SHA-256 for every file below `root`. */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const path of await listFiles(root)) result.set(path, await sha256(join(root, path)));
  return result;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../src/lib/version.js';
import { BIN, ensureBuilt } from './support/cli.js';
import { tempDir } from './support/fs.js';

/**
 * `bin/photosortd` as the shell runs it (its shebang is `/bin/sh`): it starts Node with
 * `--v8-pool-size` one below the cores, within 1–4, unless NODE_OPTIONS sets it.
 */

/** Runs the bin with a `node` first on PATH that prints the arguments it was given. */
async function argumentsNodeGets(env: Record<string, string> = {}): Promise<string[]> {
  const dir = await tempDir();
  const fake = join(dir, 'node');
  await writeFile(fake, '#!/bin/sh\nfor arg in "$@"; do echo "$arg"; done\n');
  await chmod(fake, 0o755);
  const output = execFileSync(BIN, ['scan', '/photos/in box', '--dry-run'], {
    env: { ...process.env, ...env, PATH: `${dir}${delimiter}${process.env.PATH}` },
    encoding: 'utf8',
  });
  return output.trimEnd().split('\n');
}

describe('bin/photosortd run by the shell', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it("starts node with V8's thread pool one smaller than the cores (1–4), passing every argument", async () => {
    const threads = Math.min(4, Math.max(1, cpus().length - 1));
    expect(await argumentsNodeGets()).toEqual([
      `--v8-pool-size=${threads}`,
      BIN,
      'scan',
      '/photos/in box',
      '--dry-run',
    ]);
  });

  it('leaves the pool size to NODE_OPTIONS when it names one', async () => {
    const args = await argumentsNodeGets({
      NODE_OPTIONS: '--max-old-space-size=512 --v8-pool-size=3',
    });
    expect(args).toEqual([BIN, 'scan', '/photos/in box', '--dry-run']);
  });

  it('runs the CLI with the real node', () => {
    const output = execFileSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(output.trim()).toBe(VERSION);
  });
});

import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { scan } from '../../src/cli/scan.js';
import type { Config } from '../../src/config/load.js';
import { silentLogger } from '../../src/lib/logger.js';
import { ROOT } from './cli.js';

/** The exiftool that exiftool-vendored ships, run as a user would from a shell. */
const EXIFTOOL = join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool');

/** Runs `exiftool ARGS...` (e.g. `-o IMG_1.xmp IMG_1.jpg` to make a sidecar); returns stdout. */
export function exiftoolCli(args: string[]): string {
  return execFileSync(EXIFTOOL, args, { encoding: 'utf8' });
}

/** One line of `scan --json`. */
export type ScanLine = Record<string, unknown> & {
  source: string;
  target: string | null;
  action: string;
};

/** Runs `scan --json` in this process on `dirs`; returns its exit status and lines. */
export async function scanJson(
  config: Config,
  dirs: string[],
  dryRun = false,
): Promise<{ code: number; lines: ScanLine[] }> {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const code = await scan({ config, dirs, dryRun, json: true, logger: silentLogger(), out });
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScanLine);
  return { code, lines };
}

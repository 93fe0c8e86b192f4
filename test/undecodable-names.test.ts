import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDaemon } from '../src/app/launch.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { escapeUndecodable } from '../src/lib/undecodable-names.js';
import { capturedLogger } from './support/captured.js';
import { runCli } from './support/cli.js';
import { listFiles, sha256, waitFor } from './support/fs.js';
import { makeJpeg } from './support/media.js';
import { projectConfig } from './support/daemon-project.js';

/** `IMG_<0xff><0xfe>.jpg`: Latin-1 bytes, as an old camera card or a Windows zip leaves them. */
const BAD_NAME = Buffer.concat([
  Buffer.from('IMG_'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('.jpg'),
]);
const running: Daemon[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop(10_000)));
});

/** Writes a dated photo under a name that is not UTF-8; returns its content's SHA-256. */
async function dropBadlyNamed(folder: string): Promise<string> {
  const bytes = await makeJpeg({ date: '2019:04:05 06:07:08', seed: 77 });
  await writeFile(Buffer.concat([Buffer.from(`${folder}/`), BAD_NAME]), bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

describe('file names that are not valid UTF-8', () => {
  it('escape each bad byte as %XX and keep the valid characters', () => {
    expect(escapeUndecodable(BAD_NAME)).toBe('IMG_%FF%FE.jpg');
    expect(escapeUndecodable(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0xe9, 0x2e]))).toBe(
      'café%E9.',
    );
    // A cut-off sequence and an overlong encoding are not characters either.
    expect(escapeUndecodable(Buffer.from([0xe2, 0x82, 0x41, 0xc0, 0xaf]))).toBe('%E2%82A%C0%AF');
  });

  it('are filed by scan, under the escaped name, byte for byte', async () => {
    const p = await projectConfig({}, 'photosortd-utf8-scan-');
    const hash = await dropBadlyNamed(p.inbox);
    const result = await runCli(['scan', p.inbox, '--json', '--config', p.config]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('"action":"move"');
    expect(await listFiles(p.library)).toEqual(['2019/2019-04-05/IMG_%FF%FE.jpg']);
    expect(await sha256(join(p.library, '2019', '2019-04-05', 'IMG_%FF%FE.jpg'))).toBe(hash);
    expect(await readdir(p.inbox)).toEqual([]);
  });

  it('are reported, not renamed, by scan --dry-run', async () => {
    const p = await projectConfig({}, 'photosortd-utf8-dry-');
    await dropBadlyNamed(p.inbox);
    const result = await runCli(['scan', p.inbox, '--dry-run', '--json', '--config', p.config]);
    expect(result.stdout).toContain('is not valid UTF-8');
    expect(result.stdout).not.toContain('disappeared');
    expect(await readdir(p.inbox, { encoding: 'buffer' })).toEqual([BAD_NAME]);
  });

  it('are filed by the daemon, and never logged as disappeared', async () => {
    const p = await projectConfig({ settle: 200 }, 'photosortd-utf8-daemon-');
    const log = capturedLogger('info');
    const daemon = await launchDaemon(p.loaded, log.logger);
    running.push(daemon);
    await daemon.ready;
    const hash = await dropBadlyNamed(p.inbox);
    await waitFor(async () => (await listFiles(p.library)).length === 1, {
      what: 'the badly named photo to be filed',
      timeoutMs: 30_000,
    });
    expect(await listFiles(p.library)).toEqual(['2019/2019-04-05/IMG_%FF%FE.jpg']);
    expect(await sha256(join(p.library, '2019', '2019-04-05', 'IMG_%FF%FE.jpg'))).toBe(hash);
    expect(await readdir(p.inbox)).toEqual([]);
    const text = log.lines().join('\n');
    expect(text).not.toContain('disappeared');
    expect(text).toContain('not valid UTF-8');
  });
});

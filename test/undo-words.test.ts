import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEntry } from '../src/cli/journal-text.js';
import { journalEntry } from './support/recording-daemon-control.js';
import { runCli } from './support/cli.js';
import { listFiles } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { jsonLines, project } from './support/project.js';

describe("undo's words", () => {
  it('a refusal for an occupied path gives its own hint, not "use --force"', async () => {
    const p = await project({}, 'photosortd-undo-occupied-');
    await writeJpeg(join(p.inbox, 'IMG_1.jpg'), { date: '2020:01:02 03:04:05', seed: 1 });
    expect((await runCli(['scan', p.inbox, '--config', p.config])).code).toBe(0);
    await writeFile(join(p.inbox, 'IMG_1.jpg'), 'another file now has the name');
    const undo = await runCli(['undo', '--last', '1', '--config', p.config]);
    expect(undo.code).toBe(1);
    expect(undo.stdout).toContain('is occupied by another file; move that away first');
    expect(undo.stdout).not.toContain('--force');
    expect(undo.stdout).toContain('put back 0 files; 1 file refused, each for the reason above');
    expect(await readFile(join(p.inbox, 'IMG_1.jpg'), 'utf8')).toBe(
      'another file now has the name',
    );
  });

  it('--dry-run says "would put back N files", makes no batch and journals nothing', async () => {
    const p = await project({}, 'photosortd-undo-dry-');
    for (const i of [1, 2, 3]) {
      await writeJpeg(join(p.inbox, `IMG_${i}.jpg`), { date: '2020:01:02 03:04:05', seed: i });
    }
    expect((await runCli(['scan', p.inbox, '--config', p.config])).code).toBe(0);
    const journalBefore = jsonLines(
      (await runCli(['journal', '--json', '--config', p.config])).stdout,
    );
    const dry = await runCli(['undo', '--all', '--dry-run', '--config', p.config]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would put back  ');
    expect(dry.stdout).toContain('dry run: would put back 3 files; nothing was changed');
    expect(dry.stdout).not.toMatch(/file\(s\)|batch/);
    const journalAfter = jsonLines(
      (await runCli(['journal', '--json', '--config', p.config])).stdout,
    );
    expect(journalAfter).toEqual(journalBefore);
    expect(await listFiles(p.library)).toHaveLength(3);

    const real = await runCli(['undo', '--all', '--config', p.config]);
    expect(real.stdout).toMatch(/put back 3 files \(batch \S+\)/);
    expect(await listFiles(p.inbox)).toEqual(['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg']);
  });

  it('the human journal shows a created sidecar once, not as "X → X"', () => {
    const sidecar = '/lib/2020/IMG_1.jpg.xmp';
    const line = describeEntry(
      journalEntry({ op: 'create', source: sidecar, target: sidecar, batch: 'b1' }),
    );
    expect(line).toContain(`create  done    ${sidecar}\n`);
    expect(line).not.toContain('→');
    const move = describeEntry(journalEntry({ source: '/in/a.jpg', target: '/lib/a.jpg' }));
    expect(move).toContain('/in/a.jpg → /lib/a.jpg');
  });
});

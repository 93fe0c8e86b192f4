import { execFileSync } from 'node:child_process';
import { open, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryOf, sleep } from '../bench/lib/daemon.js';
import { startCli } from './support/cli.js';
import { listFiles, snapshot } from './support/fs.js';
import { writeJpeg } from './support/media.js';
import { jsonLines, project, scanProject, type ScanLine } from './support/project.js';

/** Values built to leave the library, break a path or fool a reader. */
const HOSTILE = [
  '../../../../outside',
  '/etc/passwd',
  '..',
  '.',
  'line\nbreak\rand\ttab',
  'x'.repeat(10_000),
  'CON',
  'nul.txt',
  'COM1',
  '\u202Egpj.exe',
  'a\u200Bb\u2066c\u2069',
  ' ',
  'C:\\Windows\\System32',
  'dots...',
];

/** What a path below the library may not contain in any segment. */
function badSegments(path: string): string[] {
  return path.split('/').filter(
    (segment) =>
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      Buffer.byteLength(segment) > 255 ||
      // Control, bidi and zero-width characters.
      /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u.test(segment),
  );
}

describe('hostile metadata and file names', () => {
  it('stay inside the library in every token, with well-formed folder and file names', async () => {
    const p = await project({
      rules: [{ name: 'default', to: '{camera.make}/{camera.model}/{year}/{name}{ext}' }],
    });
    const names = [
      'CON.jpg',
      '..jpg',
      '\u202Egpj.exe.jpg',
      'line\nbreak.jpg',
      `${'n'.repeat(250)}.jpg`,
      ' .jpg',
      '-all=.jpg',
    ];
    for (let i = 0; i < HOSTILE.length; i++) {
      await writeJpeg(join(p.inbox, `IMG_${i}.jpg`), {
        date: '2019:01:10 10:00:00',
        make: HOSTILE[i]!,
        model: HOSTILE[(i + 3) % HOSTILE.length]!,
        seed: 100 + i,
      });
    }
    for (let i = 0; i < names.length; i++) {
      await writeJpeg(join(p.inbox, names[i]!), {
        date: '2019:01:10 10:00:00',
        make: HOSTILE[i]!,
        seed: 200 + i,
      });
    }
    const inputs = await snapshot(p.inbox);

    const scan = await scanProject(p);

    // `..jpg` is a dotfile, which photosortd passes by like a partial download.
    inputs.delete('..jpg');
    const lines = [...scan.byName.values()];
    expect(lines, scan.stderr).toHaveLength(inputs.size);
    for (const line of lines) {
      expect(line.target, line.source).toMatch(new RegExp(`^${p.library}/`));
      expect(line.action, `${line.source}: ${line.error}`).toMatch(/^(move|unsorted)$/);
    }
    // Everything is filed, byte for byte, and the project folder holds nothing else.
    const filed = await snapshot(p.library);
    expect([...filed.values()].sort()).toEqual([...inputs.values()].sort());
    expect(await listFiles(p.inbox)).toEqual(['..jpg']);
    expect((await readdir(p.dir)).sort()).toEqual([
      'inbox',
      'library',
      'photosortd.config.yaml',
      'state',
    ]);
    expect([...filed.keys()].flatMap(badSegments)).toEqual([]);
    // A file with a line break in its name, which exiftool cannot be handed as an argument,
    // is read through an alias: it gets its EXIF date, and a name without the break.
    const broken = scan.byName.get('line\nbreak.jpg') as ScanLine & { dateSource: string };
    expect(broken).toMatchObject({ action: 'move', dateSource: 'ExifIFD:DateTimeOriginal' });
    expect(broken.target).toMatch(/\/2019\/line break\.jpg$/);
  }, 120_000);
});

describe('inputs that are not plain photos', () => {
  it('symlinks out of the inbox are reported and left; what they point to is untouched', async () => {
    const p = await project();
    const outside = join(p.dir, 'outside');
    await writeJpeg(join(outside, 'secret.jpg'), { date: '2019:01:10 10:00:00', seed: 300 });
    await writeJpeg(join(outside, 'folder', 'deep.jpg'), {
      date: '2019:01:10 10:00:00',
      seed: 301,
    });
    const before = await snapshot(outside);
    await symlink(join(outside, 'secret.jpg'), join(p.inbox, 'link.jpg'));
    await symlink(join(outside, 'folder'), join(p.inbox, 'linked-folder'));
    await symlink('/etc/passwd', join(p.inbox, 'passwd.jpg'));

    const scan = await scanProject(p);

    expect(scan.byName.get('link.jpg')).toMatchObject({ action: 'skip', target: null });
    expect(scan.byName.get('link.jpg')?.reason).toMatch(/symbolic link/);
    expect(scan.byName.get('passwd.jpg')).toMatchObject({ action: 'skip', target: null });
    // The linked folder is reported and left, not walked into.
    expect(scan.byName.get('linked-folder')).toMatchObject({ action: 'skip', target: null });
    expect([...scan.byName.keys()].filter((name) => name.startsWith('linked-folder/'))).toEqual([]);
    expect(await snapshot(outside)).toEqual(before);
    expect(await listFiles(p.library)).toEqual([]);
    expect((await readdir(p.inbox)).sort()).toEqual(['link.jpg', 'linked-folder', 'passwd.jpg']);
  });

  it('an empty file is left in the inbox with the reason, not reported as unreadable', async () => {
    const p = await project();
    await writeFile(join(p.inbox, 'IMG_empty.jpg'), '');

    const scan = await scanProject(p);

    const line = scan.byName.get('IMG_empty.jpg');
    expect(line).toMatchObject({ action: 'skip', target: null, error: null });
    expect(line?.reason).toMatch(/is empty \(0 bytes\)/);
    expect(await listFiles(p.inbox)).toEqual(['IMG_empty.jpg']);
    expect(await listFiles(p.library)).toEqual([]);
  });

  it('a folder named like a photo is walked into, not filed', async () => {
    const p = await project();
    const bytes = await writeJpeg(join(p.inbox, 'IMG_1.jpg', 'IMG_2.jpg'), {
      date: '2019:01:10 10:00:00',
      seed: 400,
    });

    const scan = await scanProject(p);

    expect([...scan.byName.keys()]).toEqual(['IMG_1.jpg/IMG_2.jpg']);
    expect(await readFile(join(p.library, '2019', '2019-01-10', 'IMG_2.jpg'))).toEqual(bytes);
  });

  it('a 512 MB sparse file is hashed as a stream and filed as Unsorted with memory bounded', async () => {
    const p = await project();
    const big = join(p.inbox, 'IMG_huge.jpg');
    const handle = await open(big, 'w');
    // 2 GB takes minutes to hash twice on a loaded 2-core machine; 512 MB proves the same
    // thing: a file read whole would need more memory than the bound below.
    await handle.truncate(512 * 1024 ** 2);
    await handle.close();
    const hash = await sha256Stream(big);

    const scan = startCli(['scan', p.inbox, '--config', p.config, '--json']);
    let stdout = '';
    scan.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let peak = 0;
    while (scan.exitCode === null) {
      peak = Math.max(peak, memoryOf(scan.pid!).peak);
      await sleep(100);
    }

    const [line] = jsonLines<ScanLine>(stdout);
    expect(line).toMatchObject({
      action: 'unsorted',
      target: join(p.library, 'Unsorted', 'IMG_huge.jpg'),
    });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(400);
    expect(await sha256Stream(join(p.library, 'Unsorted', 'IMG_huge.jpg'))).toBe(hash);
    expect(relative(p.library, line!.target!)).toBe('Unsorted/IMG_huge.jpg');
  }, 120_000);
});

/** SHA-256 of a large file, without reading it into the test's memory. */
function sha256Stream(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
}

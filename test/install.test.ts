import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { ROOT } from './support/cli.js';

const run = promisify(execFile);

describe('what the package and the container are made of', () => {
  it("npm pack ships the CLI and never the example config's inbox, library or state", async () => {
    // The example's folders hold a user's photos after `npm start`: put some there.
    const planted = [
      join(ROOT, 'inbox', 'planted-by-install-test.mts'),
      join(ROOT, 'library', 'planted-by-install-test.jpg'),
      join(ROOT, '.photosortd', 'planted-by-install-test.sqlite'),
    ];
    const made: string[] = [];
    for (const file of planted) {
      const folder = join(file, '..');
      if (!existsSync(folder)) made.push(folder);
      else if (existsSync(file)) continue;
      else made.push(file);
      await mkdir(folder, { recursive: true });
      await writeFile(file, 'x');
    }
    try {
      const { stdout, stderr } = await run(
        'npm',
        ['pack', '--dry-run', '--json', '--ignore-scripts'],
        { cwd: ROOT },
      );
      // No project config npm does not know (it warned on every npm command).
      expect(stderr).not.toContain('Unknown project config');
      const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
      const paths = pack!.files.map((file) => file.path);
      expect(paths).toEqual(expect.arrayContaining(['bin/photosortd', 'config/labels.txt']));
      expect(paths.some((path) => path.startsWith('dist/cli/'))).toBe(true);
      expect(paths.filter((path) => /^(inbox|library|\.photosortd)\//.test(path))).toEqual([]);
      const ignored = await run('git', ['check-ignore', ...planted], { cwd: ROOT });
      expect(ignored.stdout.trim().split('\n')).toHaveLength(planted.length);
    } finally {
      await Promise.all(made.map((path) => rm(path, { recursive: true, force: true })));
    }
  });

  it("compose.yaml's bind-mounted files are in the repository, and its config is valid", async () => {
    const compose = parse(await readFile(join(ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { volumes: string[] }>;
    };
    const binds = Object.values(compose.services)
      .flatMap((service) => service.volumes)
      .map((volume) => volume.split(':')[0]!)
      .filter((source) => source.startsWith('./'));
    expect(binds).toContain('./photosortd.docker.yaml');
    for (const source of binds) expect(existsSync(join(ROOT, source)), source).toBe(true);
    const config = parseConfig(
      parse(await readFile(join(ROOT, 'photosortd.docker.yaml'), 'utf8')),
      '/config/photosortd.config.yaml',
      {},
    );
    expect(config).toMatchObject({ library: '/library', state: '/state' });
    expect(config.inboxes.map((inbox) => inbox.path)).toEqual(['/inbox']);
  });
});

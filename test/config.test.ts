import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultStateDir, loadConfig, parseConfig } from '../src/config/load.js';
import { checkLayout } from '../src/daemon/preflight.js';
import { ConfigError } from '../src/lib/errors.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'photosortd-config-'));
}

async function configIn(
  dir: string,
  yaml: string,
  name = 'photosortd.config.yaml',
): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('finds photosortd.config.yaml from the working folder and resolves paths against it', async () => {
    const dir = await tempDir();
    await configIn(dir, 'library: ./lib\ninboxes:\n  - path: ./in\n    poll: true\nstate: st\n');
    const config = await loadConfig(undefined, { cwd: dir });
    expect(config.file).toBe(join(dir, 'photosortd.config.yaml'));
    expect(config.library).toBe(join(dir, 'lib'));
    expect(config.inboxes).toEqual([{ path: join(dir, 'in'), poll: true }]);
    expect(config.state).toBe(join(dir, 'st'));
    expect(config.concurrency).toBe(256);
    expect(config.onCollision).toBe('suffix');
    expect(config.dates.from).toEqual(['exif', 'filename', 'mtime']);
  });

  it('finds a .photosortdrc.yaml and accepts inboxes given as plain strings', async () => {
    const dir = await tempDir();
    await configIn(dir, 'library: /srv/photos\ninboxes: [/srv/in]\n', '.photosortdrc.yaml');
    const config = await loadConfig(undefined, { cwd: dir });
    expect(config.inboxes).toEqual([{ path: '/srv/in', poll: false }]);
  });

  it('loads the file given with --config', async () => {
    const dir = await tempDir();
    const file = await configIn(dir, 'library: a\ninboxes: [b]\n', 'custom.yaml');
    const config = await loadConfig(file, { cwd: '/' });
    expect(config.library).toBe(join(dir, 'a'));
  });

  it('names an unknown key, where it is, and what to check', async () => {
    const dir = await tempDir();
    const file = await configIn(
      dir,
      'library: a\ninboxes: [b]\nconcurency: 3\ngeocode: { enabld: true }\n',
    );
    const error = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(file);
    expect(message).toContain('unknown key "concurency"');
    expect(message).toContain('unknown key "enabld" in geocode');
  });

  it('names a key of the wrong type and a missing required key', () => {
    const problems = problemsOf(() =>
      parseConfig({ inboxes: [{ path: 'x' }], concurrency: 'four' }, null),
    );
    expect(problems).toContain('library: is required');
    expect(problems.some((p) => p.startsWith('concurrency:'))).toBe(true);
  });

  it('refuses an empty inbox list and a bad collision policy', () => {
    const problems = problemsOf(() =>
      parseConfig({ library: 'l', inboxes: [], onCollision: 'overwrite' }, null),
    );
    expect(problems.some((p) => p.startsWith('inboxes:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('onCollision:'))).toBe(true);
  });

  it('takes metadata.reader auto (the default) or exiftool, and names a bad one', () => {
    expect(parseConfig({ library: 'l', inboxes: ['i'] }, null).metadata).toEqual({
      reader: 'auto',
    });
    const forced = parseConfig(
      { library: 'l', inboxes: ['i'], metadata: { reader: 'exiftool' } },
      null,
    );
    expect(forced.metadata.reader).toBe('exiftool');
    const problems = problemsOf(() =>
      parseConfig({ library: 'l', inboxes: ['i'], metadata: { reader: 'perl' } }, null),
    );
    expect(problems.some((p) => p.startsWith('metadata.reader:'))).toBe(true);
  });

  it('reads a JWT secret from the environment with env:NAME; unset, only the daemon minds', () => {
    const input = { library: 'l', inboxes: ['i'], api: { jwt: { secret: 'env:PSD_TEST_SECRET' } } };
    const set = parseConfig(input, null, { PSD_TEST_SECRET: 's3cret' });
    expect(set.api.jwt).toEqual({ secret: 's3cret', maxLifetimeSeconds: 30 * 86_400 });
    expect(set.missingFromEnvironment).toEqual([]);
    const unset = parseConfig(input, null, {});
    expect(unset.api.jwt).toBeUndefined();
    expect(unset.missingFromEnvironment[0]).toContain('PSD_TEST_SECRET');
  });

  it('takes api.jwt.maxLifetime, issuer and audience, and refuses a lifetime that is no duration', () => {
    const jwt = { secret: 'x'.repeat(40), maxLifetime: '12h', issuer: 'sso', audience: 'nas' };
    expect(parseConfig({ library: 'l', inboxes: ['i'], api: { jwt } }, null).api.jwt).toEqual({
      secret: 'x'.repeat(40),
      maxLifetimeSeconds: 12 * 3600,
      issuer: 'sso',
      audience: 'nas',
    });
    const problems = problemsOf(() =>
      parseConfig(
        { library: 'l', inboxes: ['i'], api: { jwt: { ...jwt, maxLifetime: 'forever' } } },
        null,
      ),
    );
    expect(problems[0]).toContain('api.jwt.maxLifetime: must be a duration');
  });

  it('without --config: PHOTOSORTD_CONFIG, the folder and above, the example, ~/.config, /etc', async () => {
    const home = await tempDir();
    const dir = await tempDir();
    const system = join(home, 'etc-photosortd.yaml');
    const env = { HOME: home, XDG_CONFIG_HOME: '' };
    const load = (extra: NodeJS.ProcessEnv = {}) =>
      loadConfig(undefined, { cwd: dir, env: { ...env, ...extra }, systemFile: system });
    const write = async (file: string, library: string) => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `library: ${library}\ninboxes: [i]\n`);
      return file;
    };

    const nothing = await load().catch((e: unknown) => e);
    expect((nothing as ConfigError).message).toContain('no configuration found');
    expect((nothing as ConfigError).message).toContain('PHOTOSORTD_CONFIG');

    await write(system, '/system');
    expect((await load()).file).toBe(system);
    const user = await write(join(home, '.config', 'photosortd', 'photosortd.config.yaml'), '/u');
    expect((await load()).file).toBe(user);
    // A clone after `npm start`: the example the daemon runs on.
    const example = await write(join(dir, 'photosortd.config.example.yaml'), './library');
    expect((await load()).file).toBe(example);
    const own = await write(join(dir, 'photosortd.config.yaml'), './library');
    expect((await load()).file).toBe(own);
    const named = await write(join(home, 'elsewhere.yaml'), '/e');
    expect((await load({ PHOTOSORTD_CONFIG: named })).file).toBe(named);
    expect((await loadConfig(user, { cwd: dir, env: { PHOTOSORTD_CONFIG: named } })).file).toBe(
      user,
    );
  });
});

describe('defaultStateDir', () => {
  it('prefers systemd STATE_DIRECTORY, then XDG_STATE_HOME', () => {
    expect(defaultStateDir({ STATE_DIRECTORY: '/var/lib/photosortd' })).toBe('/var/lib/photosortd');
    if (process.platform !== 'darwin') {
      expect(defaultStateDir({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/photosortd');
    }
  });
});

describe('checkLayout', () => {
  it('refuses a missing inbox, naming the key and the command that fixes it', async () => {
    const dir = await tempDir();
    const config = parseConfig(
      { library: join(dir, 'lib'), inboxes: [join(dir, 'nope')], state: join(dir, 's') },
      null,
    );
    const error = await checkLayout(config).catch((e: unknown) => e);
    expect((error as ConfigError).problems[0]).toMatch(
      /^inboxes\[0\]\.path: .*nope does not exist; create it/,
    );
  });

  it('refuses a library inside an inbox, and overlapping inboxes', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'in', 'sub'), { recursive: true });
    const config = parseConfig(
      {
        library: join(dir, 'in', 'lib'),
        inboxes: [join(dir, 'in'), join(dir, 'in', 'sub')],
        state: join(dir, 's'),
      },
      null,
    );
    const problems = ((await checkLayout(config).catch((e: unknown) => e)) as ConfigError).problems;
    expect(problems.some((p) => p.includes('overlap; filed photos would be taken again'))).toBe(
      true,
    );
    expect(problems.some((p) => p.includes('overlaps inboxes[1].path'))).toBe(true);
  });

  it('refuses a missing library, naming it and what to do, and makes nothing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'in'));
    const config = parseConfig(
      { library: join(dir, 'lib'), inboxes: [join(dir, 'in')], state: join(dir, 's') },
      null,
    );
    const error = (await checkLayout(config).catch((e: unknown) => e)) as ConfigError;
    expect(error.problems).toEqual([
      expect.stringMatching(/^library: .*lib does not exist\. If it is on a disk, mount the disk/),
    ]);
    expect(error.problems[0]).toContain('--create-library (or `createLibrary: true`');
    const { stat } = await import('node:fs/promises');
    await expect(stat(join(dir, 'lib'))).rejects.toThrow(/ENOENT/);
  });

  it('creates a missing library with createLibrary, and the state folder', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'in'));
    const config = parseConfig(
      {
        library: join(dir, 'lib'),
        inboxes: [join(dir, 'in')],
        state: join(dir, 's'),
        createLibrary: true,
      },
      null,
    );
    await checkLayout(config);
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(dir, 'lib'))).isDirectory()).toBe(true);
    expect((await stat(join(dir, 's'))).isDirectory()).toBe(true);
  });
});

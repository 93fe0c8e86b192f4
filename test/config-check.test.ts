import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli.js';
import { tempDir } from './support/fs.js';
import { project } from './support/project.js';

/** `config check` and `run` on the same file: the first must say what the second will do. */
async function checkAndRun(config: string, env: NodeJS.ProcessEnv = {}) {
  const check = await runCli(['config', 'check', '--config', config], { env });
  const run = await runCli(['run', '--config', config], { env, timeoutMs: 60_000 });
  return { check, run };
}

describe('config check runs the start-up checks run runs', () => {
  it('exits 2 on an inbox inside the library, as run does', async () => {
    const p = await project({ library: '.', inboxes: ['./inbox'] });
    const { check, run } = await checkAndRun(p.config);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('overlap');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('overlap');
  });

  it('exits 2 on a label file that does not exist (tagging on), as run does', async () => {
    const p = await project({ tagging: { enabled: true, labels: './no-such-labels.txt' } });
    const { check, run } = await checkAndRun(p.config);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(
      `cannot read the label file ${join(p.dir, 'no-such-labels.txt')}`,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no-such-labels.txt');
  });

  it('prints the keys of the file only: no `file:` key, the secret hidden', async () => {
    const p = await project({ api: { enabled: false, jwt: { secret: 'x'.repeat(40) } } });
    const check = await runCli(['config', 'check', '--config', p.config]);
    expect(check.code).toBe(0);
    const [header, ...body] = check.stdout.split('\n');
    expect(header).toBe(`# ${p.config} is valid`);
    const printed = parse(body.join('\n')) as Record<string, unknown>;
    expect(Object.keys(printed)).not.toContain('file');
    expect(Object.keys(printed)).not.toContain('missingFromEnvironment');
    expect(printed.api).toMatchObject({ jwt: { secret: '(set)', maxLifetime: '30d' } });
    expect(check.stdout).not.toContain('x'.repeat(40));
  });
});

describe('an env:NAME JWT secret', () => {
  it('is needed by run alone: other commands work without it, config check warns', async () => {
    const p = await project({ api: { enabled: false, jwt: { secret: 'env:PSD_TEST_JWT' } } });
    const env = { PSD_TEST_JWT: '' };
    const check = await runCli(['config', 'check', '--config', p.config], { env });
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('warning: api.jwt.secret: env:PSD_TEST_JWT');
    const journal = await runCli(['journal', '--config', p.config], { env });
    expect(journal.code).toBe(0);
    expect(journal.stderr).toBe('');
    const token = await runCli(['token', 'create', '--config', p.config], { env });
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('PSD_TEST_JWT');
    const run = await runCli(['run', '--config', p.config], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('env:PSD_TEST_JWT names an environment variable that is not set');
  });

  it('token create refuses a --ttl over api.jwt.maxLifetime', async () => {
    const p = await project({
      api: { enabled: false, jwt: { secret: 'y'.repeat(40), maxLifetime: '1d' } },
    });
    const long = await runCli(['token', 'create', '--ttl', '2d', '--config', p.config]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('longer than api.jwt.maxLifetime');
    const ok = await runCli(['token', 'create', '--ttl', '1d', '--config', p.config]);
    expect(ok.code).toBe(0);
  });
});

describe('the example configuration, copied elsewhere', () => {
  it('tags with the shipped label list: config check and doctor pass with tagging on', async () => {
    const dir = await tempDir('photosortd-example-copy-');
    const example = parse(
      await readFile(join(ROOT, 'photosortd.config.example.yaml'), 'utf8'),
    ) as Record<string, Record<string, unknown>>;
    expect(example.tagging).not.toHaveProperty('labels');
    // The library must exist (or be made with --create-library); this one is.
    await mkdir(join(dir, 'inbox'));
    await mkdir(join(dir, 'library'));
    const file = join(dir, 'photosortd.config.yaml');
    await writeFile(
      file,
      stringify({ ...example, tagging: { ...example.tagging, enabled: true } }),
    );
    const check = await runCli(['config', 'check', '--config', file]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const doctor = await runCli(['doctor', '--config', file]);
    expect(doctor.stdout).toContain('tagging labels readable');
    expect(doctor.stdout).not.toContain('startup  ✗');
  });

  it('copied with a relative label file that is not beside it: config check exits 2', async () => {
    const dir = await tempDir('photosortd-example-labels-');
    await mkdir(join(dir, 'inbox'));
    await copyFile(join(ROOT, 'photosortd.config.example.yaml'), join(dir, 'example.yaml'));
    const file = join(dir, 'photosortd.config.yaml');
    const text = await readFile(join(dir, 'example.yaml'), 'utf8');
    await writeFile(
      file,
      text
        .replace('enabled: false # needs a CLIP model', 'enabled: true # needs a CLIP model')
        .replace('# labels: ./my-labels.txt', 'labels: ./config/labels.txt'),
    );
    const check = await runCli(['config', 'check', '--config', file]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(join(dir, 'config', 'labels.txt'));
  });
});

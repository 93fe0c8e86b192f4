import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiKey } from '../src/api/api-key.js';
import { Metrics } from '../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../src/api/server.js';
import { daemonClient, remotePause, remoteResume, remoteStatus } from '../src/cli/remote.js';
import { tokenCreate } from '../src/cli/token.js';
import { runUndo } from '../src/cli/undo.js';
import { parseConfig, type Config } from '../src/config/load.js';
import { silentLogger } from '../src/lib/logger.js';
import { capturedStream } from './support/captured.js';
import { daemonStandIn, type DaemonStandIn } from './support/daemon-stand-in.js';
import { RecordingDaemonControl } from './support/recording-daemon-control.js';

const SECRET = 'another-jwt-secret-of-at-least-32-bytes!';

let root: string;
let state: string;
let control: RecordingDaemonControl;
let server: ApiServer;
let standIn: DaemonStandIn;
/** The config a CLI on this machine would load: same state folder, the server's real port. */
let cliConfig: Config;

function configFor(
  listen: string,
  api: Record<string, unknown> = {},
  stateDir: string = state,
): Config {
  return parseConfig(
    {
      library: join(root, 'library'),
      inboxes: [join(root, 'inbox')],
      state: stateDir,
      api: { listen, jwt: { secret: SECRET }, ...api },
    },
    null,
  );
}

async function closedPort(): Promise<number> {
  const probe = await startApiServer({
    config: configFor('127.0.0.1:0'),
    control: new RecordingDaemonControl(),
    logger: silentLogger(),
    metrics: new Metrics(),
  });
  await probe.close();
  return probe.port;
}

/** Runs a remote command with captured stdout/stderr and no key in the environment. */
async function run<O extends object>(
  command: (
    options: O & { out: NodeJS.WritableStream; err: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
  ) => Promise<number>,
  options: O,
  env: NodeJS.ProcessEnv = {},
) {
  const out = capturedStream();
  const err = capturedStream();
  const code = await command({ ...options, out: out.stream, err: err.stream, env });
  return { code, out: out.text(), err: err.text() };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'photosortd-api-cli-'));
  state = join(root, 'state');
  control = new RecordingDaemonControl();
  standIn = await daemonStandIn(configFor('127.0.0.1:0'), control);
  server = standIn.server;
  cliConfig = configFor(`127.0.0.1:${server.port}`);
});

afterAll(async () => {
  await standIn.close();
  await rm(root, { recursive: true, force: true });
});

describe('remote CLI commands against a running daemon', () => {
  it('status prints the state and counters, using the key from <state>/api-key', async () => {
    control.queue = { waiting: 4, active: 1 };
    control.handled = { move: 3, unsorted: 1, duplicate: 2, skip: 0, error: 0 };
    const result = await run(remoteStatus, { config: cliConfig });
    // By action, not one "handled" count that hides duplicates among filed files.
    expect(result.out).toMatch(/handled\s+3 filed, 2 duplicates, 1 unsorted, 0 failed\n/);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('photosortd 0.1.0-test is running');
    expect(result.out).toMatch(/queue\s+4 waiting, 1 in flight/);
    expect(result.out).toMatch(/inbox\s+\/srv\/inbox \(watching\)/);
    expect(result.out).toMatch(/tagging\s+off: tagging.enabled is false/);
  });

  it('status --json prints the status object', async () => {
    const result = await run(remoteStatus, { config: cliConfig, json: true });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ state: 'running', version: '0.1.0-test' });
  });

  it('pause and resume change the daemon state and say so', async () => {
    const paused = await run(remotePause, { config: cliConfig });
    expect(paused.code).toBe(0);
    expect(paused.out).toContain('photosortd is paused');
    expect(paused.out).toContain('1 file(s) in flight will finish');
    expect(control.state).toBe('paused');
    const resumed = await run(remoteResume, { config: cliConfig });
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('running again; 5 file(s) queued');
    expect(control.state).toBe('running');
  });

  it('undo prints what was put back and exits 1 when some files were refused', async () => {
    control.undoResult = {
      undone: [{ id: 3, from: '/srv/library/2024/a.jpg', to: '/srv/inbox/a.jpg' }],
      refused: [],
    };
    const undoing = { force: false, dryRun: false };
    const clean = await run(runUndo, { config: cliConfig, selector: { last: 1 }, ...undoing });
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('put back  /srv/library/2024/a.jpg\n     →  /srv/inbox/a.jpg');
    control.undoResult = {
      undone: [],
      refused: [
        {
          id: 4,
          from: '/srv/library/b.jpg',
          to: '/srv/inbox/b.jpg',
          reason:
            '/srv/library/b.jpg changed since it was filed; use --force to move it back anyway',
        },
      ],
    };
    const refused = await run(runUndo, {
      config: cliConfig,
      selector: { batch: 'b-1' },
      ...undoing,
      dryRun: true,
    });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('refused  /srv/library/b.jpg: /srv/library/b.jpg changed since');
    expect(refused.out).toContain('use --force');
    expect(refused.out).toContain('dry run: would put back 0 files; 1 file refused');
    expect(refused.out).not.toContain('batch');
    expect(control.calls.filter((c) => c.method === 'undo').at(-1)).toEqual({
      method: 'undo',
      selector: { batch: 'b-1' },
      options: { force: false, dryRun: true },
    });
  });

  it('prefers PHOTOSORTD_API_KEY and explains a refused key', async () => {
    const result = await run(remoteStatus, { config: cliConfig }, { PHOTOSORTD_API_KEY: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('photosortd refused the API key from PHOTOSORTD_API_KEY');
    expect(result.out).toBe('');
  });

  it('daemonClient returns a working client while the daemon runs', async () => {
    const client = await daemonClient(cliConfig, {});
    expect(client).not.toBeNull();
    expect((await client?.status())?.state).toBe('running');
  });
});

describe('remote CLI commands without a daemon', () => {
  it('say photosortd is not running for the state folder and exit 1', async () => {
    const port = await closedPort();
    const idle = join(root, 'idle-state');
    const config = configFor(`127.0.0.1:${port}`, {}, idle);
    for (const command of [remoteStatus, remotePause, remoteResume]) {
      const result = await run(command, { config });
      expect(result.code).toBe(1);
      expect(result.err).toBe(
        `photosortd is not running for the state folder ${idle} (start it with \`photosortd run\`)\n`,
      );
    }
    expect(await daemonClient(config, {})).toBeNull();
  });

  it('exit 2 with a message when the API is disabled', async () => {
    const result = await run(remoteStatus, {
      config: configFor('127.0.0.1:1', { enabled: false }),
    });
    expect(result.code).toBe(2);
    expect(result.err).toContain('api.enabled: false');
  });
});

describe('photosortd token create', () => {
  it('prints a JWT the running daemon accepts with its scope', async () => {
    const minted = await run(tokenCreate, { config: cliConfig, scope: 'read' as const, ttl: '1h' });
    expect(minted.code).toBe(0);
    const token = minted.out.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(minted.err).toMatch(/scope read, valid until \d{4}-/);
    const status = await fetch(`${server.url}/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
    const pause = await fetch(`${server.url}/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(pause.status).toBe(403);
    expect(control.state).toBe('running');
  });

  it('refuses without api.jwt.secret, saying how to set one', async () => {
    const config = configFor('127.0.0.1:1', { jwt: undefined });
    const result = await run(tokenCreate, { config, scope: 'admin' as const, ttl: '1h' });
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain('No JWT secret is configured');
    expect(result.err).toContain('PHOTOSORTD_JWT_SECRET');
  });

  it.each(['', '1y', '-5m', '0h', 'soon'])('refuses the ttl "%s"', async (ttl) => {
    const result = await run(tokenCreate, { config: cliConfig, scope: 'read' as const, ttl });
    expect(result.code).toBe(2);
    expect(result.err).toContain(`--ttl "${ttl}" is not a duration`);
  });
});

describe('API key file', () => {
  it('is read trimmed, and missing means null', async () => {
    const dir = await mkdtemp(join(root, 'keys-'));
    expect(await readApiKey(dir)).toBeNull();
    await writeFile(join(dir, 'api-key'), '  psd_abc \n');
    expect(await readApiKey(dir)).toBe('psd_abc');
  });

  it('is not accepted once api.keys is configured, and the CLI says why', async () => {
    const key = 'configured-key-0123456789';
    // As written in a config file: parseConfig's output (jwt.maxLifetimeSeconds, …) is not.
    const withKeys = {
      api: {
        keys: [
          { name: 'ops', sha256: createHash('sha256').update(key).digest('hex'), scope: 'admin' },
        ],
      },
    };
    const keyed = join(root, 'keyed-state');
    const other = await daemonStandIn(
      configFor('127.0.0.1:0', withKeys.api, keyed),
      new RecordingDaemonControl(),
    );
    try {
      // A key file left from before api.keys was set.
      await writeFile(join(keyed, 'api-key'), 'psd_left_from_before\n', { mode: 0o600 });
      const config = configFor(`127.0.0.1:${other.server.port}`, withKeys.api, keyed);
      const refused = await run(remoteStatus, { config });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('api.keys is set, so the daemon does not accept');
      const accepted = await run(remoteStatus, { config }, { PHOTOSORTD_API_KEY: key });
      expect(accepted.code).toBe(0);
    } finally {
      await other.close();
    }
  });
});

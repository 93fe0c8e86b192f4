import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, exited, logOf, runCli, startCli, watching } from './support/cli.js';
import { tempDir } from './support/fs.js';
import { available } from './support/commands.js';
import { project } from './support/project.js';

const run = promisify(execFile);

const UNITS = ['systemd/photosortd.service', 'systemd/user/photosortd.service'];
/** The cluster worker's unit: checked by the same verify, its own settings below. */
const WORKER_UNIT = 'systemd/photosortd-worker.service';

/** A config in a fresh folder whose inbox exists. */
async function setup(prefix: string): Promise<{ dir: string; configFile: string }> {
  const { dir, config } = await project({}, prefix);
  return { dir, configFile: config };
}

describe('systemd units', () => {
  // The one check that depends on a tool: Debian's `systemd` package provides it.
  it.skipIf(!available('systemd-analyze'))(
    'pass systemd-analyze verify without a warning',
    async () => {
      const dir = await tempDir('photosortd-units-');
      for (const unit of [...UNITS, WORKER_UNIT]) {
        // verify insists that ExecStart's program exists: point it at this clone's CLI.
        const text = (await readFile(join(ROOT, unit), 'utf8')).replace(
          /^ExecStart=\S+/m,
          `ExecStart=${BIN}`,
        );
        const copy = join(dir, unit.replaceAll('/', '-'));
        await writeFile(copy, text);
        const result = await run('systemd-analyze', ['verify', copy]).then(
          ({ stderr }) => ({ code: 0, stderr }),
          (error: { code: number; stderr: string }) => error,
        );
        expect(result).toEqual({ code: 0, stderr: '' });
      }
    },
  );

  it('are notify services that restart on failure, with the hardening the README promises', async () => {
    for (const unit of UNITS) {
      const text = await readFile(join(ROOT, unit), 'utf8');
      const settings = new Set(text.split('\n').filter((line) => /^[A-Z]\w*=/.test(line)));
      for (const expected of [
        'Type=notify',
        'NotifyAccess=all',
        'Restart=on-failure',
        'RestartPreventExitStatus=2',
        'KillMode=mixed',
        'StateDirectory=photosortd',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=read-only',
        'PrivateTmp=yes',
      ]) {
        expect(settings, `${unit}: ${expected}`).toContain(expected);
      }
      expect(text).toMatch(/^ReadWritePaths=\S/m);
      // Node's JIT needs writable executable memory.
      expect(text).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
    }
  });

  it('the worker unit restarts on failure but not on a bad configuration, hardened alike', async () => {
    const text = await readFile(join(ROOT, WORKER_UNIT), 'utf8');
    const settings = new Set(text.split('\n').filter((line) => /^[A-Z]\w*=/.test(line)));
    for (const expected of [
      'Restart=on-failure',
      'RestartPreventExitStatus=2',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=read-only',
      'PrivateTmp=yes',
    ]) {
      expect(settings, `${WORKER_UNIT}: ${expected}`).toContain(expected);
    }
    expect(text).toMatch(/^ExecStart=\S+ worker --config \S+$/m);
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });

  it('get READY=1 once the inboxes are watched, and a status line, through $NOTIFY_SOCKET', async () => {
    const { dir, configFile } = await setup('photosortd-notify-');
    const socket = join(dir, 'notify.sock');
    // A stand-in for systemd's notification socket: Node has no unix datagram sockets.
    const listener = execFile('python3', [
      '-c',
      'import socket,sys\n' +
        's=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n' +
        's.bind(sys.argv[1])\nprint("bound",flush=True)\n' +
        'while True: print(s.recv(4096).decode().replace("\\n"," "),flush=True)',
      socket,
    ]);
    let received = '';
    listener.stdout?.on('data', (chunk: Buffer) => (received += chunk.toString()));
    try {
      await expect.poll(() => received, { timeout: 10_000 }).toContain('bound');
      const daemon = startCli(['run', '--config', configFile], { env: { NOTIFY_SOCKET: socket } });
      await watching(daemon);
      await expect
        .poll(() => received, { timeout: 10_000 })
        .toContain('READY=1 STATUS=watching 1 inbox(es)');
      daemon.kill('SIGTERM');
      expect(await exited(daemon)).toBe(0);
      await expect.poll(() => received, { timeout: 10_000 }).toContain('STOPPING=1');
    } finally {
      listener.kill();
    }
  });
});

describe('the launchd agent', () => {
  it('is a property list that runs the daemon and waits longer than the stop bound', async () => {
    const { stdout } = await run('python3', [
      '-c',
      'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))',
      join(ROOT, 'launchd/local.photosortd.plist'),
    ]);
    const plist = JSON.parse(stdout) as Record<string, unknown>;
    expect(plist.Label).toBe('local.photosortd');
    expect((plist.ProgramArguments as string[]).slice(1, 3)).toEqual(['run', '--config']);
    expect(plist.ExitTimeOut).toBeGreaterThan(20);
    expect(plist.KeepAlive).toEqual({ SuccessfulExit: false });
  });
});

describe('without perl', () => {
  it('run refuses to start and says that exiftool needs perl', async () => {
    const { configFile } = await setup('photosortd-noperl-');
    // A real missing perl, for this process only: /dev/null mounted over /usr/bin/perl in a
    // private mount namespace.
    const hidden = await run(
      'unshare',
      [
        '--map-root-user',
        '--mount',
        'sh',
        '-c',
        'mount --bind /dev/null /usr/bin/perl && exec "$@"',
        'sh',
        process.execPath,
        BIN,
        'run',
        '--config',
        configFile,
      ],
      { timeout: 60_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('exiftool could not be started');
    expect(hidden.stderr).toContain('install it (apt-get install perl');
    // With perl back, the same configuration starts.
    const daemon = startCli(['run', '--config', configFile]);
    const log = logOf(daemon);
    await log.waitFor('"msg":"watching"');
    daemon.kill('SIGTERM');
    expect(await exited(daemon)).toBe(0);
    expect((await runCli(['config', 'check', '--config', configFile])).code).toBe(0);
  });
});

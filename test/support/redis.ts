import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { tempDir, waitFor } from './fs.js';

/** Debian's redis-server, or `null` when the package is not installed. */
export const REDIS_SERVER: string | null = (() => {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : null;
})();

/** A real redis-server on a free loopback port, with nothing kept on disk. */
export interface TestRedis {
  port: number;
  /** `redis://:password@127.0.0.1:port/0`. */
  url: string;
  password: string;
  /** SIGKILLs it (everything it held is gone: no persistence). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether a Redis answers PING (with the password) on `port`. */
function answers(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) done(true);
      else if (reply.includes('-')) done(false);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
  });
}

/**
 * Starts redis-server on a free loopback port with `--save '' --appendonly no` in a temp
 * folder, requiring `password`, and waits until it answers.
 */
export async function startRedis(password = 'cluster-test-secret'): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = await tempDir('photosortd-redis-');
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      REDIS_SERVER!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--requirepass',
        password,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => answers(port, password), { timeoutMs: 20_000, what: 'redis-server' });
  };
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await gone;
  };
  await launch();
  return {
    port,
    password,
    url: `redis://:${password}@127.0.0.1:${port}/0`,
    kill: () => end('SIGKILL'),
    restart: launch,
    stop: () => end('SIGTERM'),
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/**
 * The live (not zombie) processes whose parent is `pid`, from /proc (Linux). A zombie has
 * exited already; whether the container's init reaps it is not the daemon's business.
 */
export async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid && state !== 'Z') found.push(Number(name));
  }
  return found;
}

/** Whether `pid` is a live (not zombie) process. */
export async function isLive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** A request as the {@link fakeListener} saw it. */
interface SeenRequest {
  method: string;
  url: string;
  authorization: string | null;
}

/** A plain HTTP server in its own process that is not photosortd. */
export interface FakeListener {
  port: number;
  url: string;
  /** Every request it received so far. */
  requests(): SeenRequest[];
  close(): Promise<void>;
}

const FAKE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  process.stdout.write(JSON.stringify({ method: req.method, url: req.url,
    authorization: req.headers.authorization ?? null }) + '\\n');
  res.setHeader('content-type', 'application/json');
  // What a hostile listener would answer an undo: nothing put back.
  res.end(JSON.stringify({ ok: true, batch: 'x', undone: [], refused: [] }));
});
server.listen(Number(process.argv[1]), '127.0.0.1', () =>
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

/**
 * Starts a process listening on `port` (0: any free one) on 127.0.0.1 that answers every
 * request with 200 and a JSON body, and records what it was sent: a stand-in for any other
 * program holding the daemon's port.
 */
export async function fakeListener(port = 0): Promise<FakeListener> {
  const child: ChildProcess = spawn(process.execPath, ['-e', FAKE_SERVER, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  const listening = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fake listener exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, end)) as Record<string, unknown>;
        buffer = buffer.slice(end + 1);
        if (typeof line.port === 'number') resolve(line.port);
        else lines.push(line);
      }
    });
  });
  const bound = await listening;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    requests: () => lines as unknown as SeenRequest[],
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }
      }),
  };
}

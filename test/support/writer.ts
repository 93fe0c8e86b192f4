import { spawn, type ChildProcess } from 'node:child_process';

/** How {@link startWriter} writes a file, as a copy tool or a sync client does. */
export interface WriterPlan {
  /** The bytes to write. */
  bytes: Buffer;
  /** Where they are written. */
  path: string;
  /** Renamed to this once every byte is written and the file closed (a sync tool's temp name). */
  renameTo?: string;
  /** Bytes per write. */
  chunk?: number;
  /** Pause after each chunk, ms. */
  chunkPauseMs?: number;
  /** After this many bytes, one long pause (a stalled SMB copy over Wi-Fi). */
  stallAfter?: number;
  stallMs?: number;
  /**
   * Written after the file was closed and then moved away from `path` (filed): the writer
   * keeps a read descriptor on it and reopens that inode for appending through
   * `/proc/self/fd`, as a server holding a handle across a rename does. Linux only.
   */
  appendAfterMove?: Buffer;
}

/**
 * A separate process that writes `plan.bytes` to `plan.path` through one open descriptor,
 * pausing as told, then closes it (and renames it, if told). It prints `stalled` when the
 * long pause begins. Resolves on exit with its exit code.
 */
export function startWriter(plan: WriterPlan): { child: ChildProcess; done: Promise<number> } {
  const script = `
    const fs = require('node:fs');
    const [path, renameTo, chunk, chunkPause, stallAfter, stallMs, appendLength] =
      JSON.parse(process.argv[1]);
    const input = Buffer.from(fs.readFileSync(0));
    const bytes = input.subarray(0, input.length - appendLength);
    const appended = input.subarray(input.length - appendLength);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      const fd = fs.openSync(path, 'w');
      let stalled = false;
      for (let at = 0; at < bytes.length; at += chunk) {
        fs.writeSync(fd, bytes.subarray(at, Math.min(at + chunk, bytes.length)));
        if (!stalled && stallAfter > 0 && at + chunk >= stallAfter) {
          stalled = true;
          process.stdout.write('stalled\\n');
          await sleep(stallMs);
        } else if (chunkPause > 0) await sleep(chunkPause);
      }
      fs.closeSync(fd);
      if (renameTo) fs.renameSync(path, renameTo);
      if (appendLength > 0) {
        const held = fs.openSync(renameTo || path, 'r');
        while (fs.existsSync(renameTo || path)) await sleep(20);
        process.stdout.write('moved\\n');
        await sleep(100);
        const again = fs.openSync('/proc/self/fd/' + held, 'a');
        for (let at = 0; at < appended.length; at += chunk) {
          fs.writeSync(again, appended.subarray(at, Math.min(at + chunk, appended.length)));
          if (chunkPause > 0) await sleep(chunkPause);
        }
        fs.closeSync(again);
        fs.closeSync(held);
      }
    })().catch((error) => { console.error(String(error)); process.exit(3); });
  `;
  const args = JSON.stringify([
    plan.path,
    plan.renameTo ?? '',
    plan.chunk ?? 64 * 1024,
    plan.chunkPauseMs ?? 0,
    plan.stallAfter ?? 0,
    plan.stallMs ?? 0,
    plan.appendAfterMove?.length ?? 0,
  ]);
  const child = spawn(process.execPath, ['-e', script, args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.end(Buffer.concat([plan.bytes, plan.appendAfterMove ?? Buffer.alloc(0)]));
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, done };
}

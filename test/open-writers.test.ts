import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenWriterCheck } from '../src/lib/open-writers.js';
import { tempDir } from './support/fs.js';

/** The last case runs the check from dist/, which the slow project's setup builds. */
const DIST = fileURLToPath(new URL('../dist', import.meta.url));

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

/** Another process holding `path` open with `flags` ('a' to write, 'r' to read) until killed. */
async function holdOpen(path: string, flags: 'a' | 'r'): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:fs').openSync(process.argv[1], process.argv[2]); console.log('open'); setInterval(() => {}, 1000);`,
      path,
      flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child;
}

async function photos(count: number): Promise<string[]> {
  const dir = await tempDir();
  const paths = Array.from({ length: count }, (_, i) => join(dir, `IMG_${i}.jpg`));
  for (const path of paths) await writeFile(path, 'jpeg bytes');
  return paths;
}

describe.runIf(process.platform === 'linux')('open-writer check (real processes, /proc)', () => {
  it('names the process that has a file open for writing, and passes one open for reading', async () => {
    const [written, read] = await photos(2);
    const writer = await holdOpen(written!, 'a');
    await holdOpen(read!, 'r');
    const check = createOpenWriterCheck();
    expect(await check.writerOf(written!)).toEqual({ pid: writer.pid, command: 'node' });
    expect(await check.writerOf(read!)).toBeUndefined();
  });

  it('answers many files asked at once in shared sweeps, each with its own writer', async () => {
    const paths = await photos(64);
    const writer = await holdOpen(paths[17]!, 'a');
    const check = createOpenWriterCheck();
    const answers = await Promise.all(paths.map((path) => check.writerOf(path)));
    expect(answers.filter((answer) => answer !== undefined)).toEqual([
      { pid: writer.pid, command: 'node' },
    ]);
    expect(answers[17]).toEqual({ pid: writer.pid, command: 'node' });
  });

  it('sees the writer gone once it has closed the file', async () => {
    const [path] = await photos(1);
    const writer = await holdOpen(path!, 'a');
    const check = createOpenWriterCheck();
    expect(await check.writerOf(path!)).toBeDefined();
    writer.kill();
    await new Promise((resolve) => writer.once('exit', resolve));
    expect(await check.writerOf(path!)).toBeUndefined();
  });

  it('finds no writer where the process table cannot be read, and does not throw', async () => {
    const [path] = await photos(1);
    await holdOpen(path!, 'a');
    const check = createOpenWriterCheck({ proc: join(await tempDir(), 'no-proc') });
    expect(await check.writerOf(path!)).toBeUndefined();
  });

  it('does not keep a process alive once its questions are answered', async () => {
    const [path] = await photos(1);
    const module = join(DIST, 'lib/open-writers.js');
    // The sweeping thread must not hold the event loop: a CLI run ends when its work does.
    const script = `import { createOpenWriterCheck } from ${JSON.stringify(module)};
      const answer = await createOpenWriterCheck().writerOf(${JSON.stringify(path)});
      console.log(answer === undefined ? 'none' : 'found');`;
    const started = Date.now();
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(output.trim()).toBe('none');
    // The thread would otherwise end only after its idle time, 10 s.
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

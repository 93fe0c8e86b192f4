import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ExifTool, ExifToolTask, ExifToolTaskOptions } from 'exiftool-vendored';

export type { ExifTool };

type Vendored = typeof import('exiftool-vendored');

const require = createRequire(import.meta.url);
let vendored: Vendored | undefined;

/**
 * exiftool-vendored, loaded when exiftool is first used rather than with this module: loading
 * it (luxon, batch-cluster, its tasks) is ~30 ms, a tenth of what `scan` of an empty folder
 * would otherwise cost, and a command that reads no file need not pay it.
 */
function loadVendored(): Vendored {
  vendored ??= require('exiftool-vendored') as Vendored;
  return vendored;
}

/**
 * The exiftool-vendored instance for the process: create it once, share it between stages,
 * and `await exiftool.end()` on shutdown (it keeps exiftool child processes alive).
 *
 * `maxProcs` defaults to the machine's parallelism clamped to 2..4: each process is a perl
 * interpreter reading one command at a time, and one process here reads ~105 files/s, two ~190
 * (one file per command; {@link createBatchReader} gets more out of each).
 */
export function createExifTool(
  options: { maxProcs?: number; taskTimeoutMillis?: number } = {},
): ExifTool {
  const maxProcs = options.maxProcs ?? Math.min(4, Math.max(2, os.availableParallelism()));
  return madeOnFirstUse(
    () =>
      new (loadVendored().ExifTool)({
        maxProcs,
        // batch-cluster waits 1.5 s between spawns by default, so a short scan would run on one
        // process for most of its life; both processes start together instead.
        minDelayBetweenSpawnMillis: 0,
        // Reads use -fast and a short tag list, so 20 s only runs out on a stuck process or a dead
        // network share; the task is then retried once on a fresh process.
        taskTimeoutMillis: options.taskTimeoutMillis ?? 20_000,
        taskRetries: 1,
        // Group-specific tags (ExifIFD:DateTimeOriginal vs XMP-exif:…) are what photosortd reports
        // as a date's source; MWG composites would merge them.
        useMWG: false,
        // Time zones: explicit offset tags first, then the zone at the GPS position, then zones
        // implied by other date stamps; video dates are UTC by the QuickTime spec.
        backfillTimezones: true,
        defaultVideosToUTC: true,
        inferTimezoneFromDatestamps: true,
        ignoreZeroZeroLatLon: true,
        geolocation: false,
        readArgs: ['-fast', '-api', 'largefilesupport=1'],
        processFactory: spawnTiedExiftool,
      }),
  );
}

/**
 * An ExifTool that `make`s the real one (loading exiftool-vendored) when a property of it is
 * first read, so that services holding one cost nothing until a file is read. `end()` before
 * that ends nothing, as nothing was started; a use after it gets an instance ended at once,
 * which refuses work as any ended ExifTool does (and leaves no exiftool running).
 */
function madeOnFirstUse(make: () => ExifTool): ExifTool {
  let made: ExifTool | undefined;
  let ended = false;
  const instance = (): ExifTool => {
    if (!made) {
      made = make();
      if (ended) void made.end();
    }
    return made;
  };
  const endUnmade = (): Promise<void> => {
    ended = true;
    return Promise.resolve();
  };
  return new Proxy({} as ExifTool, {
    get(_unmade, key) {
      if (key === 'end' && !made) return endUnmade;
      const target = instance();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/**
 * prctl(2)'s system call number on Linux, by Node's `process.arch`: perl has no prctl of its
 * own, but `syscall` reaches it.
 */
const PRCTL_SYSCALL: Readonly<Partial<Record<string, number>>> = Object.freeze({
  x64: 157,
  arm64: 167,
  riscv64: 167,
  arm: 172,
  ia32: 172,
});

/**
 * Starts exiftool so that it ends with this process, even when this process is SIGKILLed.
 * exiftool's `-stay_open` loop does not stop when its stdin closes (it polls the argfile every
 * 10 ms, forever), so without this every killed daemon left its perl processes behind. On
 * Linux a perl shim asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG, kept
 * across exec), checks the parent did not die meanwhile, and execs exiftool in its place;
 * elsewhere the shim forks a watcher that kills exiftool once the parent is gone.
 */
const TIE_TO_PARENT = `
my ($parent, $prctl, @command) = @ARGV;
if ($prctl) {
  syscall($prctl, 1, 9) == 0 or die "prctl(PR_SET_PDEATHSIG): $!\n";
} else {
  my $tool = $$;
  my $watcher = fork;
  if (defined $watcher && $watcher == 0) {
    while (getppid() == $tool) { sleep 1; kill('KILL', $tool), exit 0 unless kill 0, $parent; }
    exit 0;
  }
}
exit 1 if getppid() != $parent;
exec { $^X } $^X, @command or die "cannot start exiftool: $!\n";
`;

async function spawnTiedExiftool(): Promise<ChildProcess> {
  const prctl = process.platform === 'linux' ? (PRCTL_SYSCALL[process.arch] ?? 0) : 0;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C' };
  if (process.env.EXIFTOOL_HOME) env.EXIFTOOL_HOME = process.env.EXIFTOOL_HOME;
  const { exiftoolPath, DefaultExiftoolArgs } = loadVendored();
  const args = [String(process.pid), String(prctl), await exiftoolPath()];
  return spawn('perl', ['-e', TIE_TO_PARENT, ...args, ...DefaultExiftoolArgs], {
    stdio: 'pipe',
    shell: false,
    env,
  });
}

/** exiftool's JSON for one file: `Group:Tag` keys (with `-G1`), values as exiftool printed them. */
export type RawTags = Record<string, unknown>;

/** Reads files' tags with a fixed argument list, several files per exiftool command. */
export interface BatchReader {
  /**
   * The tags of `file`, exactly as `exiftool.readRaw(file, { readArgs })` returns them for a
   * file exiftool can read. Rejects only as `readRaw` would for that file alone.
   */
  read(file: string): Promise<RawTags>;
}

/** Most files in one exiftool command; past this the saving per file is small. */
const MAX_BATCH = 32;

type ReadManyTask = new (args: string[], options: ExifToolTaskOptions) => ExifToolTask<RawTags[]>;
let readManyTask: ReadManyTask | undefined;

/**
 * One exiftool command reading many files; files it cannot read have no entry. The class
 * extends exiftool-vendored's, so it is made when first needed, with that module.
 */
function ReadManyTask(): ReadManyTask {
  readManyTask ??= class extends loadVendored().ExifToolTask<RawTags[]> {
    protected parse(input: string): RawTags[] {
      const entries = input.trim() === '' ? [] : (JSON.parse(input) as RawTags[]);
      // readRaw adds the task's stderr lines; a file read without trouble has none.
      return entries.map((entry) => ({ ...entry, errors: [], warnings: [] }));
    }
  };
  return readManyTask;
}

interface Request {
  file: string;
  resolve: (tags: RawTags) => void;
  reject: (error: unknown) => void;
}

/**
 * exiftool runs with `-stay_open` and takes its arguments one per line (an `-@` argfile is
 * read the same way, and `-charset filename=` changes only how bytes are decoded), so a name
 * with a line break cannot be passed to it at all.
 */
const UNPASSABLE_NAME = /[\r\n]/;

/**
 * Reads a file whose name exiftool cannot take through a symlink with a plain name (its own
 * extension kept, which exiftool uses to tell some formats apart) in a private temporary
 * folder (mode 0700, removed afterwards). exiftool follows the link for the content and for
 * `stat`, so every tag but the name and folder is the file's own; those two are put back.
 * A symlink rather than a hard link: it works whatever filesystem the file is on. It costs a
 * mkdtemp, a symlink and an rm — nothing next to the read.
 */
async function readThroughAlias(
  file: string,
  read: (path: string) => Promise<RawTags>,
): Promise<RawTags> {
  const dir = await mkdtemp(join(os.tmpdir(), 'photosortd-name-'));
  try {
    const alias = join(dir, `file${extname(file).replace(/[\r\n]/g, '')}`);
    await symlink(file, alias);
    const tags = await read(alias);
    return {
      ...tags,
      SourceFile: file,
      ...('System:FileName' in tags ? { 'System:FileName': basename(file) } : {}),
      ...('System:Directory' in tags ? { 'System:Directory': dirname(file) } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A reader that sends the files asked for while every exiftool process is busy as one command
 * (`exiftool ARGS -json FILE1 FILE2 …`) once a process is free. Each command costs a round
 * trip through batch-cluster (two timer ticks) and exiftool parses its arguments again, so one
 * file per command leaves the processes idle a good part of the time; batched, they read about
 * twice as many small files per second. A file alone in the queue still goes out at once.
 *
 * A file missing from a batch's answer (not found, unknown type, unreadable) or a batch that
 * failed as a whole is read again on its own with `readRaw`, so a bad file gets the same error
 * and the same retries as without batching, and never costs the others in its batch anything.
 */
export function createBatchReader(exiftool: ExifTool, readArgs: string[]): BatchReader {
  const queue: Request[] = [];
  let running = 0;
  let scheduled = false;

  const readRaw = (file: string): Promise<RawTags> =>
    exiftool.readRaw(file, { readArgs, useMWG: false }) as unknown as Promise<RawTags>;
  const single = (file: string): Promise<RawTags> =>
    UNPASSABLE_NAME.test(file) ? readThroughAlias(file, readRaw) : readRaw(file);

  async function run(batch: Request[]): Promise<void> {
    running += 1;
    try {
      // A name exiftool cannot take goes on its own, through an alias.
      const files = [...new Set(batch.map((r) => r.file))].filter(
        (file) => !UNPASSABLE_NAME.test(file),
      );
      let entries: RawTags[] = [];
      if (files.length > 1) {
        // Not retried as a whole: the files it could not answer for are retried one by one,
        // as is a batch refused as it is made, which would otherwise reject nowhere.
        entries = await Promise.resolve()
          .then(() => {
            const task = new (ReadManyTask())(
              ['-charset', 'filename=utf8', ...readArgs, '-json', ...files],
              { ignoreMinorErrors: exiftool.options.ignoreMinorErrors },
            );
            return exiftool.enqueueTask(() => task, false);
          })
          .catch(() => []);
      }
      const byFile = new Map<unknown, RawTags>(entries.map((e) => [e.SourceFile, e]));
      await Promise.all(
        batch.map(async (request) => {
          const found = byFile.get(request.file);
          try {
            request.resolve(found?.['File:FileType'] ? found : await single(request.file));
          } catch (error) {
            request.reject(error);
          }
        }),
      );
    } finally {
      running -= 1;
      dispatch();
    }
  }

  function dispatch(): void {
    scheduled = false;
    const procs = Math.max(1, exiftool.options.maxProcs);
    while (queue.length > 0 && running < procs) {
      // Spread what is waiting over the free processes rather than giving it all to one.
      const size = Math.min(MAX_BATCH, Math.ceil(queue.length / (procs - running)));
      void run(queue.splice(0, size));
    }
  }

  return {
    read: (file) =>
      new Promise<RawTags>((resolveRead, reject) => {
        // Absolute, so that a name starting with `-` cannot read as an option, and so that
        // exiftool's SourceFile matches it.
        queue.push({ file: resolve(file), resolve: resolveRead, reject });
        // Files that become ready in the same turn of the event loop go out together.
        if (!scheduled) {
          scheduled = true;
          setImmediate(dispatch);
        }
      }),
  };
}

/** `Group:Tag` (a `-G1` key) split into group and tag; a key without a group has `''`. */
export function splitTagKey(key: string): [group: string, tag: string] {
  const i = key.indexOf(':');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

/** A raw value as trimmed text (numbers as written), or `null` when it is empty or none. */
export function tagText(value: unknown): string | null {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

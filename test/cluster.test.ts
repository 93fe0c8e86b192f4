import { Queue } from 'bullmq';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { ConfigError } from '../src/lib/errors.js';
import {
  BIN,
  ROOT,
  ensureBuilt,
  exited,
  logOf,
  runCli,
  startCli,
  watching,
} from './support/cli.js';
import { listFiles, tempDir, waitFor } from './support/fs.js';
import { loadedModules, moduleRecorder } from './support/loaded-modules.js';
import { project, type Project } from './support/project.js';
import { REDIS_SERVER, startRedis, type TestRedis } from './support/redis.js';

/**
 * The cluster against a real redis-server (Debian's package) on a free loopback port, real
 * `photosortd worker` processes and a real daemon, with the generated colour model: a red
 * photo is tagged `red` whoever runs the model, so where a file lands shows its tag.
 */

if (!REDIS_SERVER) {
  console.warn(
    'test/cluster.test.ts: SKIPPED — redis-server is not installed (Debian package ' +
      'redis-server); the cluster suites need a real Redis',
  );
}

const COLOURS = ['red', 'green', 'blue'] as const;
const ENV_NAME = 'PHOTOSORTD_TEST_REDIS';

let work: string;
let modelDir: string;
let otherModelDir: string;
let redis: TestRedis;
const children: ChildProcess[] = [];
/** Each test its own Redis database, so one's jobs never reach another's workers. */
let db = 0;

/** The colour of photo `i` and so its expected tag. */
const colourOf = (i: number) => COLOURS[i % 3]!;

/** A solid-colour JPEG, a little different for each `i` (so no two are duplicates). */
async function colourPhoto(dir: string, i: number, seed = 0): Promise<string> {
  const shade = 20 + ((i + seed * 7) % 40);
  const rgb = {
    red: { r: 230, g: shade, b: 20 },
    green: { r: 20, g: 220, b: shade },
    blue: { r: shade, g: 20, b: 230 },
  }[colourOf(i)];
  const path = join(dir, `IMG_${seed}_${i}.jpg`);
  await mkdir(dir, { recursive: true });
  await sharp({ create: { width: 96, height: 64, channels: 3, background: rgb } })
    .jpeg()
    .withExif({ IFD2: { DateTimeOriginal: `2021:07:07 12:${String(i % 60).padStart(2, '0')}:00` } })
    .toFile(path);
  return path;
}

/** A project that files each photo into a folder named by its best tag. */
async function taggingProject(
  cluster: Record<string, unknown> | null,
  model = modelDir,
  extra: Record<string, unknown> = {},
) {
  return project(
    {
      ...extra,
      settle: 200,
      tagging: {
        enabled: true,
        model,
        labels: [...COLOURS],
        minScore: 0.4,
        maxTags: 1,
        write: 'none',
      },
      rules: [{ name: 'by-tag', to: '{tag|untagged}/{name}{ext}' }],
      ...(cluster ? { cluster: { redis: `env:${ENV_NAME}`, ...cluster } } : {}),
    },
    'photosortd-cluster-',
  );
}

function redisEnv(database = db): NodeJS.ProcessEnv {
  return { [ENV_NAME]: `redis://:${redis.password}@127.0.0.1:${redis.port}/${database}` };
}

/** A real `photosortd worker`, once it says it is ready. */
async function startWorker(config: string) {
  const child = startCli(['worker', '--config', config], { env: redisEnv() });
  children.push(child);
  const log = logOf(child);
  await log.waitFor('worker: ready', 60_000);
  return { child, log, name: `${hostname()}:${child.pid}` };
}

/** Stops a worker with SIGTERM and returns how many jobs it answered (from its last log). */
async function stopWorker(worker: { child: ChildProcess; log: ReturnType<typeof logOf> }) {
  worker.child.kill('SIGTERM');
  await exited(worker.child);
  const stopped = worker.log
    .text()
    .split('\n')
    .find((line) => line.includes('worker: stopped'));
  return stopped ? (JSON.parse(stopped) as { done: number }).done : 0;
}

/** The daemon of `p`, once it watches its inbox. */
async function startDaemon(p: Project) {
  const child = startCli(['run', '--config', p.config], { env: redisEnv() });
  children.push(child);
  await watching(child);
  return child;
}

/** Photos filed in `library`: name → the folder (tag) it is in. */
async function filed(library: string): Promise<Map<string, string>> {
  const files = await listFiles(library);
  return new Map(files.map((file) => [basename(file), dirname(file)]));
}

/** Waits until `n` photos are filed and returns where. */
function filedCount(library: string, n: number, timeoutMs = 180_000) {
  return waitFor(
    async () => {
      const found = await filed(library);
      return found.size >= n ? found : null;
    },
    { timeoutMs, what: `${n} photos filed in ${library}` },
  ) as Promise<Map<string, string>>;
}

/** Expects every photo `IMG_<seed>_<i>.jpg` to be filed under its colour's folder. */
function expectTagged(where: Map<string, string>, seed: number, count: number): void {
  const expected = new Map(
    Array.from({ length: count }, (_, i) => [`IMG_${seed}_${i}.jpg`, colourOf(i)] as const),
  );
  const got = new Map([...where].filter(([name]) => name.startsWith(`IMG_${seed}_`)));
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
}

async function searchHits(p: Project, query: string, env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(['search', query, '--json', '--limit', '100', '--config', p.config], {
    env,
  });
  expect(result.stderr).not.toMatch(/error/i);
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { path: string; score: number });
}

/** Jobs the workers finished in a database of the test Redis. */
async function completedJobs(database: number): Promise<number> {
  const queue = new Queue('embed', {
    prefix: 'photosortd',
    connection: { host: '127.0.0.1', port: redis.port, password: redis.password, db: database },
  });
  try {
    return await queue.getCompletedCount();
  } finally {
    await queue.close();
  }
}

// Each test starts workers and daemons (each loads onnxruntime) on a shared, loaded machine.
/** How many jobs were ever put on the queue of a database (BullMQ's job id counter). */
async function jobsQueued(database: number): Promise<number> {
  const queue = new Queue('embed', {
    prefix: 'photosortd',
    connection: { host: '127.0.0.1', port: redis.port, password: redis.password, db: database },
  });
  try {
    const client = await queue.client;
    return Number((await client.get('photosortd:embed:id')) ?? 0);
  } finally {
    await queue.close();
  }
}

describe('cluster configuration', () => {
  const base = { library: '/srv/library', inboxes: ['/srv/inbox'] };

  it('takes redis:// and rediss:// URLs with user, password and database, and env:NAME', () => {
    const tls = parseConfig(
      { ...base, cluster: { redis: 'rediss://anna:s3cret@nas:6380/2' } },
      null,
    );
    expect(tls.cluster).toEqual({
      redis: 'rediss://anna:s3cret@nas:6380/2',
      timeoutMs: 20_000,
      fallback: 'local',
    });
    const fromEnv = parseConfig({ ...base, cluster: { redis: 'env:REDIS_URL' } }, null, {
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(fromEnv.cluster?.redis).toBe('redis://127.0.0.1:6379');
    expect(parseConfig(base, null).cluster).toBeUndefined();
  });

  it('refuses what cannot name a Redis, saying which key and what to write', () => {
    const problem = (redis: string) => {
      try {
        parseConfig({ ...base, cluster: { redis } }, null);
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return 'accepted';
    };
    expect(problem('localhost:6379')).toMatch(
      /^cluster\.redis: localhost:\/\/ is not a Redis scheme; give redis:\/\//,
    );
    expect(problem('redis://:pw@host:6379/cache')).toMatch(
      /^cluster\.redis: the database .* must be a number/,
    );
    expect(problem('not a url')).toMatch(/^cluster\.redis: is not a URL/);
    expect(problem('redis://:hunter2@host/x')).not.toContain('hunter2');
  });
});

describe.skipIf(!REDIS_SERVER)(
  'cluster: model work through a real Redis',
  { timeout: 300_000 },
  () => {
    beforeAll(async () => {
      ensureBuilt();
      work = await tempDir('photosortd-cluster-models-');
      modelDir = join(work, 'colour');
      execFileSync(process.execPath, [join(ROOT, 'scripts/make-test-model.js'), modelDir]);
      // The same tower with another config: another model as far as the fingerprint goes.
      otherModelDir = join(work, 'other');
      await cp(modelDir, otherModelDir, { recursive: true });
      const config = JSON.parse(
        await readFile(join(otherModelDir, 'config.json'), 'utf8'),
      ) as object;
      await writeFile(
        join(otherModelDir, 'config.json'),
        JSON.stringify({ ...config, photosortd_test: 'another model' }),
      );
      redis = await startRedis();
    }, 120_000);

    afterEach(async () => {
      for (const child of children.splice(0)) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited(child);
        }
      }
      db += 1;
    });

    afterAll(async () => {
      await redis?.stop();
    });

    it('loads no Redis code without cluster in the config, and does with it', async () => {
      // A recorder of every module the CLI loads; the Redis clients' files must be absent.
      const recorder = await moduleRecorder(work);
      const scanWithHook = async (p: Project, log: string) => {
        await colourPhoto(p.inbox, 0, 90);
        const child = spawn(
          process.execPath,
          ['--import', recorder, BIN, 'scan', p.inbox, '--config', p.config],
          {
            env: { ...process.env, ...redisEnv(), LOADED_LOG: log },
            stdio: 'ignore',
          },
        );
        expect(await exited(child)).toBe(0);
        const redisCode = /node_modules\/(bullmq|ioredis|@keyv\/redis|@redis)\//;
        return (await loadedModules(log)).filter((url) => redisCode.test(url));
      };
      const alone = await scanWithHook(await taggingProject(null), join(work, 'alone.log'));
      expect(alone).toEqual([]);
      const clustered = await scanWithHook(await taggingProject({}), join(work, 'cluster.log'));
      expect(clustered.some((url) => url.includes('node_modules/bullmq/'))).toBe(true);
    });

    it('refuses a bad URL or a wrong password at start, naming cluster.redis (exit 2)', async () => {
      const p = await taggingProject({});
      await colourPhoto(p.inbox, 0, 91);
      const wrong = await runCli(['scan', p.inbox, '--config', p.config], {
        env: { [ENV_NAME]: `redis://:not-the-password@127.0.0.1:${redis.port}/0` },
      });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('cluster.redis');
      expect(wrong.stderr).toMatch(/password/);
      expect(wrong.stderr).not.toContain('not-the-password');
      expect(await listFiles(p.inbox)).toEqual(['IMG_91_0.jpg']);

      const notRedis = await runCli(['worker', '--config', p.config], {
        env: { [ENV_NAME]: 'http://127.0.0.1:1/0' },
      });
      expect(notRedis.code).toBe(2);
      expect(notRedis.stderr).toMatch(/cluster\.redis: http:\/\/ is not a Redis scheme/);

      const unset = await runCli(['worker', '--config', p.config], { env: { [ENV_NAME]: '' } });
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain(
        `cluster.redis: env:${ENV_NAME} names an environment variable`,
      );
    });

    it('a daemon with two workers tags and indexes a burst as it does alone', async () => {
      const count = 24;
      const clustered = await taggingProject({ timeoutMs: 60_000 });
      const workers = [await startWorker(clustered.config), await startWorker(clustered.config)];
      const daemon = await startDaemon(clustered);
      for (let i = 0; i < count; i++) await colourPhoto(clustered.inbox, i, 1);
      const where = await filedCount(clustered.library, count);
      daemon.kill('SIGTERM');
      expect(await exited(daemon)).toBe(0);
      const done = [await stopWorker(workers[0]!), await stopWorker(workers[1]!)];
      expectTagged(where, 1, count);
      // Both workers took jobs, and (with a timeout far above the job time) did them all.
      expect(done.every((n) => n > 0)).toBe(true);
      expect(done[0]! + done[1]!).toBe(count);

      const alone = await taggingProject(null);
      for (let i = 0; i < count; i++) await colourPhoto(alone.inbox, i, 1);
      expect((await runCli(['scan', alone.inbox, '--config', alone.config])).code).toBe(0);
      expect(await filed(alone.library)).toEqual(where);
      for (const query of COLOURS) {
        const scores = async (p: Project, env?: NodeJS.ProcessEnv) =>
          new Map((await searchHits(p, query, env)).map((hit) => [basename(hit.path), hit.score]));
        const theirs = await scores(clustered, redisEnv());
        const mine = await scores(alone);
        expect([...theirs.keys()]).toEqual([...mine.keys()]);
        for (const [name, score] of mine) expect(theirs.get(name)).toBeCloseTo(score, 3);
      }
    });

    it('photosortd index sends its model work to the workers and says who did how much', async () => {
      const p = await taggingProject({ timeoutMs: 60_000 });
      const worker = await startWorker(p.config);
      for (let i = 0; i < 9; i++) await colourPhoto(join(p.library, 'by hand'), i, 2);
      const result = await runCli(['index', '--config', p.config], { env: redisEnv() });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('indexed 9 photo(s)');
      expect(result.stdout).toContain(`model work: ${worker.name} 9`);
      expect(await stopWorker(worker)).toBe(9);

      // A second machine's index of the same photos finds their embeddings in Redis.
      const second = await taggingProject({ timeoutMs: 60_000 });
      for (let i = 0; i < 9; i++) await colourPhoto(join(second.library, 'by hand'), i, 2);
      const again = await runCli(['index', '--config', second.config], { env: redisEnv() });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('indexed 9 photo(s)');
      expect(again.stdout).not.toContain('model work');
      expect((await searchHits(second, 'red', redisEnv())).length).toBe(9);
    });

    it('a worker SIGKILLed mid-burst loses nothing; each photo is filed and indexed once', async () => {
      const count = 30;
      const p = await taggingProject({ timeoutMs: 8_000 });
      const victim = await startWorker(p.config);
      const survivor = await startWorker(p.config);
      const daemon = await startDaemon(p);
      for (let i = 0; i < count; i++) await colourPhoto(p.inbox, i, 3);
      await filedCount(p.library, 3);
      victim.child.kill('SIGKILL');
      const where = await filedCount(p.library, count);
      expectTagged(where, 3, count);
      // A move links into the library before it unlinks the source: wait for the second half.
      await waitFor(async () => (await listFiles(p.inbox)).length === 0, {
        what: 'an empty inbox',
      });
      daemon.kill('SIGTERM');
      expect(await exited(daemon)).toBe(0);
      await stopWorker(survivor);
      const journal = await runCli(['journal', '--json', '--limit', '1000', '--config', p.config], {
        env: redisEnv(),
      });
      const moves = journal.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { op: string; target: string })
        .filter((row) => row.op === 'move');
      expect(moves).toHaveLength(count);
      const hits = await searchHits(p, 'red', redisEnv());
      expect(new Set(hits.map((hit) => hit.path)).size).toBe(count);
      expect(hits).toHaveLength(count);
    });

    it('Redis killed and restarted mid-burst: filing goes on, the queue resumes', async () => {
      const p = await taggingProject({ timeoutMs: 5_000 });
      const workers = [await startWorker(p.config), await startWorker(p.config)];
      await startDaemon(p);
      for (let i = 0; i < 20; i++) await colourPhoto(p.inbox, i, 4);
      await filedCount(p.library, 3);
      await redis.kill();
      // While Redis is away the daemon files on, running the model itself.
      for (let i = 20; i < 30; i++) await colourPhoto(p.inbox, i, 4);
      await filedCount(p.library, 25);
      await redis.restart();
      // Back (empty: nothing was kept on disk): new photos go to the workers again, once the
      // daemon's and the workers' clients have reconnected (each on its own backoff, up to
      // 2 s apart; a photo filed before that runs the model here). One photo a second.
      await waitFor(async () => (await completedJobs(db)) === 0, { what: 'Redis back' });
      let dropped = 30;
      await waitFor(
        async () => {
          if ((await completedJobs(db)) > 0) return true;
          await colourPhoto(p.inbox, dropped++, 4);
          return false;
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: 'a worker to answer a job after the restart' },
      );
      const where = await filedCount(p.library, dropped);
      expectTagged(where, 4, dropped);
      // A move links into the library before it unlinks the source: wait for the second half.
      await waitFor(async () => (await listFiles(p.inbox)).length === 0, {
        what: 'an empty inbox',
      });
      for (const worker of workers) expect(worker.child.exitCode).toBeNull();
    });

    it('status and doctor show the cluster: Redis reachable, workers seen, jobs, who did them', async () => {
      const p = await taggingProject({ timeoutMs: 60_000 }, modelDir, {
        api: { listen: '127.0.0.1:0' },
      });
      const worker = await startWorker(p.config);
      await startDaemon(p);
      for (let i = 0; i < 3; i++) await colourPhoto(p.inbox, i, 6);
      await filedCount(p.library, 3);
      const status = await runCli(['status', '--json', '--config', p.config], { env: redisEnv() });
      expect(status.code).toBe(0);
      const cluster = (JSON.parse(status.stdout) as { cluster: Record<string, unknown> }).cluster;
      expect(cluster).toMatchObject({
        redis: `redis://:***@127.0.0.1:${redis.port}/${db}`,
        reachable: true,
        workers: [worker.name],
        done: { [worker.name]: 3 },
      });
      const text = await runCli(['status', '--config', p.config], { env: redisEnv() });
      expect(text.stdout).toMatch(
        new RegExp(
          `cluster +redis://:\\*\\*\\*@127.0.0.1:${redis.port}/${db}; workers: ${worker.name}`,
        ),
      );

      const doctor = await runCli(['doctor', '--config', p.config], { env: redisEnv() });
      expect(doctor.stdout).toContain(
        `cluster  ✓ redis://:***@127.0.0.1:${redis.port}/${db} reachable; 1 worker(s): ${worker.name}; jobs 0 waiting, 0 active`,
      );
      const gone = await runCli(['doctor', '--config', p.config], {
        env: { [ENV_NAME]: 'redis://127.0.0.1:1/0' },
      });
      expect(gone.code).toBe(1);
      expect(gone.stdout).toMatch(
        /cluster +✗ redis:\/\/127\.0\.0\.1:1\/0 does not answer: .*ECONNREFUSED/,
      );
    });

    it('with fallback: wait, an image waits for a worker instead of running here', async () => {
      const p = await taggingProject({ timeoutMs: 1_000, fallback: 'wait' });
      await startDaemon(p);
      for (let i = 0; i < 3; i++) await colourPhoto(p.inbox, i, 7);
      // Each unanswered job is taken back and queued again: once every photo has been
      // queued twice, none has been filed by running the model here.
      await waitFor(async () => (await jobsQueued(db)) >= 6, { what: 'jobs queued again' });
      expect(await listFiles(p.library)).toEqual([]);
      const worker = await startWorker(p.config);
      expectTagged(await filedCount(p.library, 3), 7, 3);
      expect(await stopWorker(worker)).toBe(3);
    });

    it('a worker with another model refuses the job, says why and stops; the photo is tagged here', async () => {
      const p = await taggingProject({ timeoutMs: 3_000 });
      const other = await taggingProject({}, otherModelDir);
      const worker = await startWorker(other.config);
      for (let i = 0; i < 3; i++) await colourPhoto(p.inbox, i, 5);
      const scan = await runCli(['scan', p.inbox, '--config', p.config], { env: redisEnv() });
      expect(scan.code).toBe(0);
      expectTagged(await filed(p.library), 5, 3);
      expect(await exited(worker.child)).toBe(2);
      const said = worker.log.text();
      expect(said).toMatch(
        /refused a job for model colour@fp32:[0-9a-f]+: this worker runs other@fp32:/,
      );
      expect(said).toContain(`tagging.model: ${otherModelDir}`);
    });
  },
);

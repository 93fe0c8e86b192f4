import { describe, expect, it } from 'vitest';
import type { FileJob } from '../src/pipeline/job.js';
import { createPipeline } from '../src/pipeline/pipeline.js';
import { fileJob } from './support/records.js';

const job = (name: string): FileJob => fileJob(`/in/${name}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the pipeline', () => {
  it('pause lets files in flight finish and starts no queued file until resume', async () => {
    const started: string[] = [];
    const pipeline = createPipeline({
      concurrency: 1,
      stages: [
        {
          name: 'slow',
          run: async (j) => {
            started.push(j.source);
            await sleep(100);
            return { ...j, plan: { action: 'skip', rule: null, target: null } };
          },
        },
      ],
    });
    const done = ['a', 'b', 'c'].map((name) => pipeline.add(job(name)));
    await sleep(20);
    pipeline.pause();
    await done[0];
    await sleep(250);
    expect(started).toEqual(['/in/a']);
    expect(pipeline.size).toEqual({ waiting: 2, active: 0 });
    pipeline.resume();
    await Promise.all(done);
    expect(started).toEqual(['/in/a', '/in/b', '/in/c']);
  });

  it('runs files sharing a lock key one at a time from that stage on, under each of its locks', async () => {
    const log: string[] = [];
    const stage = (name: string) => ({
      name,
      run: async (j: FileJob) => {
        log.push(`${name} ${j.source.slice(4)}`);
        await sleep(30);
        return j;
      },
    });
    const pipeline = createPipeline({
      concurrency: 5,
      stages: [stage('read'), stage('file')],
      exclusive: [
        { after: 'read', key: (j) => (j.source.includes('same-hash') ? 'h' : undefined) },
        { after: 'read', key: (j) => (j.source.includes('live') ? 'id' : undefined) },
      ],
    });
    await Promise.all(
      ['same-hash-1', 'same-hash-2', 'live-still', 'live-video', 'other'].map((name) =>
        pipeline.add(job(name)),
      ),
    );
    // Every file reads at once; the second of each locked pair files after the first.
    expect(log.slice(0, 5).every((line) => line.startsWith('read'))).toBe(true);
    const after = (a: string, b: string) => log.indexOf(`file ${b}`) > log.indexOf(`file ${a}`);
    expect(after('same-hash-1', 'same-hash-2')).toBe(true);
    expect(after('live-still', 'live-video')).toBe(true);
    expect(log.indexOf('file other')).toBeLessThan(log.indexOf('file same-hash-2'));
  });

  it('turns a stage that throws into an error result and goes on with the next file', async () => {
    const pipeline = createPipeline({
      concurrency: 2,
      stages: [
        {
          name: 'fragile',
          run: async (j) => {
            if (j.source.endsWith('bad')) throw new Error('boom');
            return { ...j, plan: { action: 'skip', rule: null, target: null } };
          },
        },
      ],
    });
    const [bad, good] = await Promise.all([pipeline.add(job('bad')), pipeline.add(job('good'))]);
    expect(bad.event).toMatchObject({ action: 'error', error: 'boom' });
    expect(bad.job.error).toMatchObject({ stage: 'fragile', message: 'boom' });
    expect(good.event.action).toBe('skip');
  });
});

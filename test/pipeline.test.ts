import { describe, expect, it } from 'vitest';
import type { FileJob } from '../src/pipeline/job.js';
import { createPipeline } from '../src/pipeline/pipeline.js';

const job = (name: string): FileJob => ({
  source: `/in/${name}`,
  root: '/in',
  size: 1,
  mtimeMs: 0,
});
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

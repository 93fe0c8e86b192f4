import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey, readApiKey } from '../src/api/api-key.js';
import { clientUrl, isLoopback, parseListen } from '../src/api/listen.js';
import { Metrics } from '../src/api/metrics.js';
import { RateLimiter } from '../src/api/rate-limit.js';
import { capturedLogger } from './support/captured.js';
import { RecordingDaemonControl, fileEvent } from './support/recording-daemon-control.js';

describe('Metrics', () => {
  it('renders counters, gauges, a cumulative histogram and uptime in Prometheus text', async () => {
    let now = 1_000_000;
    const metrics = new Metrics({ now: () => now });
    metrics.recordFile(fileEvent({ action: 'move', durations: { exif: 3, move: 40 } }));
    metrics.recordFile(fileEvent({ action: 'move', durations: { exif: 30 } }));
    metrics.recordFile(fileEvent({ action: 'error', durations: { exif: 45_000 } }));
    const control = new RecordingDaemonControl();
    control.queue = { waiting: 7, active: 2 };
    now += 90_500;
    const text = await metrics.render(control.status());
    const lines = text.split('\n');
    expect(lines).toContain('photosortd_files_total{action="move"} 2');
    expect(lines).toContain('photosortd_files_total{action="error"} 1');
    expect(lines).toContain('photosortd_failures_total 1');
    expect(lines).toContain('photosortd_queue_waiting 7');
    expect(lines).toContain('photosortd_queue_active 2');
    const exif = (le: string) =>
      lines.find((l) =>
        l.startsWith(`photosortd_stage_duration_seconds_bucket{le="${le}",stage="exif"}`),
      );
    expect(exif('0.001')).toMatch(/ 0$/);
    expect(exif('0.005')).toMatch(/ 1$/);
    expect(exif('0.025')).toMatch(/ 1$/);
    expect(exif('0.05')).toMatch(/ 2$/);
    expect(exif('30')).toMatch(/ 2$/);
    expect(exif('+Inf')).toMatch(/ 3$/);
    expect(lines).toContain('photosortd_stage_duration_seconds_count{stage="exif"} 3');
    expect(lines).toContain('photosortd_stage_duration_seconds_sum{stage="exif"} 45.033');
    expect(lines).toContain('photosortd_stage_duration_seconds_count{stage="move"} 1');
    expect(lines).toContain('photosortd_uptime_seconds 90.5');
    expect(lines).toContain('# TYPE photosortd_stage_duration_seconds histogram');
    expect(lines).toContain('photosortd_inbox_up{inbox="/srv/inbox"} 1');
    expect(lines).toContain('photosortd_journal_operations 12');
    expect(lines).toContain('photosortd_journal_bytes 65536');
    expect(lines).toContain('photosortd_last_filed_timestamp_seconds 1718217060');
    expect(lines).toContain('photosortd_paused 0');
    expect(lines).toContain('photosortd_inbox_waiting{reason="queued"} 7');
    expect(lines).toContain('photosortd_inbox_waiting{reason="being-written"} 0');
    // prom-client's process and Node figures ride along.
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values and ignores durations that are not numbers of milliseconds', async () => {
    const metrics = new Metrics();
    metrics.recordFile(fileEvent({ durations: { 'odd"stage\\': 1, bad: Number.NaN, neg: -1 } }));
    const text = await metrics.render(new RecordingDaemonControl().status());
    expect(text).toContain('stage="odd\\"stage\\\\"');
    expect(text).not.toContain('stage="bad"');
    expect(text).not.toContain('stage="neg"');
  });
});

describe('RateLimiter', () => {
  it('allows a burst of perMinute, then one more per 60/perMinute seconds', () => {
    let now = 0;
    const limiter = new RateLimiter(6, () => now);
    for (let i = 0; i < 6; i += 1) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 4_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    now += 6_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    now += 3_600_000;
    for (let i = 0; i < 6; i += 1) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });
});

describe('api.listen', () => {
  it.each([
    ['127.0.0.1:7717', { host: '127.0.0.1', port: 7717 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:7717', { host: '::1', port: 7717 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    ['7717', { host: '127.0.0.1', port: 7717 }],
  ])('parses %s', (listen, expected) => {
    expect(parseListen(listen)).toEqual(expected);
  });

  it.each(['', ':7717', '127.0.0.1', '127.0.0.1:99999', 'host:port', '::1:7717'])(
    'refuses "%s" naming the key',
    (listen) => {
      expect(() => parseListen(listen)).toThrow(`api.listen "${listen}" is not host:port`);
    },
  );

  it('knows loopback from the rest and reaches wildcards through loopback', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.10', 'photos.example'].some(isLoopback)).toBe(false);
    expect(clientUrl({ host: '0.0.0.0', port: 1 })).toBe('http://127.0.0.1:1');
    expect(clientUrl({ host: '::', port: 2 })).toBe('http://[::1]:2');
  });
});

describe('ensureApiKey', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'photosortd-api-key-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('tightens a key file others can read to 0600 and keeps its key', async () => {
    const dir = await mkdtemp(join(root, 'loose-'));
    await writeFile(join(dir, 'api-key'), 'psd_existing\n');
    await chmod(join(dir, 'api-key'), 0o644);
    const log = capturedLogger();
    expect(await ensureApiKey(dir, log.logger)).toBe('psd_existing');
    expect((await stat(join(dir, 'api-key'))).mode & 0o777).toBe(0o600);
    expect(log.lines().join('\n')).toContain('readable by other users');
  });

  it('replaces an empty key file left by an interrupted start', async () => {
    const dir = await mkdtemp(join(root, 'empty-'));
    await writeFile(join(dir, 'api-key'), '', { mode: 0o666 });
    const key = await ensureApiKey(dir, capturedLogger().logger);
    expect(key).toMatch(/^psd_/);
    expect(await readApiKey(dir)).toBe(key);
    expect((await stat(join(dir, 'api-key'))).mode & 0o777).toBe(0o600);
  });

  it('gives one key to several starts racing on an empty state folder', async () => {
    const dir = join(await mkdtemp(join(root, 'race-')), 'state');
    const logger = capturedLogger().logger;
    const keys = await Promise.all(Array.from({ length: 8 }, () => ensureApiKey(dir, logger)));
    expect(new Set(keys).size).toBe(1);
    expect(await readApiKey(dir)).toBe(keys[0]);
    expect(await readdir(dir)).toEqual(['api-key']);
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readApiKey } from '../src/api/api-key.js';
import { ApiClient } from '../src/api/client.js';
import { mintToken } from '../src/api/jwt.js';
import { Metrics } from '../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../src/api/server.js';
import { parseConfig, type Config } from '../src/config/load.js';
import type { ControlEvent } from '../src/daemon/control.js';
import { capturedLogger } from './support/captured.js';
import {
  RecordingDaemonControl,
  fileEvent,
  journalEntry,
} from './support/recording-daemon-control.js';

const ADMIN_KEY = 'admin-key-for-tests-0123456789abcdef';
const READ_KEY = 'read-key-for-tests-0123456789abcdef';
const SECRET = 'a-jwt-secret-of-at-least-thirty-two-bytes!';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'photosortd-api-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function makeConfig(api: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      library: join(root, 'library'),
      inboxes: [join(root, 'inbox')],
      state: join(root, 'state'),
      api: {
        listen: '127.0.0.1:0',
        keys: [
          { name: 'admin', sha256: sha256(ADMIN_KEY), scope: 'admin' },
          { name: 'reader', sha256: sha256(READ_KEY), scope: 'read' },
        ],
        jwt: { secret: SECRET },
        ...api,
      },
    },
    null,
  );
}

async function start(api: Record<string, unknown> = {}) {
  const control = new RecordingDaemonControl();
  const metrics = new Metrics();
  const log = capturedLogger();
  // Fed the way `photosortd run` feeds it: the metrics' owner records file events.
  control.subscribe((event) => {
    if (event.type === 'file') metrics.recordFile(event);
  });
  const server = await startApiServer({
    config: makeConfig(api),
    control,
    logger: log.logger,
    metrics,
  });
  return { control, metrics, log, server };
}

/** A response whose JSON body the assertions read freely (each one checks the shape it needs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

function call(
  server: ApiServer,
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  return fetch(`${server.url}${path}`, { method, headers, body: options.body });
}

/** A JWT as jose would sign it, but with `alg: none` and no signature. */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('control API with good tokens', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start();
  });
  afterAll(async () => {
    await ctx.server.close();
  });

  it('answers /health without a token', async () => {
    const response = await call(ctx.server, 'GET', '/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ok: true,
      library: 'present',
      inboxes: { watching: 1, missing: 0 },
    });
  });

  it('serves /status to a read key', async () => {
    const response = await call(ctx.server, 'GET', '/status', { token: READ_KEY });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      state: 'running',
      queue: { waiting: 0, active: 0 },
      processed: 0,
      failed: 0,
      version: '0.1.0-test',
    });
  });

  it('pauses and resumes for an admin key and returns the new state', async () => {
    const paused = await call(ctx.server, 'POST', '/pause', { token: ADMIN_KEY });
    expect(paused.status).toBe(200);
    expect((await paused.json()).state).toBe('paused');
    expect(ctx.control.state).toBe('paused');
    const resumed = await call(ctx.server, 'POST', '/resume', { token: ADMIN_KEY });
    expect((await resumed.json()).state).toBe('running');
    expect(ctx.control.state).toBe('running');
  });

  it('undoes by last, batch and all, passing force and dryRun through', async () => {
    ctx.control.undoResult = {
      undone: [{ id: 7, from: '/srv/library/a.jpg', to: '/srv/inbox/a.jpg' }],
      refused: [{ id: 8, from: '/srv/library/b.jpg', to: '/srv/inbox/b.jpg', reason: 'changed' }],
    };
    const response = await call(ctx.server, 'POST', '/undo', {
      token: ADMIN_KEY,
      body: JSON.stringify({ last: 2, force: true }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      batch: 'undo-1',
      dryRun: false,
      ...ctx.control.undoResult,
    });
    await call(ctx.server, 'POST', '/undo', {
      token: ADMIN_KEY,
      body: JSON.stringify({ batch: 'b-42', dryRun: true }),
    });
    await call(ctx.server, 'POST', '/undo', { token: ADMIN_KEY, body: '{"all":true}' });
    const undos = ctx.control.calls.filter((c) => c.method === 'undo');
    expect(undos).toEqual([
      { method: 'undo', selector: { last: 2 }, options: { force: true, dryRun: undefined } },
      { method: 'undo', selector: { batch: 'b-42' }, options: { force: undefined, dryRun: true } },
      { method: 'undo', selector: { all: true }, options: { force: undefined, dryRun: undefined } },
    ]);
  });

  it('lists the journal, newest first, honouring limit (default 50)', async () => {
    ctx.control.entries = Array.from({ length: 60 }, (_, i) => journalEntry({ id: 60 - i }));
    const limited = await call(ctx.server, 'GET', '/journal?limit=2', { token: READ_KEY });
    expect(limited.status).toBe(200);
    expect((await limited.json()).map((e: { id: number }) => e.id)).toEqual([60, 59]);
    const byDefault = await call(ctx.server, 'GET', '/journal', { token: READ_KEY });
    expect(await byDefault.json()).toHaveLength(50);
  });

  it('refuses a journal limit that is not a positive whole number, naming it', async () => {
    const response = await call(ctx.server, 'GET', '/journal?limit=0', { token: READ_KEY });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('limit: must be at least 1');
  });

  it('accepts a JWT minted for the configured secret, read and admin', async () => {
    const read = await mintToken(SECRET, { scope: 'read', ttlSeconds: 60 });
    expect((await call(ctx.server, 'GET', '/status', { token: read })).status).toBe(200);
    const admin = await mintToken(SECRET, { scope: 'admin', ttlSeconds: 60 });
    expect((await call(ctx.server, 'POST', '/pause', { token: admin })).status).toBe(200);
    expect((await call(ctx.server, 'POST', '/resume', { token: admin })).status).toBe(200);
  });

  it('reads the body of `curl -d` (a form content type) as JSON, as the README sends it', async () => {
    const before = ctx.control.calls.filter((c) => c.method === 'undo').length;
    for (const headers of [
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'text/plain;charset=UTF-8' },
    ]) {
      const response = await call(ctx.server, 'POST', '/undo', {
        token: ADMIN_KEY,
        body: '{"last":5}',
        headers,
      });
      expect(response.status).toBe(200);
    }
    const undos = ctx.control.calls.filter((c) => c.method === 'undo').slice(before);
    expect(undos.map((c) => c.selector)).toEqual([{ last: 5 }, { last: 5 }]);
    // Still validated: a form-encoded body that is not the JSON object is a 400, not a 415.
    const bad = await call(ctx.server, 'POST', '/undo', {
      token: ADMIN_KEY,
      body: 'last=5',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(bad.status).toBe(400);
  });

  it('streams file, pause, resume and undo events over /events', async () => {
    const client = new ApiClient(ctx.server.url, READ_KEY);
    const abort = new AbortController();
    const received: ControlEvent[] = [];
    const before = ctx.control.subscribers;
    const reading = (async () => {
      for await (const event of client.events(abort.signal)) {
        received.push(event);
        if (received.length === 4) abort.abort();
      }
    })();
    await waitFor(() => ctx.control.subscribers === before + 1);
    ctx.control.emit(fileEvent({ source: '/srv/inbox/IMG_9.jpg' }));
    await call(ctx.server, 'POST', '/pause', { token: ADMIN_KEY });
    await call(ctx.server, 'POST', '/resume', { token: ADMIN_KEY });
    await call(ctx.server, 'POST', '/undo', { token: ADMIN_KEY, body: '{"last":1}' });
    await reading;
    expect(received.map((event) => event.type)).toEqual(['file', 'paused', 'resumed', 'undo']);
    expect(received[0]).toMatchObject({ type: 'file', source: '/srv/inbox/IMG_9.jpg' });
    await waitFor(() => ctx.control.subscribers === before);
  });

  it('serves Prometheus metrics counting files by action, failures and stage durations', async () => {
    ctx.control.queue = { waiting: 3, active: 2 };
    ctx.control.emit(fileEvent({ action: 'move', durations: { exif: 12, move: 3 } }));
    ctx.control.emit(fileEvent({ action: 'error', error: 'truncated', durations: { exif: 700 } }));
    const response = await call(ctx.server, 'GET', '/metrics', { token: READ_KEY });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toMatch(/^photosortd_files_total\{action="move"\} [1-9]\d*$/m);
    expect(text).toContain('photosortd_files_total{action="error"} 1');
    expect(text).toContain('photosortd_failures_total 1');
    expect(text).toContain('photosortd_queue_waiting 3');
    expect(text).toContain('photosortd_queue_active 2');
    expect(text).toContain('photosortd_stage_duration_seconds_bucket{le="0.5",stage="exif"}');
    expect(text).toMatch(/^photosortd_stage_duration_seconds_count\{stage="exif"\} \d+$/m);
    expect(text).toMatch(/^photosortd_uptime_seconds \d/m);
  });

  it('serves an OpenAPI document generated from the route schemas, without a token', async () => {
    const response = await call(ctx.server, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    const doc = await response.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/events',
        '/health',
        '/journal',
        '/metrics',
        '/pause',
        '/resume',
        '/search',
        '/similar',
        '/status',
        '/thumb/{id}',
        '/undo',
      ].sort(),
    );
    expect(doc.paths['/pause'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(Object.keys(doc.components.schemas.UndoRequest.properties)).toEqual(
      expect.arrayContaining(['last', 'batch', 'all', 'force', 'dryRun']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('answers an unknown route with 404 and a pointer to the routes', async () => {
    const response = await call(ctx.server, 'GET', '/nope', { token: READ_KEY });
    expect(response.status).toBe(404);
    expect((await response.json()).error).toContain('/openapi.json');
  });
});

describe('control API with api.jwt.issuer, audience and maxLifetime set', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start({
      jwt: { secret: SECRET, maxLifetime: '2h', issuer: 'sso.example', audience: 'photosortd-nas' },
    });
  });
  afterAll(async () => {
    await ctx.server.close();
  });

  const signed = (claims: { iss?: string; aud?: string; ttl?: string }) => {
    const jwt = new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(claims.ttl ?? '1h');
    if (claims.iss) jwt.setIssuer(claims.iss);
    if (claims.aud) jwt.setAudience(claims.aud);
    return jwt.sign(Buffer.from(SECRET));
  };

  it('accepts a token with the configured iss and aud within the lifetime', async () => {
    const token = await signed({ iss: 'sso.example', aud: 'photosortd-nas' });
    expect((await call(ctx.server, 'GET', '/status', { token })).status).toBe(200);
    const minted = await mintToken(SECRET, {
      scope: 'read',
      ttlSeconds: 3600,
      issuer: 'sso.example',
      audience: 'photosortd-nas',
    });
    expect((await call(ctx.server, 'GET', '/status', { token: minted })).status).toBe(200);
  });

  it.each([
    ['another issuer', { iss: 'evil.example', aud: 'photosortd-nas' }, '"iss"'],
    ['no issuer', { aud: 'photosortd-nas' }, '"iss"'],
    ['another audience', { iss: 'sso.example', aud: 'other' }, '"aud"'],
    ['no audience', { iss: 'sso.example' }, '"aud"'],
    [
      'a lifetime over 2h',
      { iss: 'sso.example', aud: 'photosortd-nas', ttl: '3h' },
      'longer than api.jwt.maxLifetime (7200 s)',
    ],
  ])('refuses a token with %s', async (_what, claims, reason) => {
    const response = await call(ctx.server, 'GET', '/status', { token: await signed(claims) });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toContain(reason);
  });
});

describe('control API refusals', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start();
  });
  afterAll(async () => {
    await ctx.server.close();
  });
  afterEach(() => {
    expect(ctx.control.changes()).toEqual([]);
    expect(ctx.control.state).toBe('running');
  });

  const expired = () =>
    mintToken(SECRET, { scope: 'admin', ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });

  it.each([
    ['no token', async () => undefined, 'no Authorization header'],
    ['a wrong key', async () => 'not-a-key-we-know', 'not a known API key'],
    [
      'a JWT with alg none',
      async () => unsignedJwt({ scope: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }),
      'algorithm is not HS256',
    ],
    [
      'a JWT signed with another secret',
      () =>
        mintToken('another-secret-that-is-long-enough-too!!', { scope: 'admin', ttlSeconds: 60 }),
      'signature does not match',
    ],
    ['an expired JWT', expired, 'expired'],
    [
      'a JWT without exp',
      () =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(Buffer.from(SECRET)),
      'no "exp"',
    ],
    [
      'a JWT not valid yet',
      () =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setNotBefore('10m from now')
          .setExpirationTime('1h')
          .sign(Buffer.from(SECRET)),
      'not valid yet',
    ],
    [
      'a JWT issued in the future',
      () =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt('10m from now')
          .setExpirationTime('1h')
          .sign(Buffer.from(SECRET)),
      'issued in the future',
    ],
    [
      'a JWT without a scope',
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('1h')
          .sign(Buffer.from(SECRET)),
      '"scope"',
    ],
  ])('refuses %s with 401 and changes nothing', async (_what, token, reason) => {
    const presented = await token();
    for (const [method, path] of [
      ['POST', '/pause'],
      ['GET', '/status'],
    ] as const) {
      const response = await call(ctx.server, method, path, { token: presented });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect((await response.json()).error).toContain(reason);
    }
  });

  it.each([
    [
      'a JWT living longer than api.jwt.maxLifetime (30d by default)',
      () =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .setExpirationTime('10y')
          .sign(Buffer.from(SECRET)),
      'longer than api.jwt.maxLifetime',
    ],
    [
      'a JWT without iat whose exp is years away',
      () =>
        new SignJWT({ scope: 'admin' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('400d')
          .sign(Buffer.from(SECRET)),
      'longer than api.jwt.maxLifetime',
    ],
  ])('refuses %s', async (_what, token, reason) => {
    const response = await call(ctx.server, 'GET', '/status', { token: await token() });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toContain(reason);
  });

  it('refuses the alg-none JWT even where JWTs are accepted, for admin routes too', async () => {
    const token = unsignedJwt({ scope: 'admin', exp: Math.floor(Date.now() / 1000) + 600 });
    const response = await call(ctx.server, 'POST', '/undo', { token, body: '{"last":1}' });
    expect(response.status).toBe(401);
  });

  it.each([
    ['POST', '/pause', undefined],
    ['POST', '/resume', undefined],
    ['POST', '/undo', '{"last":5}'],
  ])('refuses a read token on %s %s with 403', async (method, path, body) => {
    for (const token of [READ_KEY, await mintToken(SECRET, { scope: 'read', ttlSeconds: 60 })]) {
      const response = await call(ctx.server, method, path, { token, body });
      expect(response.status).toBe(403);
      expect((await response.json()).error).toContain('needs scope "admin"');
    }
  });

  it('logs failed attempts with the address and without the token', async () => {
    await call(ctx.server, 'GET', '/status', { token: 'secret-looking-guess-123' });
    const failures = ctx.log
      .lines()
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'API authentication failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.at(-1)).toMatchObject({ address: '127.0.0.1', path: '/status' });
    expect(ctx.log.lines().join('\n')).not.toContain('secret-looking-guess-123');
  });

  it('rejects malformed JSON with 400', async () => {
    const response = await call(ctx.server, 'POST', '/undo', {
      token: ADMIN_KEY,
      body: '{"last":',
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('Request body is not valid JSON');
  });

  it.each([
    ['{"last":-3}', 'last: must be at least 1'],
    ['{"last":"ten"}', 'last: must be a number'],
    ['{}', 'say what to undo'],
    ['{"last":1,"batch":"x"}', 'give only one of last, batch and all'],
    ['{"last":1,"lats":2}', 'unknown field "lats"'],
    ['[1]', 'request:'],
  ])('rejects the undo body %s with 400 naming the field', async (body, message) => {
    const response = await call(ctx.server, 'POST', '/undo', { token: ADMIN_KEY, body });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toContain(message);
  });

  it('rejects an oversized body with 413, by Content-Length and when streamed', async () => {
    const big = JSON.stringify({ batch: 'x'.repeat(64 * 1024) });
    const declared = await call(ctx.server, 'POST', '/undo', { token: ADMIN_KEY, body: big });
    expect(declared.status).toBe(413);
    const chunks = new Blob([big]).stream();
    const streamed = await fetch(`${ctx.server.url}/undo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});

describe('control API rate limit', () => {
  it('answers a burst over the limit with 429 and Retry-After, per token', async () => {
    const { server, control } = await start({ rateLimit: { perMinute: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        statuses.push((await call(server, 'GET', '/status', { token: READ_KEY })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await call(server, 'POST', '/pause', { token: READ_KEY });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another token has its own bucket.
      expect((await call(server, 'POST', '/pause', { token: ADMIN_KEY })).status).toBe(200);
      expect(control.changes()).toEqual([{ method: 'pause' }]);
    } finally {
      await server.close();
    }
  });

  it('throttles failed attempts per address without locking out a good token', async () => {
    const { server, log } = await start({ rateLimit: { perMinute: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await call(server, 'GET', '/status', { token: `guess-${i}` })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect((await call(server, 'GET', '/status', { token: READ_KEY })).status).toBe(200);
      const warned = log.lines().filter((line) => line.includes('API authentication failed'));
      expect(warned.filter((line) => line.includes('"level":40'))).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});

describe('control API server', () => {
  it('writes an admin key to <state>/api-key when no keys are configured, and accepts it', async () => {
    const state = join(await mkdtemp(join(root, 'state-')), 'nested');
    const first = await startWithState(state);
    let key: string | null;
    try {
      key = await readApiKey(state);
      expect(key).toMatch(/^psd_[A-Za-z0-9_-]{43}$/);
      expect((await stat(join(state, 'api-key'))).mode & 0o777).toBe(0o600);
      expect((await call(first.server, 'POST', '/pause', { token: key ?? '' })).status).toBe(200);
      const logged = first.log.lines().join('\n');
      expect(logged).toContain(join(state, 'api-key'));
      expect(logged).not.toContain(key);
    } finally {
      await first.server.close();
    }
    // A second start keeps the key rather than invalidating the one the CLI holds.
    const second = await startWithState(state);
    try {
      expect(await readApiKey(state)).toBe(key);
      expect((await call(second.server, 'GET', '/status', { token: key ?? '' })).status).toBe(200);
    } finally {
      await second.server.close();
    }
  });

  it('warns when listening beyond loopback without a TLS terminator', async () => {
    const { server, log } = await start({ listen: '0.0.0.0:0' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await call(server, 'GET', '/health')).status).toBe(200);
      const warning = log.lines().find((line) => line.includes('TLS-terminating'));
      expect(warning).toBeDefined();
    } finally {
      await server.close();
    }
  });

  it('does not warn beyond loopback when the config names its TLS proxy', async () => {
    const { server, log } = await start({ listen: '0.0.0.0:0', tlsProxy: 'caddy on :443' });
    try {
      expect(log.lines().some((line) => line.includes('TLS-terminating'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('does not warn on loopback and reports a port in use in words', async () => {
    const { server, log } = await start();
    try {
      expect(log.lines().some((line) => line.includes('TLS-terminating'))).toBe(false);
      await expect(start({ listen: `127.0.0.1:${server.port}` })).rejects.toThrow(
        /cannot listen on 127\.0\.0\.1:\d+.*change api\.listen/,
      );
    } finally {
      await server.close();
    }
  });

  it('ends open event streams on close', async () => {
    const { server, control } = await start();
    const client = new ApiClient(server.url, READ_KEY);
    const before = control.subscribers;
    const events: ControlEvent[] = [];
    const reading = (async () => {
      for await (const event of client.events()) events.push(event);
    })();
    await waitFor(() => control.subscribers === before + 1);
    const closing = Date.now();
    await server.close();
    await reading;
    // Well inside the grace period: the stream ended, it was not cut by the timeout.
    expect(Date.now() - closing).toBeLessThan(1_500);
    expect(control.subscribers).toBe(before);
    expect(events).toEqual([]);
  });
});

async function startWithState(state: string) {
  const control = new RecordingDaemonControl();
  const log = capturedLogger();
  const config = parseConfig(
    {
      library: join(root, 'library'),
      inboxes: [join(root, 'inbox')],
      state,
      api: { listen: '127.0.0.1:0' },
    },
    null,
  );
  const server = await startApiServer({
    config,
    control,
    logger: log.logger,
    metrics: new Metrics(),
  });
  return { server, log };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

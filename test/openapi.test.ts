import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { format } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../src/api/metrics.js';
import { startApiServer, type ApiServer } from '../src/api/server.js';
import { parseConfig } from '../src/config/load.js';
import { ROOT } from './support/cli.js';
import { capturedLogger } from './support/captured.js';
import { RecordingDaemonControl } from './support/recording-daemon-control.js';

const execFileAsync = promisify(execFile);
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

let root: string;
let server: ApiServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'photosortd-openapi-'));
  const config = parseConfig(
    {
      library: join(root, 'library'),
      inboxes: [join(root, 'inbox')],
      state: join(root, 'state'),
      api: { listen: '127.0.0.1:0', allowedHosts: ['photos.lan'] },
    },
    null,
  );
  server = await startApiServer({
    config,
    control: new RecordingDaemonControl(),
    logger: capturedLogger().logger,
    metrics: new Metrics(),
  });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
}

/** What `redocly lint` (its recommended rules) says of a document, as JSON. */
async function lint(file: string): Promise<LintReport> {
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  // redocly exits 1 when it finds problems; the report on stdout is what the test reads.
  const { stdout } = await execFileAsync(REDOCLY, ['lint', file, '--format', 'json'], {
    env,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(stdout) as LintReport;
}

/** GET through node:http, which (unlike fetch) lets a test choose the Host header. */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the OpenAPI document the daemon serves', () => {
  it('is served without a token and passes redocly lint with no error and no warning', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const file = join(root, 'openapi.json');
    await writeFile(file, await response.text());
    const report = await lint(file);
    const problems = report.problems.map(
      (p) => `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('names every operation, states its security and shows an example of each response', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.servers).toEqual([expect.objectContaining({ url: server.url })]);
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        ids.add(operation.operationId as string);
        expect(Array.isArray(operation.security), `${where} states its security`).toBe(true);
        const responses = operation.responses as Record<
          string,
          { content?: Record<string, { example?: unknown }> }
        >;
        for (const [status, response] of Object.entries(responses)) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            expect(media.example, `${where} ${status} ${type} has an example`).toBeDefined();
          }
        }
      }
    }
    expect(ids.size).toBe(
      Object.values(doc.paths).reduce((n, operations) => n + Object.keys(operations).length, 0),
    );
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/undo']?.post?.security).toEqual([{ bearer: [] }]);
  });
});

describe("the CLI's API types", () => {
  it('are generated from the served document (`npm run api:types` writes them anew)', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenAPI3;
    const types = astToString(await openapiTS(doc));
    const header =
      '// Generated by `npm run api:types` from the OpenAPI document the daemon serves\n' +
      '// (test/openapi.test.ts checks it is current). Do not edit.\n';
    const formatted = await format(header + types, { parser: 'typescript', singleQuote: true });
    await expect(formatted).toMatchFileSnapshot('../src/api/openapi-types.ts');
  });
});

describe('the Host check (DNS rebinding)', () => {
  it('refuses a foreign Host with 421 on every route, the public ones included', async () => {
    for (const path of ['/health', '/openapi.json', '/status']) {
      const answer = await getWithHost(path, 'attacker.example:7717');
      expect(answer.status, path).toBe(421);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'MISDIRECTED' });
      expect(answer.body).toContain('api.allowedHosts');
    }
  });

  it('answers loopback names and the names in api.allowedHosts', async () => {
    for (const host of [
      '127.0.0.1:7717',
      'localhost',
      '[::1]:7717',
      'photos.lan:7717',
      'PHOTOS.LAN',
    ]) {
      expect((await getWithHost('/health', host)).status, host).toBe(200);
    }
  });
});

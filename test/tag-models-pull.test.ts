import { ExifTool } from 'exiftool-vendored';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, modelTarget, modelsPull } from '../src/cli/models.js';
import { runCli } from './support/cli.js';
import { project } from './support/project.js';
import { createTagger } from '../src/tagging/tagger.js';

let work: string;
let source: string;
let server: Server;
let endpoint: string;
let corrupt = false;

/** A stand-in for the hub's resolve endpoint: LFS files redirect to a CDN, as on the hub. */
function serve(): Promise<void> {
  server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const cdn = url.pathname.match(/^\/cdn\/(.+)$/);
      const hub = url.pathname.match(/^\/test\/colour-clip\/resolve\/main\/(.+)$/);
      const file = cdn?.[1] ?? hub?.[1];
      if (!file || !existsSync(join(source, file))) {
        res.writeHead(404).end();
        return;
      }
      let body = await readFile(join(source, file));
      if (hub && file.endsWith('.onnx')) {
        const sha256 = createHash('sha256').update(body).digest('hex');
        res.writeHead(302, { location: `/cdn/${file}`, 'x-linked-etag': `"${sha256}"` }).end();
        return;
      }
      const blob = createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
      if (corrupt && cdn) body = Buffer.concat([body, Buffer.from('x')]);
      res.writeHead(200, hub ? { etag: `"${blob}"` } : {}).end(body);
    })();
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', done));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'photosortd-pull-'));
  source = join(work, 'hub');
  execFileSync(process.execPath, ['scripts/make-test-model.js', source]);
  await serve();
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server?.close(done));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('photosortd models pull', () => {
  it('refuses a name that is not OWNER/NAME', async () => {
    const output = new PassThrough();
    expect(await modelsPull('../etc', { dir: work, output })).toBe(2);
  });

  it('leaves nothing behind when a file fails its checksum', async () => {
    corrupt = true;
    const dir = join(work, 'models-bad');
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    expect(await modelsPull('test/colour-clip', { dir, endpoint, output })).toBe(1);
    expect(Buffer.concat(chunks).toString()).toContain('checksum mismatch');
    expect(existsSync(join(dir, 'colour-clip'))).toBe(false);
    expect(existsSync(join(dir, 'colour-clip.partial'))).toBe(false);
    corrupt = false;
  });

  it('downloads and verifies a model that the tagger then loads', async () => {
    const dir = join(work, 'models');
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const status = await modelsPull('test/colour-clip', { dir, endpoint, output });
    expect(Buffer.concat(chunks).toString()).toContain('is ready in');
    expect(status).toBe(0);
    const target = join(dir, 'colour-clip');
    for (const file of ['tokenizer.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
      expect(await readFile(join(target, file))).toEqual(await readFile(join(source, file)));
    }
    expect(await modelsPull('test/colour-clip', { dir, endpoint, output })).toBe(0);

    const exiftool = new ExifTool({ maxProcs: 1 });
    const tagger = await createTagger({
      modelDir: target,
      labels: ['red'],
      prompt: '{}',
      minScore: 0,
      maxTags: 1,
      stateDir: join(work, 'state'),
      exiftool,
    });
    expect(tagger.status).toMatchObject({ enabled: true });
    await tagger.close();
    await exiftool.end();
  });

  it("without --dir, writes into tagging.model's folder, not ./models of the current folder", async () => {
    const p = await project({ tagging: { model: './ai/clip' } });
    const cwd = await mkdtemp(join(tmpdir(), 'photosortd-pull-cwd-'));
    const result = await runCli(['models', 'pull', 'test/colour-clip', '--config', p.config], {
      cwd,
      env: { HF_ENDPOINT: endpoint },
    });
    expect(result.stderr).toContain(`is ready in ${join(p.dir, 'ai', 'colour-clip')}`);
    expect(result.code).toBe(0);
    expect(existsSync(join(p.dir, 'ai', 'colour-clip', 'onnx', 'text_model.onnx'))).toBe(true);
    expect(existsSync(join(cwd, 'models'))).toBe(false);
    // The default model goes to tagging.model itself, so tagging finds it as configured.
    expect(modelTarget(DEFAULT_MODEL, { configuredModel: join(p.dir, 'ai', 'clip') })).toBe(
      join(p.dir, 'ai', 'clip'),
    );
    expect(modelTarget(DEFAULT_MODEL, { dir: '/m', configuredModel: '/x/clip' })).toBe(
      '/m/clip-vit-base-patch32',
    );
  });
});

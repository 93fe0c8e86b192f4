import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createTagger } from '../src/tagging/tagger.js';
import { inspectModelDir } from '../src/tagging/model-files.js';
import { ROOT } from './support/cli.js';
import { tempDir } from './support/fs.js';

const exiftool = new ExifTool({ maxProcs: 1 });
afterAll(async () => {
  await exiftool.end();
});

describe('a quantized vision tower', () => {
  it('is used when the model folder has onnx/vision_model_quantized.onnx, and tags as the float one does', async () => {
    const work = await tempDir('photosortd-quantized-');
    const plain = join(work, 'plain');
    const quantized = join(work, 'quantized');
    const script = join(ROOT, 'scripts/make-test-model.js');
    execFileSync(process.execPath, [script, plain]);
    execFileSync(process.execPath, [script, quantized, 'colour', '--quantized']);

    const found = await inspectModelDir(quantized);
    expect(found.ok && found.files.dtype).toBe('q8');
    expect(found.ok && found.files.textDtype).toBe('fp32');
    expect(found.ok && found.files.id).toMatch(/^quantized@q8:[0-9a-f]{16}$/);
    const notQuantized = await inspectModelDir(plain);
    expect(notQuantized.ok && notQuantized.files.dtype).toBe('fp32');

    const photo = join(work, 'red.jpg');
    await sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 220, g: 30, b: 25 } },
    })
      .jpeg()
      .toFile(photo);
    const job = {
      source: photo,
      root: work,
      size: 1,
      mtimeMs: 0,
      hash: 'r',
      kind: 'photo' as const,
    };
    const results = [];
    for (const modelDir of [plain, quantized]) {
      const tagger = await createTagger({
        modelDir,
        labels: ['red', 'green', 'blue'],
        prompt: 'a photo of {}',
        minScore: 0.2,
        maxTags: 1,
        stateDir: join(work, `state-${results.length}`),
        exiftool,
      });
      expect(tagger.status.enabled, tagger.status.reason).toBe(true);
      results.push(await tagger.analyse(job));
      await tagger.close();
    }
    const [fp32, q8] = results;
    expect(q8?.tags.map((t) => t.label)).toEqual(['red']);
    expect(fp32?.tags.map((t) => t.label)).toEqual(['red']);
    let cosine = 0;
    for (let i = 0; i < fp32!.embedding.length; i++)
      cosine += fp32!.embedding[i]! * q8!.embedding[i]!;
    expect(cosine).toBeGreaterThan(0.999);
  });
});

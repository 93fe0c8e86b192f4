import { SingleBar } from 'cli-progress';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorMessage } from '../lib/errors.js';
import { inspectModelDir, REQUIRED_FILES } from '../tagging/model-files.js';

/** The model `photosortd models pull` fetches when none is named. */
export const DEFAULT_MODEL = 'Xenova/clip-vit-base-patch32';

/** Options of {@link modelsPull}. */
export interface ModelsPullOptions {
  /** `--dir`: folder models live in; the model lands in `<dir>/<name without owner>`. */
  dir?: string;
  /**
   * `tagging.model` of the configuration, when one was found: without `--dir` the default
   * model lands exactly there (and a named one beside it), so tagging finds it.
   */
  configuredModel?: string;
  /** The `_quantized` ONNX files (int8, about a quarter of the size) instead of fp32. */
  quantized?: boolean;
  /** Hub address; defaults to `$HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Where messages and the progress bar go (default stderr). */
  output?: NodeJS.WritableStream;
}

interface Download {
  file: string;
  optional: boolean;
}

/** The checksum the hub publishes for a file: sha256 for LFS files, git's blob sha1 otherwise. */
function expectedDigest(headers: Headers): { kind: 'sha256' | 'git-sha1'; hex: string } | null {
  const tag = (headers.get('x-linked-etag') ?? headers.get('etag') ?? '')
    .replace(/^W\//, '')
    .replaceAll('"', '');
  if (/^[0-9a-f]{64}$/.test(tag)) return { kind: 'sha256', hex: tag };
  if (/^[0-9a-f]{40}$/.test(tag)) return { kind: 'git-sha1', hex: tag };
  return null;
}

function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

async function download(url: string, dest: string, bar: SingleBar): Promise<'done' | 'absent'> {
  const first = await fetch(url, { redirect: 'manual' });
  const expected = expectedDigest(first.headers);
  let response = first;
  if (first.status >= 300 && first.status < 400) {
    const location = first.headers.get('location');
    if (!location) throw new Error(`${url}: redirect without a location`);
    response = await fetch(new URL(location, url), { redirect: 'follow' });
  }
  if (response.status === 404) return 'absent';
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const digest = createHash('sha256');
  const size = Number(response.headers.get('content-length') ?? first.headers.get('x-linked-size'));
  bar.setTotal(bar.getTotal() + (Number.isFinite(size) ? size : 0));
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      bar.increment(chunk.length);
      done(null, chunk);
    },
  });
  await mkdir(dirname(dest), { recursive: true });
  await pipeline(body, count, createWriteStream(dest, { flags: 'wx' }));
  if (!expected) throw new Error(`${url}: the server gave no checksum to verify it against`);
  // Git's blob id covers a "blob SIZE\0" header, so it is computed once the size is known;
  // only small files (configs, tokenizer) are not in LFS and carry it.
  const actual =
    expected.kind === 'sha256' ? digest.digest('hex') : gitBlobSha1(await readFile(dest));
  if (actual !== expected.hex) {
    throw new Error(`${url}: checksum mismatch (expected ${expected.hex}, got ${actual})`);
  }
  return 'done';
}

/**
 * Where a model is written: `<--dir>/<name>`; else, with a configuration, `tagging.model` for
 * the default model and its folder for another; else `./models/<name>`.
 */
export function modelTarget(
  model: string,
  options: Pick<ModelsPullOptions, 'dir' | 'configuredModel'>,
): string {
  const name = model.split('/')[1]!;
  if (options.dir !== undefined) return resolve(options.dir, name);
  if (options.configuredModel === undefined) return resolve('models', name);
  return model === DEFAULT_MODEL
    ? options.configuredModel
    : join(dirname(options.configuredModel), name);
}

/**
 * `photosortd models pull [NAME]`: downloads a CLIP model in the transformers.js layout from
 * the Hugging Face hub into `<dir>/<name>`, checking every file against the hub's checksum.
 * Files go to a `.partial` folder first and are moved into place only when all are verified.
 * Returns the exit status: 0 done, 1 download failed, 2 bad name.
 */
export async function modelsPull(
  name: string | undefined,
  options: ModelsPullOptions,
): Promise<number> {
  const out = options.output ?? process.stderr;
  const say = (line: string) => out.write(`${line}\n`);
  const model = name ?? DEFAULT_MODEL;
  if (!/^[\w.-]+\/[\w.-]+$/.test(model) || model.includes('..')) {
    say(`"${model}" is not a model name; give OWNER/NAME, e.g. ${DEFAULT_MODEL}`);
    return 2;
  }
  const target = modelTarget(model, options);
  const existing = await inspectModelDir(target);
  if (existing.ok) {
    say(`${target} already holds ${model}; set tagging.model to it`);
    return 0;
  }
  const endpoint = (
    options.endpoint ??
    process.env.HF_ENDPOINT ??
    'https://huggingface.co'
  ).replace(/\/+$/, '');
  const suffix = options.quantized ? '_quantized.onnx' : '.onnx';
  const files: Download[] = [
    ...REQUIRED_FILES.map((file) => ({ file, optional: false })),
    { file: 'special_tokens_map.json', optional: true },
    { file: `onnx/text_model${suffix}`, optional: false },
    { file: `onnx/vision_model${suffix}`, optional: false },
  ];
  const partial = `${target}.partial`;
  await rm(partial, { recursive: true, force: true });
  const bar = new SingleBar({
    format: `${model} [{bar}] {percentage}% {value}/{total} bytes`,
    stream: out,
    noTTYOutput: false,
  });
  bar.start(0, 0);
  const fetched: string[] = [];
  try {
    for (const { file, optional } of files) {
      const url = `${endpoint}/${model}/resolve/main/${file}`;
      const result = await download(url, join(partial, file), bar);
      if (result === 'absent' && !optional) throw new Error(`${url}: not found (HTTP 404)`);
      if (result === 'done') fetched.push(file);
    }
    bar.stop();
    for (const file of fetched) {
      await mkdir(dirname(join(target, file)), { recursive: true });
      await rename(join(partial, file), join(target, file));
    }
    await rm(partial, { recursive: true, force: true });
  } catch (error) {
    bar.stop();
    await rm(partial, { recursive: true, force: true });
    say(
      `Cannot pull ${model}: ${errorMessage(error)}. Check the network (or HF_ENDPOINT), or ` +
        'fetch the files by hand as models/README.md describes.',
    );
    return 1;
  }
  say(`${model} is ready in ${target}; set tagging.model: ${target} and tagging.enabled: true`);
  return 0;
}

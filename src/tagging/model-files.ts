import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '../lib/errors.js';

/** How the vision tower wants its input, from `preprocessor_config.json`. */
export interface ImageSpec {
  /** Side of the square input, in pixels. */
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Multiplier from 0..255 to the model's scale (usually 1/255). */
  rescale: number;
}

/** A model directory that has every file photosortd needs. */
export interface ModelFiles {
  dir: string;
  /** Name plus a digest of the files, so caches never mix two models' embeddings. */
  id: string;
  /**
   * The vision tower's transformers.js dtype: `q8` loads `onnx/vision_model_quantized.onnx`
   * (faster on a CPU), `fp32` the plain one. It decides the image embeddings, so it is part of
   * {@link id}.
   */
  dtype: 'fp32' | 'q8';
  /** The text tower's dtype, chosen the same way on its own files. */
  textDtype: 'fp32' | 'q8';
  image: ImageSpec;
}

/** Files a model directory must hold (the transformers.js layout). */
export const REQUIRED_FILES = [
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

const TOWERS = ['onnx/text_model', 'onnx/vision_model'];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Checks a model directory and reads what the image path needs. Returns a reason a person can
 * act on instead of throwing, because a missing model only turns tagging off.
 */
export async function inspectModelDir(
  dir: string,
): Promise<{ ok: true; files: ModelFiles } | { ok: false; reason: string }> {
  const missing: string[] = [];
  for (const file of REQUIRED_FILES) {
    if (!(await exists(join(dir, file)))) missing.push(file);
  }
  // Each tower takes its quantized file when the folder has one (transformers.js layout).
  const dtypes: ('fp32' | 'q8')[] = [];
  for (const tower of TOWERS) {
    const quantized = await exists(join(dir, `${tower}_quantized.onnx`));
    if (!quantized && !(await exists(join(dir, `${tower}.onnx`)))) missing.push(`${tower}.onnx`);
    dtypes.push(quantized ? 'q8' : 'fp32');
  }
  const [textDtype, dtype] = dtypes as ['fp32' | 'q8', 'fp32' | 'q8'];
  if (missing.length === REQUIRED_FILES.length + TOWERS.length) {
    return {
      ok: false,
      reason:
        `no model at ${dir} (tagging.model); run \`photosortd models pull\` or see ` +
        'models/README.md to fetch one',
    };
  }
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `the model at ${dir} is incomplete: missing ${missing.join(', ')}; fetch it again (see models/README.md)`,
    };
  }

  let image: ImageSpec;
  try {
    image = parseImageSpec(
      JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')),
    );
  } catch (error) {
    return {
      ok: false,
      reason: `${join(dir, 'preprocessor_config.json')} is not usable: ${errorMessage(error)}`,
    };
  }

  const digest = createHash('sha256');
  for (const file of REQUIRED_FILES) digest.update(await readFile(join(dir, file)));
  for (const [i, tower] of TOWERS.entries()) {
    const file = tower + (dtypes[i] === 'q8' ? '_quantized.onnx' : '.onnx');
    const s = await stat(join(dir, file));
    digest.update(`${file}:${s.size}:${s.mtimeMs}`);
  }
  const id = `${basename(dir)}@${dtype}:${digest.digest('hex').slice(0, 16)}`;
  return { ok: true, files: { dir, id, dtype, textDtype, image } };
}

/**
 * A digest of what decides an image embedding: the vision tower's bytes and the model and
 * preprocessing configs. Unlike {@link ModelFiles.id} (which takes the tower's size and
 * mtime, to start fast) it is the same on every machine holding a copy of the same files,
 * so a cluster can check that a worker runs the daemon's model. Reads the tower once.
 */
export async function modelFingerprint(files: ModelFiles): Promise<string> {
  const digest = createHash('sha256');
  for (const file of ['config.json', 'preprocessor_config.json']) {
    digest.update(await readFile(join(files.dir, file)));
  }
  const tower = join(
    files.dir,
    `onnx/vision_model${files.dtype === 'q8' ? '_quantized' : ''}.onnx`,
  );
  for await (const chunk of createReadStream(tower)) digest.update(chunk as Buffer);
  return `${basename(files.dir)}@${files.dtype}:${digest.digest('hex').slice(0, 32)}`;
}

function triple(value: unknown, key: string): [number, number, number] {
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    return [value[0], value[1], value[2]];
  }
  throw new Error(`${key} must be three numbers`);
}

/** Reads the input size and normalisation a CLIP image processor would apply. */
function parseImageSpec(config: Record<string, unknown>): ImageSpec {
  const crop = config.crop_size;
  const size =
    typeof crop === 'number'
      ? crop
      : crop && typeof crop === 'object' && 'height' in crop && typeof crop.height === 'number'
        ? crop.height
        : null;
  if (size === null || !Number.isInteger(size) || size < 1) {
    throw new Error('crop_size must give the model input size');
  }
  return {
    size,
    mean: triple(config.image_mean, 'image_mean'),
    std: triple(config.image_std, 'image_std'),
    rescale: typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255,
  };
}

#!/usr/bin/env node
/**
 * Writes CLIP-format model directories (the transformers.js layout photosortd loads) without
 * any download:
 *
 * - `colour` (default): a tiny model whose weights make tagging meaningful. The vision tower
 *   averages the normalised pixels (mean colour in [-1, 1]^3); the text tower maps each colour
 *   word to the corner of that cube it names, so a red image scores highest against "red".
 *   Its tokenizer is a real BPE tokenizer.json whose merges are derived by running BPE itself.
 * - `vit-b32`: the vision tower of ViT-B/32 (224×224, 32×32 patches, 12 layers of width 768,
 *   projection 512) with random weights, for benchmarks: run time depends on shapes, not
 *   values. The 12 layers share one set of weights to keep the file small; each layer still
 *   does all of its work.
 *
 * With `--quantized`, the directory also gets `onnx/vision_model_quantized.onnx`: the vision
 * tower with every MatMul on a weight turned into int8 (as onnxruntime's dynamic quantization
 * does: DynamicQuantizeLinear on the activations, MatMulInteger, and a rescale), which
 * photosortd loads instead of the float32 file when it is there.
 *
 * Usage: node scripts/make-test-model.js DIR [colour|vit-b32] [--quantized]
 */
import { Buffer } from 'node:buffer';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The subset of onnx.proto (field numbers from the ONNX spec) these graphs need. */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
  repeated float floats = 7; repeated int64 ints = 8; int32 type = 20;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  repeated AttributeProto attribute = 5; string domain = 7;
}
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; string name = 8; bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { int64 dim_value = 1; string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  Tensor tensor_type = 1;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1; string producer_name = 2; GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
`;

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 };

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** The colour words and the corner of the normalised RGB cube each one names. */
export const COLOURS = {
  red: [1, -1, -1],
  green: [-1, 1, -1],
  blue: [-1, -1, 1],
  yellow: [1, 1, -1],
  cyan: [-1, 1, 1],
  magenta: [1, -1, 1],
  white: [1, 1, 1],
  black: [-1, -1, -1],
};

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
const EOW = '</w>';
/** Words whose text embedding is zero: the prompt's filler carries no colour. */
const FILLER = ['a', 'an', 'photo', 'picture', 'of', 'the'];

function tensor(name, dims, values, dataType = FLOAT) {
  const raw =
    dataType === INT64
      ? Buffer.from(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
      : Buffer.from(Float32Array.from(values).buffer);
  return { name, dims, data_type: dataType, raw_data: raw };
}

/**
 * The graph with each `MatMul(x, W)` on a float initializer `W` computed in int8: `W` is
 * quantized once (symmetric, one scale), `x` at run time by DynamicQuantizeLinear, their
 * product by MatMulInteger, and the int32 result scaled back to float.
 */
function quantizeMatMuls(graph) {
  const weights = new Map(graph.initializer.map((t) => [t.name, t]));
  const initializer = [...graph.initializer];
  const quantized = new Set();
  const nodes = [];
  for (const n of graph.node) {
    const weight = n.op_type === 'MatMul' ? weights.get(n.input[1]) : undefined;
    if (!weight || weight.data_type !== FLOAT) {
      nodes.push(n);
      continue;
    }
    const [x, w] = n.input;
    const out = n.output[0];
    if (!quantized.has(w)) {
      quantized.add(w);
      initializer.push(...quantizedWeight(weight));
    }
    nodes.push(
      node('DynamicQuantizeLinear', [x], [`${out}_xq`, `${out}_xscale`, `${out}_xzero`]),
      node('MatMulInteger', [`${out}_xq`, `${w}_q`, `${out}_xzero`, `${w}_zero`], [`${out}_int`]),
      node('Cast', [`${out}_int`], [`${out}_float`], { to: FLOAT }),
      node('Mul', [`${out}_xscale`, `${w}_scale`], [`${out}_scale`]),
      node('Mul', [`${out}_float`, `${out}_scale`], [out]),
    );
  }
  // The float weights now unused would only make the file bigger.
  const used = new Set(nodes.flatMap((n) => n.input));
  return { ...graph, node: nodes, initializer: initializer.filter((t) => used.has(t.name)) };
}

/** A float weight as int8 codes, a zero point of 0 and one scale (symmetric). */
function quantizedWeight(weight) {
  const bytes = weight.raw_data;
  const values = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  );
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const scale = max > 0 ? max / 127 : 1;
  const codes = Int8Array.from(values, (v) => Math.round(v / scale));
  const w = weight.name;
  return [
    { name: `${w}_q`, dims: weight.dims, data_type: INT8, raw_data: Buffer.from(codes.buffer) },
    {
      name: `${w}_zero`,
      dims: [],
      data_type: INT8,
      raw_data: Buffer.from(new Int8Array(1).buffer),
    },
    tensor(`${w}_scale`, [], [scale]),
  ];
}

function valueInfo(name, elemType, dims) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })),
        },
      },
    },
  };
}

function node(op_type, input, output, attributes = {}) {
  const attribute = Object.entries(attributes).map(([name, value]) => {
    if (Array.isArray(value)) return { name, ints: value, type: ATTR.INTS };
    if (Number.isInteger(value)) return { name, i: value, type: ATTR.INT };
    return { name, f: value, type: ATTR.FLOAT };
  });
  return { op_type, input, output, name: `${op_type}_${output[0]}`, attribute };
}

function encodeModel(graph) {
  const message = ModelProto.fromObject({
    ir_version: 8,
    producer_name: 'photosortd make-test-model',
    opset_import: [{ domain: '', version: 17 }],
    graph,
  });
  return Buffer.from(ModelProto.encode(message).finish());
}

/** BPE merge ranks that turn each word into one token, found by running BPE as it is learnt. */
function learnMerges(words) {
  const merges = [];
  const rank = new Map();
  const apply = (symbols) => {
    const s = [...symbols];
    while (s.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < s.length - 1; i++) {
        const r = rank.get(`${s[i]} ${s[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      s.splice(best, 2, s[best] + s[best + 1]);
    }
    return s;
  };
  for (const word of words) {
    const chars = [...word];
    chars[chars.length - 1] += EOW;
    let symbols = apply(chars);
    while (symbols.length > 1) {
      const pair = `${symbols[0]} ${symbols[1]}`;
      rank.set(pair, merges.length);
      merges.push(pair);
      symbols = apply(chars);
    }
  }
  return merges;
}

function buildTokenizer(words) {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  const vocab = {};
  const add = (token) => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const c of letters) add(c);
  for (const c of letters) add(c + EOW);
  const merges = learnMerges(words);
  for (const merge of merges) add(merge.replace(' ', ''));
  add(BOS);
  add(EOS);
  const special = (content) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS), special(EOS)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
      ],
      special_tokens: {
        [BOS]: { id: BOS, ids: [vocab[BOS]], tokens: [BOS] },
        [EOS]: { id: EOS, ids: [vocab[EOS]], tokens: [EOS] },
      },
    },
    decoder: { type: 'BPEDecoder', suffix: EOW },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: EOW,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'CLIPTokenizer',
    bos_token: BOS,
    eos_token: EOS,
    pad_token: EOS,
    unk_token: EOS,
    model_max_length: 77,
    do_lower_case: true,
    clean_up_tokenization_spaces: true,
  };
  return { tokenizer, tokenizerConfig, vocab };
}

function clipConfig({ hidden, projection, imageSize, patchSize, layers, vocabSize }) {
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: projection,
    logit_scale_init_value: 2.6592,
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: vocabSize,
      hidden_size: hidden,
      projection_dim: projection,
      max_position_embeddings: 77,
      bos_token_id: 0,
      eos_token_id: 0,
      pad_token_id: 0,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: hidden,
      image_size: imageSize,
      patch_size: patchSize,
      num_hidden_layers: layers,
      projection_dim: projection,
    },
  };
}

function preprocessorConfig(size) {
  return {
    crop_size: { height: size, width: size },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_processor_type: 'CLIPImageProcessor',
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: size },
  };
}

async function writeModelDir(dir, files) {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2) + '\n';
    await writeFile(join(dir, name), data);
  }
}

/** Writes the colour model into `dir` and returns the dir. */
export async function makeColourModel(dir, { imageSize = 32, quantized = false } = {}) {
  const dim = 4;
  const words = [...Object.keys(COLOURS), ...FILLER];
  const { tokenizer, tokenizerConfig, vocab } = buildTokenizer(words);
  const vocabSize = Object.keys(vocab).length;

  // Tokens that are not a colour word or filler point along a fourth axis that no image
  // reaches, so an unknown label scores 0 instead of being undefined.
  const embedding = new Array(vocabSize * dim).fill(0);
  for (const [token, id] of Object.entries(vocab)) {
    const word = token.endsWith(EOW) ? token.slice(0, -EOW.length) : null;
    const colour = word ? COLOURS[word] : undefined;
    const row = id * dim;
    if (colour) colour.forEach((v, i) => (embedding[row + i] = v));
    else if (!(word && FILLER.includes(word)) && token !== BOS && token !== EOS) {
      embedding[row + 3] = 1;
    }
  }
  const text = encodeModel({
    name: 'colour_text',
    node: [
      node('Gather', ['token_embedding', 'input_ids'], ['token_vectors']),
      node('ReduceMean', ['token_vectors'], ['text_embeds'], { axes: [1], keepdims: 0 }),
    ],
    initializer: [tensor('token_embedding', [vocabSize, dim], embedding)],
    input: [valueInfo('input_ids', INT64, ['batch_size', 'sequence_length'])],
    output: [valueInfo('text_embeds', FLOAT, ['batch_size', dim])],
  });

  const projection = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];
  const visionGraph = {
    name: 'colour_vision',
    node: [
      node('GlobalAveragePool', ['pixel_values'], ['pooled']),
      node('Flatten', ['pooled'], ['mean_colour'], { axis: 1 }),
      node('MatMul', ['mean_colour', 'visual_projection'], ['image_embeds']),
    ],
    initializer: [tensor('visual_projection', [3, dim], projection)],
    input: [valueInfo('pixel_values', FLOAT, ['batch_size', 3, imageSize, imageSize])],
    output: [valueInfo('image_embeds', FLOAT, ['batch_size', dim])],
  };

  await writeModelDir(dir, {
    'config.json': clipConfig({
      hidden: dim,
      projection: dim,
      imageSize,
      patchSize: imageSize,
      layers: 0,
      vocabSize,
    }),
    'preprocessor_config.json': preprocessorConfig(imageSize),
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'special_tokens_map.json': { bos_token: BOS, eos_token: EOS, pad_token: EOS, unk_token: EOS },
    'onnx/text_model.onnx': text,
    'onnx/vision_model.onnx': encodeModel(visionGraph),
    ...(quantized
      ? { 'onnx/vision_model_quantized.onnx': encodeModel(quantizeMatMuls(visionGraph)) }
      : {}),
  });
  return dir;
}

/** A seeded generator so benchmark models are the same from run to run. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function randomTensor(name, dims, next, scale = 0.02) {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = next() * scale;
  return { name, dims, data_type: FLOAT, raw_data: Buffer.from(values.buffer) };
}

function constTensor(name, dims, values) {
  return tensor(name, dims, values, INT64);
}

/**
 * Writes a ViT-B/32-shaped CLIP vision tower (random weights) plus the colour model's text
 * tower and tokenizer, so the directory loads like any other.
 */
export async function makeVitB32Model(dir, { quantized = false } = {}) {
  const size = 224;
  const patch = 32;
  const width = 768;
  const heads = 12;
  const headDim = width / heads;
  const layers = 12;
  const mlp = 3072;
  const projectionDim = 512;
  const tokens = (size / patch) ** 2 + 1;
  const next = random(42);

  const init = [
    randomTensor('patch_weight', [width, 3, patch, patch], next),
    randomTensor('class_embedding', [1, 1, width], next),
    randomTensor('position_embedding', [1, tokens, width], next),
    randomTensor('ln_pre_scale', [width], next, 1),
    randomTensor('ln_pre_bias', [width], next),
    randomTensor('ln1_scale', [width], next, 1),
    randomTensor('ln1_bias', [width], next),
    randomTensor('qkv_weight', [width, 3 * width], next),
    randomTensor('qkv_bias', [3 * width], next),
    randomTensor('out_weight', [width, width], next),
    randomTensor('out_bias', [width], next),
    randomTensor('ln2_scale', [width], next, 1),
    randomTensor('ln2_bias', [width], next),
    randomTensor('fc1_weight', [width, mlp], next),
    randomTensor('fc1_bias', [mlp], next),
    randomTensor('fc2_weight', [mlp, width], next),
    randomTensor('fc2_bias', [width], next),
    randomTensor('ln_post_scale', [width], next, 1),
    randomTensor('ln_post_bias', [width], next),
    randomTensor('visual_projection', [width, projectionDim], next),
    constTensor('patch_shape', [3], [0, width, -1]),
    constTensor('heads_shape', [4], [0, 0, heads, headDim]),
    constTensor('merge_shape', [3], [0, 0, width]),
    constTensor('zero', [1], [0]),
    constTensor('batch_axis', [1], [0]),
    constTensor('class_shape_tail', [2], [1, width]),
    tensor('attn_scale', [], [1 / Math.sqrt(headDim)]),
    tensor('gelu_alpha', [], [1.702]),
  ];
  const nodes = [
    node('Conv', ['pixel_values', 'patch_weight'], ['patches'], {
      kernel_shape: [patch, patch],
      strides: [patch, patch],
    }),
    node('Reshape', ['patches', 'patch_shape'], ['patches_flat']),
    node('Transpose', ['patches_flat'], ['patch_tokens'], { perm: [0, 2, 1] }),
    node('Shape', ['pixel_values'], ['input_shape']),
    node('Gather', ['input_shape', 'batch_axis'], ['batch']),
    node('Concat', ['batch', 'class_shape_tail'], ['class_shape'], { axis: 0 }),
    node('Expand', ['class_embedding', 'class_shape'], ['class_tokens']),
    node('Concat', ['class_tokens', 'patch_tokens'], ['sequence'], { axis: 1 }),
    node('Add', ['sequence', 'position_embedding'], ['embedded']),
    node('LayerNormalization', ['embedded', 'ln_pre_scale', 'ln_pre_bias'], ['h0'], {
      axis: -1,
      epsilon: 1e-5,
    }),
  ];
  for (let l = 0; l < layers; l++) {
    const x = `h${l}`;
    const p = (s) => `l${l}_${s}`;
    nodes.push(
      node('LayerNormalization', [x, 'ln1_scale', 'ln1_bias'], [p('ln1')], {
        axis: -1,
        epsilon: 1e-5,
      }),
      node('MatMul', [p('ln1'), 'qkv_weight'], [p('qkv_mm')]),
      node('Add', [p('qkv_mm'), 'qkv_bias'], [p('qkv')]),
      node('Split', [p('qkv')], [p('q'), p('k'), p('v')], { axis: -1 }),
    );
    for (const t of ['q', 'k', 'v']) {
      nodes.push(
        node('Reshape', [p(t), 'heads_shape'], [p(`${t}_heads`)]),
        node('Transpose', [p(`${t}_heads`)], [p(`${t}_t`)], {
          perm: t === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3],
        }),
      );
    }
    nodes.push(
      node('MatMul', [p('q_t'), p('k_t')], [p('scores_raw')]),
      node('Mul', [p('scores_raw'), 'attn_scale'], [p('scores')]),
      node('Softmax', [p('scores')], [p('attn')], { axis: -1 }),
      node('MatMul', [p('attn'), p('v_t')], [p('context_heads')]),
      node('Transpose', [p('context_heads')], [p('context_t')], { perm: [0, 2, 1, 3] }),
      node('Reshape', [p('context_t'), 'merge_shape'], [p('context')]),
      node('MatMul', [p('context'), 'out_weight'], [p('attn_mm')]),
      node('Add', [p('attn_mm'), 'out_bias'], [p('attn_out')]),
      node('Add', [x, p('attn_out')], [p('res1')]),
      node('LayerNormalization', [p('res1'), 'ln2_scale', 'ln2_bias'], [p('ln2')], {
        axis: -1,
        epsilon: 1e-5,
      }),
      node('MatMul', [p('ln2'), 'fc1_weight'], [p('fc1_mm')]),
      node('Add', [p('fc1_mm'), 'fc1_bias'], [p('fc1')]),
      // CLIP's quick_gelu: x * sigmoid(1.702 x).
      node('Mul', [p('fc1'), 'gelu_alpha'], [p('gelu_in')]),
      node('Sigmoid', [p('gelu_in')], [p('gelu_gate')]),
      node('Mul', [p('fc1'), p('gelu_gate')], [p('gelu')]),
      node('MatMul', [p('gelu'), 'fc2_weight'], [p('fc2_mm')]),
      node('Add', [p('fc2_mm'), 'fc2_bias'], [p('mlp_out')]),
      node('Add', [p('res1'), p('mlp_out')], [`h${l + 1}`]),
    );
  }
  nodes.push(
    node('Gather', [`h${layers}`, 'zero'], ['class_out'], { axis: 1 }),
    node('Squeeze', ['class_out', 'batch_axis_one'], ['pooled']),
    node('LayerNormalization', ['pooled', 'ln_post_scale', 'ln_post_bias'], ['pooled_norm'], {
      axis: -1,
      epsilon: 1e-5,
    }),
    node('MatMul', ['pooled_norm', 'visual_projection'], ['image_embeds']),
  );
  init.push(constTensor('batch_axis_one', [1], [1]));
  const visionGraph = {
    name: 'vit_b32_vision',
    node: nodes,
    initializer: init,
    input: [valueInfo('pixel_values', FLOAT, ['batch_size', 3, size, size])],
    output: [valueInfo('image_embeds', FLOAT, ['batch_size', projectionDim])],
  };

  await makeColourModel(dir, { imageSize: size });
  await writeModelDir(dir, {
    'config.json': clipConfig({
      hidden: width,
      projection: projectionDim,
      imageSize: size,
      patchSize: patch,
      layers,
      vocabSize: 0,
    }),
    'preprocessor_config.json': {
      ...preprocessorConfig(size),
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
    },
    'onnx/vision_model.onnx': encodeModel(visionGraph),
    ...(quantized
      ? { 'onnx/vision_model_quantized.onnx': encodeModel(quantizeMatMuls(visionGraph)) }
      : {}),
  });
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const quantized = args.includes('--quantized');
  const [dir, kind = 'colour'] = args.filter((arg) => arg !== '--quantized');
  if (!dir || !['colour', 'vit-b32'].includes(kind)) {
    console.error('usage: node scripts/make-test-model.js DIR [colour|vit-b32] [--quantized]');
    process.exit(2);
  }
  const make = kind === 'colour' ? makeColourModel : makeVitB32Model;
  const made = await make(dir, { quantized });
  console.log(`wrote ${kind} model to ${made}`);
}

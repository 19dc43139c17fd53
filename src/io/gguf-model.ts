/**
 * Our decoder models <-> GGUF files as llama.cpp reads them (general.architecture "gpt2" or
 * "llama"): tensor names, hyper-parameter keys, the tokenizer (gguf-tokenizer.ts) and
 * the weight types chosen as llama.cpp's convert_hf_to_gguf.py does:
 * - 1-D tensors (norms, biases) and GPT-2's position table stay F32;
 * - other matrices take the file type (F32, F16, BF16 or Q8_0); a Q8_0 matrix whose rows
 *   are not a multiple of 32 falls back to F16, as the convert script does.
 * Matrices are stored (out, in) row-major, i.e. GGUF dims [in, out]. llama.cpp rotates
 * RoPE pairs (2i, 2i+1) (llama2.c's layout), so a Hugging Face Llama (half-split RoPE)
 * has its q/k rows permuted on export (the convert script's `permute`); an imported Llama
 * is built with `ropeInterleaved: true` and needs no permutation.
 *
 * @example
 * const content = modelToGguf(model, tokenizer, 'q8_0');  // GgufContent for writeGguf
 * const { config, state } = modelFromGguf(readGguf('m.gguf'));
 */
import type { StateEntry } from '../nn/module.ts';
import { gpt2Config, llamaConfig, type DecoderConfig } from '../models/index.ts';
import type { AnyModel } from '../models/registry.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { metaNumber, metaString, type GgufContent, type GgufFile, type GgufValue } from './gguf.ts';
import { ropeScalingFromGguf, ropeScalingToGguf } from './gguf-rope.ts';
import { tokenizerToGguf } from './gguf-tokenizer.ts';
import { decodeWeights, encodeWeights, Q8_0_BLOCK, type WeightType } from './quant.ts';

/** The file types of `llmts export gguf --type` (llama.cpp's ftype names, lower case). */
export type GgufFileType = 'f32' | 'f16' | 'bf16' | 'q8_0';
export const GGUF_FILE_TYPES: readonly GgufFileType[] = ['f32', 'f16', 'bf16', 'q8_0'];

/** Matrix type and `general.file_type` id (LlamaFileType) of each file type. */
const FILE_TYPES: Record<GgufFileType, { weight: WeightType; id: number }> = {
  f32: { weight: 'F32', id: 0 }, f16: { weight: 'F16', id: 1 }, q8_0: { weight: 'Q8_0', id: 7 }, bf16: { weight: 'BF16', id: 32 },
};

/** One tensor: our name, llama.cpp's name, and (q/k of a half-split RoPE) the heads to permute by. */
interface TensorName {
  ours: string;
  gguf: string;
  permuteHeads?: number;
}

/** Every tensor of a model of config `c`, in llama.cpp's order. */
function tensorNames(c: DecoderConfig): TensorName[] {
  const out: TensorName[] = [];
  const add = (ours: string, gguf: string, permuteHeads?: number) => out.push({ ours, gguf, permuteHeads });
  const wb = (ours: string, gguf: string, bias: boolean, permuteHeads?: number) => {
    add(`${ours}.weight`, `${gguf}.weight`, permuteHeads);
    if (bias) add(`${ours}.bias`, `${gguf}.bias`, permuteHeads);
  };
  if (c.arch === 'gpt2') {
    add('transformer.wte.weight', 'token_embd.weight');
    add('transformer.wpe.weight', 'position_embd.weight');
    for (let i = 0; i < c.nLayer; i++) {
      const p = `transformer.h.${i}`, q = `blk.${i}`;
      wb(`${p}.ln_1`, `${q}.attn_norm`, true);
      wb(`${p}.attn.c_attn`, `${q}.attn_qkv`, true);
      wb(`${p}.attn.c_proj`, `${q}.attn_output`, true);
      wb(`${p}.ln_2`, `${q}.ffn_norm`, true);
      wb(`${p}.mlp.c_fc`, `${q}.ffn_up`, true);
      wb(`${p}.mlp.c_proj`, `${q}.ffn_down`, true);
    }
    wb('transformer.ln_f', 'output_norm', true);
  } else {
    add('model.embed_tokens.weight', 'token_embd.weight');
    const perm = (heads: number) => (c.ropeInterleaved ? undefined : heads);
    for (let i = 0; i < c.nLayer; i++) {
      const p = `model.layers.${i}`, q = `blk.${i}`;
      add(`${p}.input_layernorm.weight`, `${q}.attn_norm.weight`);
      wb(`${p}.self_attn.q_proj`, `${q}.attn_q`, c.bias, perm(c.nHead));
      wb(`${p}.self_attn.k_proj`, `${q}.attn_k`, c.bias, perm(c.nKvHead));
      wb(`${p}.self_attn.v_proj`, `${q}.attn_v`, c.bias);
      wb(`${p}.self_attn.o_proj`, `${q}.attn_output`, c.bias);
      add(`${p}.post_attention_layernorm.weight`, `${q}.ffn_norm.weight`);
      wb(`${p}.mlp.gate_proj`, `${q}.ffn_gate`, c.bias);
      wb(`${p}.mlp.up_proj`, `${q}.ffn_up`, c.bias);
      wb(`${p}.mlp.down_proj`, `${q}.ffn_down`, c.bias);
    }
    add('model.norm.weight', 'output_norm.weight');
  }
  if (!c.tieEmbeddings) add('lm_head.weight', 'output.weight');
  return out;
}

/**
 * Rows of a q/k projection (rows x cols, rows = heads * hs) from the half-split RoPE layout
 * (HF) to pairs (2i, 2i+1): new row h*hs + 2j + half = old row h*hs + half*hs/2 + j.
 */
export function permuteToInterleaved(data: Float32Array, heads: number, rows: number, cols: number): Float32Array {
  const hs = rows / heads;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < hs / 2; j++) {
      for (let half = 0; half < 2; half++) {
        const from = (h * hs + half * (hs / 2) + j) * cols;
        out.set(data.subarray(from, from + cols), (h * hs + 2 * j + half) * cols);
      }
    }
  }
  return out;
}

/** The weight type of one tensor, as the convert script picks it. */
function tensorType(name: string, shape: readonly number[], fileType: GgufFileType): WeightType {
  if (shape.length <= 1 || !name.endsWith('.weight') || name === 'position_embd.weight') return 'F32';
  const want = FILE_TYPES[fileType].weight;
  if (want === 'Q8_0' && shape[shape.length - 1]! % Q8_0_BLOCK !== 0) return 'F16';
  return want;
}

function exportError(message: string, hint: string): LlmtsError {
  return new LlmtsError('E_GGUF_EXPORT', message, { where: '--model', hint });
}

/** The hyper-parameter keys of `c` (general.* first, then `${arch}.*`). */
function hparams(c: DecoderConfig, fileType: GgufFileType, name: string): Map<string, GgufValue> {
  const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
  const f32 = (value: number): GgufValue => ({ type: 'float32', value });
  const a = c.arch;
  const meta = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: a }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(FILE_TYPES[fileType].id)],
    ['general.quantization_version', u32(2)],
    [`${a}.vocab_size`, u32(c.vocabSize)],
    [`${a}.context_length`, u32(c.blockSize)],
    [`${a}.embedding_length`, u32(c.nEmbd)],
    [`${a}.feed_forward_length`, u32(c.intermediateSize)],
    [`${a}.block_count`, u32(c.nLayer)],
    [`${a}.attention.head_count`, u32(c.nHead)],
    [`${a}.attention.head_count_kv`, u32(c.nKvHead)],
  ]);
  if (a === 'gpt2') {
    meta.set('gpt2.attention.layer_norm_epsilon', f32(c.normEps));
  } else {
    meta.set('llama.attention.layer_norm_rms_epsilon', f32(c.normEps));
    meta.set('llama.rope.freq_base', f32(c.ropeTheta));
    meta.set('llama.rope.dimension_count', u32(c.nEmbd / c.nHead));
    for (const [k, v] of ropeScalingToGguf(c)) meta.set(k, v); // RoPE scaling (gguf-rope.ts)
  }
  return meta;
}

/**
 * A model and its tokenizer -> the content of a GGUF file llama.cpp loads (see the module
 * comment). `name` goes to general.name.
 */
export function modelToGguf(model: AnyModel, tokenizer: AnyTokenizer, fileType: GgufFileType, name = 'llmts'): GgufContent {
  const cfg: { arch: string } = model.config;
  if (cfg.arch !== 'gpt2' && cfg.arch !== 'llama') throw exportError(`architecture ${cfg.arch} has no llama.cpp mapping here`, 'export a gpt2 or llama model');
  const c = model.config as DecoderConfig;
  if (c.arch === 'gpt2' && (!c.bias || c.nKvHead !== c.nHead)) {
    throw exportError('llama.cpp\'s gpt2 architecture needs biases and nKvHead = nHead', 'export a GPT-2 model with bias: true and full multi-head attention');
  }
  const state = model.stateDict();
  const tensors: GgufContent['tensors'] = [];
  for (const t of tensorNames(c)) {
    const p = state.get(t.ours);
    if (!p) throw exportError(`the model has no tensor ${t.ours}`, 'export a model built by llm.ts from its config');
    const shape = p.shape;
    let data = p.data;
    if (t.permuteHeads !== undefined) data = permuteToInterleaved(data, t.permuteHeads, shape[0]!, shape.length > 1 ? shape[1]! : 1);
    const type = tensorType(t.gguf, shape, fileType);
    tensors.push({ name: t.gguf, dims: [...shape].reverse(), type, data: encodeWeights(type, data) });
  }
  const metadata = hparams(c, fileType, name);
  for (const [k, v] of tokenizerToGguf(tokenizer, c.vocabSize)) metadata.set(k, v);
  return { metadata, tensors };
}

function importError(g: GgufFile, field: string, message: string, hint = 'llm.ts loads GGUF files of architecture gpt2 or llama (as written by llmts export gguf or llama.cpp\'s convert script)'): LlmtsError {
  return new LlmtsError('E_GGUF', `${g.file}: ${field}: ${message}`, { where: `${g.file}: ${field}`, hint });
}

/**
 * The DecoderConfig a GGUF file describes; E_GGUF naming the key when one is missing or
 * unsupported (shape rules that fail throw E_CONFIG; `modelFromGguf` turns them into E_GGUF).
 */
export function configFromGguf(g: GgufFile): DecoderConfig {
  const arch = metaString(g, 'general.architecture');
  if (arch !== 'gpt2' && arch !== 'llama') throw importError(g, 'general.architecture', `"${arch}" is not supported`);
  const num = (key: string, fallback?: number) => metaNumber(g, `${arch}.${key}`, fallback);
  const emb = g.tensors.find((t) => t.name === 'token_embd.weight');
  if (!emb || emb.dims.length !== 2) throw importError(g, 'token_embd.weight', 'is missing or not a matrix');
  const nEmbd = num('embedding_length'), nHead = num('attention.head_count');
  if (!(nHead > 0 && nEmbd % nHead === 0)) throw importError(g, `${arch}.attention.head_count`, `${nHead} heads do not divide embedding_length ${nEmbd}`);
  const base = {
    vocabSize: emb.dims[1]!, blockSize: num('context_length'), nLayer: num('block_count'), nHead, nEmbd,
    nKvHead: num('attention.head_count_kv', nHead), intermediateSize: num('feed_forward_length'),
    tieEmbeddings: !g.tensors.some((t) => t.name === 'output.weight'), dropout: 0,
  };
  if (arch === 'gpt2') return gpt2Config({ ...base, bias: true, normEps: num('attention.layer_norm_epsilon') });
  const rotary = num('rope.dimension_count', nEmbd / nHead);
  if (rotary !== nEmbd / nHead) throw importError(g, 'llama.rope.dimension_count', `${rotary} rotary dims of ${nEmbd / nHead} (partial RoPE) is not supported`);
  if (g.tensors.some((t) => t.name === 'rope_freqs.weight')) throw importError(g, 'rope_freqs.weight', 'RoPE frequency factors (Llama 3.1 scaling) are not supported');
  return llamaConfig({
    ...base, bias: g.tensors.some((t) => t.name === 'blk.0.attn_q.bias'), normEps: num('attention.layer_norm_rms_epsilon'),
    ropeTheta: num('rope.freq_base', 10000), ropeInterleaved: true, ...ropeScalingFromGguf(g, base.blockSize),
  });
}

/**
 * A parsed GGUF file -> our config and weights (float32, dequantised from F16/BF16/Q8_0),
 * checking that every tensor is present with the shape the hyper-parameters imply and
 * that none is left over.
 */
export function modelFromGguf(g: GgufFile): { config: DecoderConfig; state: Map<string, StateEntry> } {
  let config: DecoderConfig;
  try {
    config = configFromGguf(g);
  } catch (err) {
    if (err instanceof LlmtsError && err.code === 'E_CONFIG') throw importError(g, 'hyper-parameters', err.message);
    throw err;
  }
  const byName = new Map(g.tensors.map((t) => [t.name, t]));
  const state = new Map<string, StateEntry>();
  const c = config;
  const shapes = expectedShapes(c);
  for (const n of tensorNames(c)) {
    const t = byName.get(n.gguf);
    if (!t) throw importError(g, n.gguf, 'tensor is missing');
    byName.delete(n.gguf);
    const shape = shapes(n.ours);
    const dims = [...shape].reverse();
    if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
      throw importError(g, n.gguf, `dims [${t.dims.join(', ')}] but the hyper-parameters imply [${dims.join(', ')}]`);
    }
    state.set(n.ours, { shape, data: decodeWeights(t.type, t.data, shape.reduce((a, b) => a * b, 1)) });
  }
  const extra = [...byName.keys()];
  if (extra.length > 0) throw importError(g, extra[0]!, `unexpected tensor (${extra.length} left over)`);
  return { config, state };
}

/** Our parameter name -> its shape for config `c`. */
function expectedShapes(c: DecoderConfig): (name: string) => number[] {
  const C = c.nEmbd, H = c.intermediateSize, V = c.vocabSize, kv = c.nKvHead * (c.nEmbd / c.nHead);
  const table: [RegExp, number[]][] = [
    [/(wte|embed_tokens|lm_head)\.weight$/, [V, C]],
    [/wpe\.weight$/, [c.blockSize, C]],
    [/c_attn\.weight$/, [3 * C, C]], [/c_attn\.bias$/, [3 * C]],
    [/c_fc\.weight$/, [H, C]], [/c_fc\.bias$/, [H]],
    [/mlp\.c_proj\.weight$/, [C, H]],
    [/(q_proj|o_proj|attn\.c_proj)\.weight$/, [C, C]],
    [/(k_proj|v_proj)\.weight$/, [kv, C]], [/(k_proj|v_proj)\.bias$/, [kv]],
    [/(gate_proj|up_proj)\.weight$/, [H, C]], [/(gate_proj|up_proj)\.bias$/, [H]],
    [/down_proj\.weight$/, [C, H]],
    [/\.(weight|bias)$/, [C]], // norms, q/o/c_proj biases
  ];
  return (name) => [...table.find(([re]) => re.test(name))![1]];
}

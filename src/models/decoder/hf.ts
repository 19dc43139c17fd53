/**
 * Hugging Face `transformers` layout of a decoder checkpoint, both ways:
 * - config.json: `toHfConfig` writes the fields `GPT2Config` / `LlamaConfig` read (plus
 *   `model_type` and `architectures`), `fromHfConfig` reads them back into a
 *   `DecoderConfig`, naming the field when something is not supported;
 * - model.safetensors: our parameters are `torch.nn.Linear`-shaped (out, in); GPT-2's
 *   `Conv1D` layers (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj) store the transpose
 *   (in, out). `toHfTensors` / `fromHfTensors` transpose those four and map names
 *   (HF GPT-2 files saved from `GPT2Model` lack the `transformer.` prefix; its causal-mask
 *   buffers `attn.bias` / `attn.masked_bias` are dropped).
 *
 * So a checkpoint directory written by `llmts train` loads in Python with
 * `AutoModelForCausalLM.from_pretrained(dir)`, and a directory written by
 * `save_pretrained` (safetensors, float32/float16/bfloat16) loads here.
 * RoPE scaling (linear, dynamic, yarn) goes both ways through hf-rope.ts.
 * Llama with interleaved RoPE pairs (llama2.c / Meta layout) has no HF config: HF expects
 * q/k rows permuted to its half-split layout, so `toHfConfig` returns null for it.
 *
 * @example
 * const hf = toHfConfig(model.config);            // { model_type: 'gpt2', n_embd: 128, ... }
 * const cfg = fromHfConfig(JSON.parse(text), 'ckpt/config.json');
 * decoderHf.modelTypes; // ['gpt2', 'llama']: the registry's HF entry for this family
 */
import type { StateEntry } from '../../nn/module.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { HfMapping, Json } from '../model.ts';
import { DECODER_SCHEMA, validateConfig, type DecoderConfig } from './config.ts';
import { ropeFromHf, ropeToHf } from './hf-rope.ts';

/** The HF config.json fields for `c`, or null when HF cannot express the model. */
export function toHfConfig(c: DecoderConfig): Json | null {
  if (c.arch === 'gpt2') {
    if (!c.bias || c.nKvHead !== c.nHead) return null; // HF GPT-2 always has biases and full MHA
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2',
      vocab_size: c.vocabSize, n_positions: c.blockSize, n_ctx: c.blockSize, n_embd: c.nEmbd, n_layer: c.nLayer, n_head: c.nHead,
      n_inner: c.intermediateSize, activation_function: 'gelu_new', layer_norm_epsilon: c.normEps,
      resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: 0, tie_word_embeddings: c.tieEmbeddings,
      scale_attn_weights: true, torch_dtype: 'float32',
    };
  }
  if (c.ropeInterleaved) return null;
  const rope = ropeToHf(c);
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama',
    vocab_size: c.vocabSize, hidden_size: c.nEmbd, intermediate_size: c.intermediateSize, num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead, num_key_value_heads: c.nKvHead, head_dim: c.nEmbd / c.nHead,
    max_position_embeddings: rope.max_position_embeddings, rms_norm_eps: c.normEps, rope_theta: c.ropeTheta, rope_scaling: rope.rope_scaling,
    hidden_act: 'silu', attention_bias: c.bias, mlp_bias: c.bias, tie_word_embeddings: c.tieEmbeddings,
    attention_dropout: 0, torch_dtype: 'float32',
  };
}

/** Our config field each HF field becomes (its bounds apply to the HF value, named by its HF name). */
const HF_FIELDS: Record<string, keyof DecoderConfig> = {
  vocab_size: 'vocabSize', n_positions: 'blockSize', n_embd: 'nEmbd', n_layer: 'nLayer', n_head: 'nHead', n_inner: 'intermediateSize',
  layer_norm_epsilon: 'normEps', max_position_embeddings: 'blockSize', hidden_size: 'nEmbd', num_hidden_layers: 'nLayer',
  num_attention_heads: 'nHead', num_key_value_heads: 'nKvHead', intermediate_size: 'intermediateSize', rms_norm_eps: 'normEps',
  rope_theta: 'ropeTheta', n_ctx: 'blockSize', tie_word_embeddings: 'tieEmbeddings', attention_bias: 'bias', mlp_bias: 'bias',
  resid_pdrop: 'dropout', embd_pdrop: 'dropout', head_dim: 'nHead',
};

/**
 * Reads an HF config.json object (model_type gpt2 or llama) into a DecoderConfig. Every
 * size is checked against DECODER_SCHEMA's bounds under its HF name before anything is
 * built; errors name `path` and the field.
 */
export function fromHfConfig(json: Json, path: string): DecoderConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} is ${JSON.stringify(json[key])}, expected a number`, { where: `${path}: ${key}` });
    }
    const spec = HF_FIELDS[key] ? DECODER_SCHEMA[HF_FIELDS[key]] : undefined;
    if (spec && (((spec.kind === 'int') && !Number.isInteger(v)) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${v} is not plausible (expected ${spec.kind === 'int' ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max ?? 'inf'}])`, {
        where: `${path}: ${key}`, hint: 'the config.json is corrupt or not for this model; use the one saved with the weights' });
    }
    return v;
  };
  const unsupported = (key: string, want: string): never => {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(json[key])} is not supported`, { where: `${path}: ${key}`, hint: `llm.ts runs ${want}` });
  };
  const type = json.model_type;
  if (type === 'gpt2') {
    const act = json.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') unsupported('activation_function', 'GPT-2 with the tanh GELU (gelu_new)');
    const C = num('n_embd');
    return validateConfig({
      arch: 'gpt2', vocabSize: num('vocab_size'), blockSize: num('n_positions'), nLayer: num('n_layer'), nHead: num('n_head'),
      nKvHead: num('n_head'), nEmbd: C, intermediateSize: json.n_inner === undefined || json.n_inner === null ? 4 * C : num('n_inner'), bias: true,
      tieEmbeddings: json.tie_word_embeddings !== false, normEps: num('layer_norm_epsilon', 1e-5), ropeTheta: 10000,
      ropeInterleaved: false, dropout: 0,
    }, path);
  }
  if (type === 'llama') {
    if ((json.hidden_act ?? 'silu') !== 'silu') unsupported('hidden_act', 'Llama with SiLU (SwiGLU)');
    // rope_scaling (transformers 4) or rope_parameters (transformers >= 5): base, context, scaling
    num('max_position_embeddings');
    const rope = ropeFromHf(json, path);
    const bias = json.attention_bias === true;
    if ((json.mlp_bias === true) !== bias) unsupported('mlp_bias', 'Llama with attention_bias equal to mlp_bias');
    const C = num('hidden_size'), nh = num('num_attention_heads');
    if (json.head_dim !== undefined && json.head_dim !== null && json.head_dim !== C / nh) unsupported('head_dim', 'Llama with head_dim = hidden_size / num_attention_heads');
    return validateConfig({
      arch: 'llama', vocabSize: num('vocab_size'), blockSize: rope.blockSize, nLayer: num('num_hidden_layers'),
      nHead: nh, nKvHead: num('num_key_value_heads', nh), nEmbd: C, intermediateSize: num('intermediate_size'), bias,
      tieEmbeddings: json.tie_word_embeddings === true, normEps: num('rms_norm_eps', 1e-6), ropeTheta: rope.theta,
      ropeInterleaved: false, dropout: 0, ...rope.fields,
    }, path);
  }
  throw new LlmtsError('E_CHECKPOINT', `${path}: model_type ${JSON.stringify(type)} is not supported`, { where: `${path}: model_type`, hint: 'llm.ts loads "gpt2" and "llama" checkpoints' });
}

const CONV1D = /\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/** (rows, cols) row-major -> its transpose (cols, rows). */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Our named parameters -> the tensors HF's model class saves (GPT-2 Conv1D weights transposed). */
export function toHfTensors(c: DecoderConfig, params: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  const out = new Map<string, StateEntry>();
  for (const [name, t] of params) {
    if (c.arch === 'gpt2' && CONV1D.test(name)) {
      const [rows, cols] = t.shape as [number, number];
      out.set(name, { shape: [cols, rows], data: transpose(t.data, rows, cols) }); // (out, in) -> (in, out)
    } else {
      out.set(name, t);
    }
  }
  return out;
}

/** Where an HF tensor goes: our name and whether HF stores it transposed; null for the buffers we drop. */
function ourName(c: DecoderConfig, raw: string): { name: string; transposed: boolean } | null {
  if (c.arch !== 'gpt2') return { name: raw, transposed: false };
  if (/\.attn\.(bias|masked_bias)$/.test(raw)) return null; // causal-mask buffers, not weights
  const name = !raw.startsWith('transformer.') && raw !== 'lm_head.weight' ? `transformer.${raw}` : raw;
  return { name, transposed: CONV1D.test(name) };
}

/**
 * HF tensor shapes (a safetensors header) -> our names and shapes, reading no data: what
 * loaders check against the config before anything is allocated.
 */
export function fromHfShapes(c: DecoderConfig, shapes: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [raw, shape] of shapes) {
    const m = ourName(c, raw);
    if (!m) continue;
    out.set(m.name, m.transposed && shape.length === 2 ? [shape[1]!, shape[0]!] : [...shape]); // (in, out) -> (out, in)
  }
  if (c.tieEmbeddings) out.delete('lm_head.weight');
  return out;
}

/** HF tensors (as `save_pretrained` writes them) -> our parameter names and layout. */
export function fromHfTensors(c: DecoderConfig, tensors: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  const out = new Map<string, StateEntry>();
  for (const [raw, t] of tensors) {
    const m = ourName(c, raw);
    if (!m) continue;
    if (m.transposed && t.shape.length === 2) {
      const [rows, cols] = t.shape as [number, number];
      out.set(m.name, { shape: [cols, rows], data: transpose(t.data, rows, cols) }); // (in, out) -> (out, in)
    } else {
      out.set(m.name, t);
    }
  }
  // tied heads: HF may or may not store lm_head.weight; ours has none when tied
  if (c.tieEmbeddings) out.delete('lm_head.weight');
  return out;
}

/** The decoder family's HF mapping (what the registry uses). */
export const decoderHf: HfMapping<DecoderConfig> = {
  modelTypes: ['gpt2', 'llama'],
  fieldNames: HF_FIELDS,
  toConfig: toHfConfig,
  fromConfig: fromHfConfig,
  toTensors: toHfTensors,
  fromTensors: fromHfTensors,
  fromShapes: fromHfShapes,
};

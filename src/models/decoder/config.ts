/**
 * Configuration of the decoder-only Transformer: one shape, two families.
 * - GPT-2: learned positions, LayerNorm, GELU MLP, biases, tied embeddings.
 * - Llama: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, no biases.
 * Tensor names follow Hugging Face's for the family (see decoder.ts).
 *
 * @example
 * const cfg = gpt2Config({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 */
import { ROPE_SCALING_TYPES, checkRopeScaling, type RopeScalingType, type RopeSettings } from '../../nn/rope-scaling.ts';
import { LlmtsError } from '../../util/errors.ts';
import { parseConfigFields, type ConfigSchema } from '../model.ts';

export type DecoderArch = 'gpt2' | 'llama';

/** The architectures of this family. */
export const DECODER_ARCHS: readonly DecoderArch[] = ['gpt2', 'llama'];

export interface DecoderConfig {
  arch: DecoderArch;
  vocabSize: number;
  /** Longest sequence (learned position table size; KV cache default capacity). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads (GQA); equals nHead for multi-head attention. */
  nKvHead: number;
  nEmbd: number;
  /** Hidden width of the MLP (GPT-2: 4 * nEmbd). */
  intermediateSize: number;
  /** Linear layers carry biases (GPT-2 yes, Llama no). */
  bias: boolean;
  /** lm_head shares the token embedding matrix. */
  tieEmbeddings: boolean;
  normEps: number;
  /** RoPE base (Llama only). */
  ropeTheta: number;
  /** RoPE pairs (2i, 2i+1) as in Meta / llama2.c, else halves as in Hugging Face. */
  ropeInterleaved: boolean;
  /** RoPE context extension (Llama; HF rope_scaling.rope_type); absent: none. See src/nn/rope-scaling.ts. */
  ropeScaling?: RopeScalingType;
  /** Its factor (>= 1; required with ropeScaling). */
  ropeFactor?: number;
  /** The context the model was pretrained at (HF original_max_position_embeddings); default blockSize / ropeFactor. */
  ropeOriginalContext?: number;
  /** YaRN: factor on cos and sin (HF attention_factor); default 0.1 ln(ropeFactor) + 1. */
  ropeAttnFactor?: number;
  /** YaRN beta_fast (default 32) and beta_slow (default 1). */
  ropeBetaFast?: number;
  ropeBetaSlow?: number;
  /** Dropout probability on embeddings, attention output and MLP output (train mode only). */
  dropout: number;
}

type DecoderConfigInput = Pick<DecoderConfig, 'vocabSize' | 'blockSize' | 'nLayer' | 'nHead' | 'nEmbd'> & Partial<DecoderConfig>;

/** GPT-2 family config; unspecified fields get GPT-2's values. */
export function gpt2Config(c: DecoderConfigInput): DecoderConfig {
  return validateConfig(gpt2Defaults(c));
}

/** Llama family config; unspecified fields get Llama's values (SwiGLU width as in llama2.c). */
export function llamaConfig(c: DecoderConfigInput): DecoderConfig {
  return validateConfig(llamaDefaults(c));
}

function gpt2Defaults(c: DecoderConfigInput): DecoderConfig {
  return {
    arch: 'gpt2', nKvHead: c.nHead, intermediateSize: 4 * c.nEmbd, bias: true, tieEmbeddings: true,
    normEps: 1e-5, ropeTheta: 10000, ropeInterleaved: false, dropout: 0, ...c,
  };
}

function llamaDefaults(c: DecoderConfigInput): DecoderConfig {
  const hidden = 256 * Math.ceil(Math.floor((2 * 4 * c.nEmbd) / 3) / 256);
  const out: DecoderConfig = {
    arch: 'llama', nKvHead: c.nHead, intermediateSize: hidden, bias: false, tieEmbeddings: false,
    normEps: 1e-5, ropeTheta: 10000, ropeInterleaved: false, dropout: 0, ...c,
  };
  if (out.ropeScaling && out.ropeFactor !== undefined && out.ropeOriginalContext === undefined) {
    out.ropeOriginalContext = Math.max(1, Math.round(out.blockSize / out.ropeFactor));
  }
  return out;
}

/** The RoPE settings of a Llama config (base, layout, scaling), or null for GPT-2. */
export function ropeSettingsOf(c: DecoderConfig): RopeSettings | null {
  if (c.arch !== 'llama') return null;
  const scaling = c.ropeScaling ? {
    type: c.ropeScaling, factor: c.ropeFactor ?? 1, originalContext: c.ropeOriginalContext ?? c.blockSize,
    ...(c.ropeAttnFactor !== undefined ? { attnFactor: c.ropeAttnFactor } : {}),
    ...(c.ropeBetaFast !== undefined ? { betaFast: c.ropeBetaFast } : {}),
    ...(c.ropeBetaSlow !== undefined ? { betaSlow: c.ropeBetaSlow } : {}),
  } : null;
  return { theta: c.ropeTheta, interleaved: c.ropeInterleaved, scaling };
}

/**
 * Every field of a DecoderConfig: kind, meaning and sane bounds (the upper bounds keep a
 * corrupt or hostile config.json from allocating terabytes before anything else is checked).
 */
export const DECODER_SCHEMA: ConfigSchema = {
  arch: { kind: DECODER_ARCHS, doc: 'model family: gpt2 (learned positions, LayerNorm, GELU) or llama (RoPE, RMSNorm, SwiGLU)', required: true },
  vocabSize: { kind: 'int', min: 1, max: 1 << 22, doc: 'token ids (embedding rows)', required: true },
  blockSize: { kind: 'int', min: 1, max: 1 << 20, doc: 'context length (tokens per training window)', required: true },
  nLayer: { kind: 'int', min: 1, max: 1024, doc: 'Transformer blocks', required: true },
  nHead: { kind: 'int', min: 1, max: 1024, doc: 'attention heads', required: true },
  nKvHead: { kind: 'int', min: 1, max: 1024, doc: 'key/value heads (grouped-query attention; default nHead)' },
  nEmbd: { kind: 'int', min: 1, max: 1 << 16, doc: 'embedding width', required: true },
  intermediateSize: { kind: 'int', min: 1, max: 1 << 18, doc: 'MLP hidden width (default: GPT-2 4 * nEmbd, Llama as llama2.c)' },
  bias: { kind: 'boolean', doc: 'biases in the linear layers (GPT-2 yes, Llama no)' },
  tieEmbeddings: { kind: 'boolean', doc: 'lm_head shares the token embedding (GPT-2 yes, Llama no)' },
  normEps: { kind: 'number', min: 0, max: 1, doc: 'epsilon of the norms' },
  ropeTheta: { kind: 'number', min: 1, doc: 'RoPE base (Llama)' },
  ropeInterleaved: { kind: 'boolean', doc: 'RoPE pairs (2i, 2i+1) as Meta / llama2.c, else halves as Hugging Face' },
  ropeScaling: { kind: ROPE_SCALING_TYPES, doc: 'RoPE context extension (Llama): linear, dynamic (NTK) or yarn; absent for none' },
  ropeFactor: { kind: 'number', min: 1, max: 1 << 20, doc: 'RoPE scaling factor (>= 1)' },
  ropeOriginalContext: { kind: 'int', min: 1, max: 1 << 20, doc: 'context the model was pretrained at (default blockSize / ropeFactor)' },
  ropeAttnFactor: { kind: 'number', min: 0, max: 100, doc: 'YaRN attention factor on cos/sin (default 0.1 ln(ropeFactor) + 1)' },
  ropeBetaFast: { kind: 'number', min: 0, max: 1 << 20, doc: 'YaRN beta_fast (default 32)' },
  ropeBetaSlow: { kind: 'number', min: 0, max: 1 << 20, doc: 'YaRN beta_slow (default 1)' },
  dropout: { kind: 'number', min: 0, max: 0.999, doc: 'dropout probability in [0, 1) (train mode)' },
};

/**
 * A plain object (config file, checkpoint, command line) -> a checked DecoderConfig: kinds
 * and bounds per field, the arch's defaults for absent fields (as `gpt2Config` /
 * `llamaConfig`), then the shape rules. Errors are `E_CONFIG` naming `${where}.${field}`.
 */
export function parseDecoderConfig(raw: unknown, where = 'model'): DecoderConfig {
  const f = parseConfigFields(raw, DECODER_SCHEMA, where) as unknown as DecoderConfigInput & Pick<DecoderConfig, 'arch'>;
  return validateConfig(f.arch === 'gpt2' ? gpt2Defaults(f) : llamaDefaults(f), where);
}

/**
 * Checks every field against DECODER_SCHEMA (kinds, bounds, no unknown keys) and the shape
 * rules; throws an `E_CONFIG` LlmtsError naming `${where}.${field}`.
 */
export function validateConfig(c: DecoderConfig, where = 'config'): DecoderConfig {
  parseConfigFields(c, DECODER_SCHEMA, where);
  if (c.nEmbd % c.nHead !== 0) {
    throw new LlmtsError('E_CONFIG', `${where}: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`, {
      where: `${where}.nEmbd`, hint: 'choose nEmbd = nHead * head size' });
  }
  if (c.nHead % c.nKvHead !== 0) {
    throw new LlmtsError('E_CONFIG', `${where}: nHead ${c.nHead} is not a multiple of nKvHead ${c.nKvHead}`, {
      where: `${where}.nKvHead`, hint: 'grouped-query attention needs nHead % nKvHead == 0' });
  }
  if (c.arch === 'llama' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new LlmtsError('E_CONFIG', `${where}: RoPE needs an even head size, got ${c.nEmbd / c.nHead}`, { where: `${where}.nHead`, hint: 'choose nEmbd / nHead even' });
  }
  checkScalingFields(c, where);
  return c;
}

/** The RoPE scaling fields: only on Llama, only with ropeScaling, a factor given, YaRN's only with yarn. */
function checkScalingFields(c: DecoderConfig, where: string): void {
  const fields = ['ropeFactor', 'ropeOriginalContext', 'ropeAttnFactor', 'ropeBetaFast', 'ropeBetaSlow'] as const;
  const fail = (field: string, msg: string, hint: string): never => {
    throw new LlmtsError('E_CONFIG', `${where}.${field} ${msg}`, { where: `${where}.${field}`, hint });
  };
  if (!c.ropeScaling) {
    for (const f of fields) if (c[f] !== undefined) fail(f, 'is set without ropeScaling', 'set ropeScaling (linear, dynamic or yarn) or drop the field');
    return;
  }
  if (c.arch !== 'llama') fail('ropeScaling', `is set on a ${c.arch} model`, 'RoPE scaling applies to Llama models (GPT-2 has learned positions)');
  if (c.ropeFactor === undefined) fail('ropeFactor', 'is missing', 'ropeScaling needs ropeFactor, e.g. 4');
  if (c.ropeScaling !== 'yarn') {
    for (const f of ['ropeAttnFactor', 'ropeBetaFast', 'ropeBetaSlow'] as const) {
      if (c[f] !== undefined) fail(f, `is a YaRN field, but ropeScaling is ${c.ropeScaling}`, 'drop it, or use ropeScaling yarn');
    }
  }
  const s = ropeSettingsOf(c)!.scaling!;
  checkRopeScaling(s, where);
}

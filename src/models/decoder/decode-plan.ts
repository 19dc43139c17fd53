/**
 * `Decoder.decodePlan()`: the decoder's live weights (views, no copies) as the typed
 * per-layer plan that src/infer/decode-step.ts runs (see ../decode-plan.ts). GPT-2 blocks
 * give a fused qkv, LayerNorms, learned positions and a GELU MLP; Llama blocks give
 * separate q/k/v, RMSNorms, RoPE and SwiGLU.
 *
 * @example
 * const plan = decoderDecodePlan(model);
 * plan.layers.length === model.config.nLayer;
 */
import { Linear } from '../../nn/linear.ts';
import type { Module } from '../../nn/module.ts';
import { LayerNorm, type RMSNorm } from '../../nn/norm.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { AttentionWeights, DecodeLayer, DecodePlan, LinearWeights, MlpWeights, NormWeights } from '../decode-plan.ts';
import { ropeSettingsOf } from './config.ts';
import type { Block, Decoder } from './decoder.ts';

/** See the module comment. */
export function decoderDecodePlan(model: Decoder): DecodePlan {
  const c = model.config, trunk = model.trunk;
  const embedding = trunk.tokens.weight.data; // (V, C)
  const lmHead = model.lmHead ? model.lmHead.weight.data : embedding; // (V, C)
  return {
    vocabSize: c.vocabSize, blockSize: c.blockSize, hiddenSize: c.nEmbd, nHead: c.nHead, nKvHead: c.nKvHead,
    headSize: c.nEmbd / c.nHead, intermediateSize: c.intermediateSize,
    embedding,
    positions: trunk.positions ? trunk.positions.weight.data : null, // (blockSize, C)
    rope: ropeSettingsOf(c),
    layers: trunk.blocks.items.map(blockPlan),
    finalNorm: normPlan(trunk.normF),
    lmHead,
    lmHeadMatrix: { format: 'fp32', data: lmHead },
  };
}

function blockPlan(b: Block): DecodeLayer {
  const a = b.attn, m = b.mlp;
  let attention: AttentionWeights;
  if (a.qkv) attention = { kind: 'fused', qkv: linearPlan(a.qkv) };
  else attention = { kind: 'separate', q: linearPlan(need(a.q, 'q')), k: linearPlan(need(a.k, 'k')), v: linearPlan(need(a.v, 'v')) };
  let mlp: MlpWeights;
  if (m.kind === 'gelu') mlp = { kind: 'gelu', up: linearPlan(need(m.fc, 'fc')), down: linearPlan(m.proj) };
  else mlp = { kind: 'swiglu', gate: linearPlan(need(m.gate, 'gate')), up: linearPlan(need(m.up, 'up')), down: linearPlan(m.proj) };
  return { norm1: normPlan(b.norm1), attention, out: linearPlan(a.out), norm2: normPlan(b.norm2), mlp };
}

function linearPlan(m: Module): LinearWeights {
  if (!(m instanceof Linear)) {
    throw new LlmtsError('E_MODEL', `a projection is a ${m.constructor.name}, not a Linear: the fast decode path reads plain weights`, {
      where: 'decodePlan', hint: 'merge adapters (e.g. LoRA) into their Linear layers before generating' });
  }
  const weight = m.weight.data; // (out, in)
  return { weight, matrix: { format: 'fp32', data: weight }, bias: m.bias ? m.bias.data : null, out: m.outFeatures, in: m.inFeatures };
}

function normPlan(n: LayerNorm | RMSNorm): NormWeights {
  if (n instanceof LayerNorm) return { kind: 'layernorm', weight: n.weight.data, bias: n.bias.data, eps: n.eps };
  return { kind: 'rmsnorm', weight: n.weight.data, bias: null, eps: n.eps };
}

function need(l: Module | null, name: string): Module {
  if (!l) throw new LlmtsError('E_MODEL', `decoder block has no ${name} projection`, { where: 'decodePlan', hint: 'a block is either fused (GPT-2) or separate (Llama)' });
  return l;
}

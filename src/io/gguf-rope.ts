/**
 * RoPE scaling in GGUF metadata, as llama.cpp's convert script writes it and llama.cpp
 * reads it (gguf-py `Keys.Rope`): `llama.rope.scaling.type` ('none' | 'linear' | 'yarn'),
 * `.factor`, `.original_context_length`, and for YaRN `.yarn_beta_fast` / `.yarn_beta_slow`
 * and `.attn_factor`. llama.cpp multiplies cos and sin by attn_factor * (0.1 ln(factor) + 1),
 * where HF's attention_factor replaces that product: our ropeAttnFactor A is written as
 * attn_factor A / (0.1 ln(factor) + 1), and read back so. GGUF has no dynamic NTK type
 * (llama.cpp does not run it): exporting one is E_GGUF_EXPORT; longrope and Llama 3.1's
 * frequency factors are refused on import.
 *
 * @example
 * for (const [k, v] of ropeScalingToGguf(config)) meta.set(k, v);
 * const fields = ropeScalingFromGguf(g);   // { ropeScaling: 'yarn', ropeFactor: 4, ... } or {}
 */
import type { RopeScalingFields } from '../models/decoder/hf-rope.ts';
import type { DecoderConfig } from '../models/index.ts';
import { yarnAttnFactor } from '../nn/rope-scaling.ts';
import { LlmtsError } from '../util/errors.ts';
import { metaNumber, type GgufFile, type GgufValue } from './gguf.ts';

const P = 'llama.rope.scaling';

/** The `llama.rope.scaling.*` keys of a Llama config (none when it is unscaled). */
export function ropeScalingToGguf(c: DecoderConfig): [string, GgufValue][] {
  if (!c.ropeScaling) return [];
  if (c.ropeScaling === 'dynamic') {
    throw new LlmtsError('E_GGUF_EXPORT', 'dynamic NTK RoPE scaling has no GGUF form (llama.cpp does not run it)', {
      where: 'model.ropeScaling', hint: 'export with linear or yarn scaling (llmts ... --rope-scaling yarn:F), or without scaling' });
  }
  const f32 = (value: number): GgufValue => ({ type: 'float32', value });
  const factor = c.ropeFactor ?? 1;
  const out: [string, GgufValue][] = [
    [`${P}.type`, { type: 'string', value: c.ropeScaling }],
    [`${P}.factor`, f32(factor)],
    [`${P}.original_context_length`, { type: 'uint32', value: c.ropeOriginalContext ?? c.blockSize }],
  ];
  if (c.ropeScaling === 'yarn') {
    if (c.ropeAttnFactor !== undefined) out.push([`${P}.attn_factor`, f32(c.ropeAttnFactor / yarnAttnFactor(factor))]);
    if (c.ropeBetaFast !== undefined) out.push([`${P}.yarn_beta_fast`, f32(c.ropeBetaFast)]);
    if (c.ropeBetaSlow !== undefined) out.push([`${P}.yarn_beta_slow`, f32(c.ropeBetaSlow)]);
  }
  return out;
}

/** The scaling fields a GGUF file's `llama.rope.scaling.*` keys describe ({} for none). */
export function ropeScalingFromGguf(g: GgufFile, blockSize: number): RopeScalingFields {
  const t = g.metadata.get(`${P}.type`);
  if (!t) return {};
  const value = t.type === 'string' ? String(t.value) : '';
  if (!['none', 'linear', 'yarn'].includes(value)) {
    throw new LlmtsError('E_GGUF', `${g.file}: ${P}.type: ${JSON.stringify(t.type === 'array' ? t.values : t.value)} is not supported`, {
      where: `${g.file}: ${P}.type`, hint: 'llm.ts runs GGUF RoPE scaling none, linear and yarn' });
  }
  if (value === 'none') return {};
  const type = value as 'linear' | 'yarn';
  const factor = metaNumber(g, `${P}.factor`);
  if (!(factor >= 1)) throw new LlmtsError('E_GGUF', `${g.file}: ${P}.factor: ${factor} is not supported`, { where: `${g.file}: ${P}.factor`, hint: 'RoPE scaling factors are >= 1' });
  const fields: RopeScalingFields = {
    ropeScaling: type, ropeFactor: factor,
    ropeOriginalContext: metaNumber(g, `${P}.original_context_length`, Math.max(1, Math.round(blockSize / factor))),
  };
  if (type === 'yarn') {
    const attn = metaNumber(g, `${P}.attn_factor`, 1);
    if (attn !== 1) fields.ropeAttnFactor = attn * yarnAttnFactor(factor);
    if (g.metadata.has(`${P}.yarn_beta_fast`)) fields.ropeBetaFast = metaNumber(g, `${P}.yarn_beta_fast`);
    if (g.metadata.has(`${P}.yarn_beta_slow`)) fields.ropeBetaSlow = metaNumber(g, `${P}.yarn_beta_slow`);
  }
  return fields;
}

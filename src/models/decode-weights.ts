/**
 * Quantised decoding: the decode step (src/infer/decode-step.ts) multiplies a model's
 * projection matrices and lm_head in bf16 or Q8_0 instead of fp32, reading 2x / 3.8x fewer
 * bytes per token (decoding is bound by reading the weights).
 *
 * `setDecodeWeights(model, 'q8_0')` packs a copy of every projection matrix (q/k/v or
 * fused qkv, attention output, MLP, lm_head) once, and `decodePlanOf(model)` (what
 * `DecodeStep` reads) returns the model's plan with those copies in its `DecodeMatrix`
 * entries. Per matrix: Q8_0 needs rows (K) that are whole blocks of 32, so a matrix with
 * K % 32 != 0 stays fp32 (exact: a GGUF file keeps such a matrix in F16, which widens to
 * fp32 without loss). Embeddings, norms and biases stay fp32.
 *
 * Memory / speed trade-off: the fp32 parameters stay too, because prefill (`forward`,
 * `hiddenStates`: many tokens at once, GEMM-bound, where fp32 GEMM is fast) and training or
 * evaluation read them. A Q8_0 model holds 1.27x the bytes of its fp32 weights (bf16:
 * 1.5x), e.g. 438 + 117 MB for the 110M shape, while each decoded token reads only the
 * 117 MB. Dropping the fp32 copy would save that memory but make prefill either token by
 * token through the decode step (matrix-vector speed for every prompt token) or dequantise
 * per layer on every call.
 *
 * The copies are a snapshot: after changing the weights (training, `loadStateDict`,
 * merging an adapter), call `setDecodeWeights` again.
 *
 * @example
 * setDecodeWeights(model, 'q8_0');       // packs once (a GGUF Q8_0 load does this itself)
 * const step = new DecodeStep(model);    // decodes with gemvQ8_0
 */
import { backend } from '../backend/index.ts';
import { q8_0Bytes, Q8_0_BLOCK } from '../backend/lowp-format.ts';
import { LlmtsError } from '../util/errors.ts';
import type { DecodeMatrix, DecodePlan, DecodeWeightFormat, LinearWeights } from './decode-plan.ts';

/** The formats `setDecodeWeights` takes (also `--quantize` and GGUF loads). */
export const DECODE_WEIGHT_FORMATS: readonly DecodeWeightFormat[] = ['fp32', 'bf16', 'q8_0'];

/** What a model decodes with: anything with a decode plan. */
interface HasDecodePlan {
  decodePlan(): DecodePlan;
}

/** The packed plan of each model given to `setDecodeWeights` with bf16 or q8_0. */
const packed = new WeakMap<HasDecodePlan, { format: DecodeWeightFormat; plan: DecodePlan }>();

/** Checks a user-given format (a flag or option named `field`). */
export function parseDecodeWeightFormat(value: string, field = 'quantize'): DecodeWeightFormat {
  if ((DECODE_WEIGHT_FORMATS as readonly string[]).includes(value)) return value as DecodeWeightFormat;
  throw new LlmtsError('E_QUANT', `${field} must be one of ${DECODE_WEIGHT_FORMATS.join(', ')}, got '${value}'`, {
    where: field, hint: 'q8_0 (int8 blocks, llama.cpp\'s Q8_0), bf16, or fp32 (exact)',
  });
}

/** One matrix (out, in) in `format`; a Q8_0 matrix whose rows are not whole blocks stays fp32. */
export function packMatrix(w: Float32Array, out: number, inFeatures: number, format: DecodeWeightFormat): DecodeMatrix {
  const n = out * inFeatures, be = backend();
  if (format === 'bf16') {
    const data = new Uint16Array(n);
    be.toBf16(n, w, data);
    return { format, data };
  }
  if (format === 'q8_0' && inFeatures % Q8_0_BLOCK === 0) {
    const data = new Uint8Array(q8_0Bytes(n));
    be.quantizeQ8_0(n, w, data);
    return { format, data };
  }
  return { format: 'fp32', data: w };
}

function packLinear(l: LinearWeights, format: DecodeWeightFormat): LinearWeights {
  return { ...l, matrix: packMatrix(l.weight, l.out, l.in, format) };
}

/**
 * `plan` with bf16 / Q8_0 copies of its projection matrices and lm_head in the
 * `DecodeMatrix` entries (see the module comment); 'fp32' gives `plan` itself.
 */
export function packDecodePlan(plan: DecodePlan, format: DecodeWeightFormat): DecodePlan {
  if (format === 'fp32') return plan;
  const lin = (l: LinearWeights) => packLinear(l, format);
  return {
    ...plan,
    layers: plan.layers.map((layer) => ({
      ...layer,
      attention: layer.attention.kind === 'fused'
        ? { kind: 'fused', qkv: lin(layer.attention.qkv) }
        : { kind: 'separate', q: lin(layer.attention.q), k: lin(layer.attention.k), v: lin(layer.attention.v) },
      out: lin(layer.out),
      mlp: layer.mlp.kind === 'gelu'
        ? { kind: 'gelu', up: lin(layer.mlp.up), down: lin(layer.mlp.down) }
        : { kind: 'swiglu', gate: lin(layer.mlp.gate), up: lin(layer.mlp.up), down: lin(layer.mlp.down) },
    })),
    lmHeadMatrix: packMatrix(plan.lmHead, plan.vocabSize, plan.hiddenSize, format),
  };
}

/**
 * Makes the decode step multiply `model`'s matrices in `format` from now on: packs them
 * once ('fp32' drops the copies). A snapshot of the current weights: call it again after
 * changing them.
 */
export function setDecodeWeights(model: HasDecodePlan, format: DecodeWeightFormat): void {
  if (format === 'fp32') packed.delete(model);
  else packed.set(model, { format, plan: packDecodePlan(model.decodePlan(), format) });
}

/** The format `setDecodeWeights` gave `model` ('fp32' when never set). */
export function decodeWeightsOf(model: HasDecodePlan): DecodeWeightFormat {
  return packed.get(model)?.format ?? 'fp32';
}

/** The plan the decode step runs: the packed one from `setDecodeWeights`, else `model.decodePlan()`. */
export function decodePlanOf(model: HasDecodePlan): DecodePlan {
  return packed.get(model)?.plan ?? model.decodePlan();
}

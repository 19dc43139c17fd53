/**
 * RoPE frequencies, with the context-extension scalings Hugging Face configures
 * (`rope_scaling` / `rope_parameters` of LlamaConfig): the one place where a rotary
 * layer's inverse frequencies inv_freq (hs/2) and its attention factor come from.
 *
 * - none:    inv_freq[i] = theta^(-2i/hs) (the kernel computes it itself, in double);
 * - linear:  inv_freq / factor (position interpolation: positions squeezed `factor` times);
 * - dynamic: NTK-aware base growth with the sequence length: for seqLen > originalContext,
 *            theta' = theta * (factor * seqLen / originalContext - (factor - 1))^(hs / (hs - 2));
 *            at or below originalContext it is the plain table (HF's `dynamic_rope_update`);
 * - yarn:    per frequency, a blend of interpolated (inv_freq / factor) and extrapolated
 *            (inv_freq) over a linear ramp between the dims that turn beta_fast and beta_slow
 *            times over originalContext (ramp ends floored / ceiled as HF's `truncate`);
 *            cos and sin are multiplied by the attention factor 0.1 ln(factor) + 1 (or the
 *            configured one), so q.k logits grow by its square.
 * Formulas as transformers 5's `ROPE_INIT_FUNCTIONS` (modeling_rope_utils.py), computed in
 * double and rounded to float32 once (HF computes them in float32): checked against tables
 * made by those functions in test/nn/rope-scaling.test.ts (test/fixtures/rope-scaling/).
 *
 * @example
 * const f = new RopeFrequencies({ theta: 10000, interleaved: false, scaling: { type: 'yarn', factor: 4, originalContext: 256 } }, 32);
 * const { invFreq, attnFactor } = f.at(1024); // Float32Array(16), 1.1386...
 * backend().rope(B, H, T, 32, 0, 10000, false, false, x, invFreq, attnFactor);
 */
import { LlmtsError } from '../util/errors.ts';

/** The scalings of `RopeScaling.type`. */
export const ROPE_SCALING_TYPES = ['linear', 'dynamic', 'yarn'] as const;
export type RopeScalingType = (typeof ROPE_SCALING_TYPES)[number];

/** A RoPE scaling, as HF's rope_parameters describe it. */
export interface RopeScaling {
  type: RopeScalingType;
  /** Context extension factor, >= 1. */
  factor: number;
  /** The context the model was pretrained at (HF original_max_position_embeddings). */
  originalContext: number;
  /** YaRN: the factor on cos and sin; default 0.1 ln(factor) + 1. */
  attnFactor?: number;
  /** YaRN: rotations over originalContext where the ramp starts extrapolating; default 32. */
  betaFast?: number;
  /** YaRN: rotations where it is fully interpolated; default 1. */
  betaSlow?: number;
}

/** Everything a rotary layer needs: base, pair layout, scaling (null or absent for none). */
export interface RopeSettings {
  theta: number;
  interleaved: boolean;
  scaling?: RopeScaling | null;
}

/** What the `rope` kernel takes: inv_freq (hs/2; null for the unscaled theta^(-2i/hs)) and the factor on cos/sin. */
export interface RopeTable {
  invFreq: Float32Array | null;
  attnFactor: number;
}

/** YaRN's default attention factor (HF `get_mscale(factor)`). */
export function yarnAttnFactor(factor: number, mscale = 1): number {
  return factor <= 1 ? 1 : 0.1 * mscale * Math.log(factor) + 1;
}

/** The factor on cos and sin for `scaling` (1 except YaRN). */
export function ropeAttnFactor(scaling: RopeScaling | null | undefined): number {
  if (!scaling || scaling.type !== 'yarn') return 1;
  return scaling.attnFactor ?? yarnAttnFactor(scaling.factor);
}

/**
 * inv_freq (hs/2, float64) of a rotary layer of head size hs at sequence length seqLen
 * (only `dynamic` reads seqLen). See the module comment for each scaling.
 */
export function ropeInvFreq(theta: number, hs: number, scaling: RopeScaling | null | undefined, seqLen = 0): Float64Array {
  const half = hs >> 1;
  const base = (th: number): Float64Array => Float64Array.from({ length: half }, (_, i) => 1 / Math.pow(th, (2 * i) / hs));
  if (!scaling) return base(theta);
  const { factor, originalContext } = scaling;
  switch (scaling.type) {
    case 'linear':
      return base(theta).map((f) => f / factor);
    case 'dynamic': {
      const len = Math.max(seqLen, originalContext);
      return base(theta * Math.pow(factor * len / originalContext - (factor - 1), hs / (hs - 2)));
    }
    case 'yarn': {
      const fast = scaling.betaFast ?? 32, slow = scaling.betaSlow ?? 1;
      // the dim that turns `rot` times over originalContext, floored / ceiled (HF's truncate = true)
      const dimOf = (rot: number): number => (hs * Math.log(originalContext / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
      const low = Math.max(Math.floor(dimOf(fast)), 0);
      let high = Math.min(Math.ceil(dimOf(slow)), hs - 1);
      if (low === high) high += 0.001; // HF: prevents a division by zero
      const extra = base(theta);
      return extra.map((f, i) => {
        const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1); // 0: extrapolate, 1: interpolate
        return (f / factor) * ramp + f * (1 - ramp);
      });
    }
  }
}

/**
 * A rotary layer's frequency tables, made once (per sequence length for `dynamic`, whose
 * last table is kept): what attention and the decode step hand to the `rope` kernel.
 */
export class RopeFrequencies {
  readonly settings: RopeSettings;
  readonly headSize: number;
  private readonly fixed: RopeTable | null = null;
  private lastLen = -1;
  private last: RopeTable = { invFreq: null, attnFactor: 1 };

  constructor(settings: RopeSettings, headSize: number) {
    this.settings = settings;
    this.headSize = headSize;
    const s = settings.scaling;
    if (s) checkRopeScaling(s, 'rope scaling');
    if (!s) this.fixed = { invFreq: null, attnFactor: 1 };
    else if (s.type !== 'dynamic') this.fixed = { invFreq: Float32Array.from(ropeInvFreq(settings.theta, headSize, s)), attnFactor: ropeAttnFactor(s) };
  }

  /** The table for positions [0, seqLen): inv_freq (null: unscaled) and the factor on cos/sin. */
  at(seqLen: number): RopeTable {
    if (this.fixed) return this.fixed;
    const s = this.settings.scaling!;
    const len = Math.max(seqLen, s.originalContext);
    if (len !== this.lastLen) {
      this.last = { invFreq: Float32Array.from(ropeInvFreq(this.settings.theta, this.headSize, s, len)), attnFactor: 1 };
      this.lastLen = len;
    }
    return this.last;
  }
}

/** Checks a scaling's numbers; throws E_CONFIG naming `where`. */
export function checkRopeScaling(s: RopeScaling, where: string): void {
  const bad = (field: string, want: string): never => {
    throw new LlmtsError('E_CONFIG', `${where}: ${field} = ${JSON.stringify((s as unknown as Record<string, unknown>)[field])} is out of range (${want})`, {
      where: `${where}.${field}`, hint: 'e.g. { type: "yarn", factor: 4, originalContext: 256 }' });
  };
  if (!ROPE_SCALING_TYPES.includes(s.type)) bad('type', `one of ${ROPE_SCALING_TYPES.join(', ')}`);
  if (!(Number.isFinite(s.factor) && s.factor >= 1)) bad('factor', 'a number >= 1');
  if (!(Number.isInteger(s.originalContext) && s.originalContext >= 1)) bad('originalContext', 'a positive integer');
  if (s.attnFactor !== undefined && !(Number.isFinite(s.attnFactor) && s.attnFactor > 0)) bad('attnFactor', 'a number > 0');
  if (s.betaFast !== undefined && !(Number.isFinite(s.betaFast) && s.betaFast > 0)) bad('betaFast', 'a number > 0');
  if (s.betaSlow !== undefined && !(Number.isFinite(s.betaSlow) && s.betaSlow > 0)) bad('betaSlow', 'a number > 0');
}

/**
 * The Transformer's feed-forward block, two variants with Hugging Face names:
 * - 'gelu' (GPT-2):   c_proj(gelu(c_fc(x)))  (gelu + c_proj run as one op, `geluLinear`, that
 *                      recomputes gelu(c_fc(x)) in backward instead of keeping it)
 * - 'swiglu' (Llama): down_proj(silu(gate_proj(x)) * up_proj(x))
 *
 * @example
 * const mlp = new MLP(128, 512, { kind: 'gelu', rng });
 * mlp.forward(x); // (B, T, 128) -> (B, T, 128)
 */
import { gelu, geluLinear, swiglu, type Tensor } from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';

export interface MLPOptions {
  kind: 'gelu' | 'swiglu';
  /** Biases on the linear layers (default: true for gelu, false for swiglu). */
  bias?: boolean;
  /** Init std of the input projections (default 0.02). */
  std?: number;
  /** Init std of the output projection (GPT-2 scales it by 1/sqrt(2 * nLayer)). */
  outStd?: number;
  rng?: Rng;
}

export class MLP extends Module {
  readonly kind: 'gelu' | 'swiglu';
  readonly fc: Linear | null = null;
  readonly gate: Linear | null = null;
  readonly up: Linear | null = null;
  readonly proj: Linear;

  constructor(dim: number, hidden: number, opts: MLPOptions) {
    super();
    this.kind = opts.kind;
    const rng = opts.rng ?? new Rng(1337);
    const std = opts.std ?? 0.02, outStd = opts.outStd ?? std;
    if (opts.kind === 'gelu') {
      const bias = opts.bias ?? true;
      this.fc = this.addModule('c_fc', new Linear(dim, hidden, { bias, std, rng }));
      this.proj = this.addModule('c_proj', new Linear(hidden, dim, { bias, std: outStd, rng }));
    } else {
      const bias = opts.bias ?? false;
      this.gate = this.addModule('gate_proj', new Linear(dim, hidden, { bias, std, rng }));
      this.up = this.addModule('up_proj', new Linear(dim, hidden, { bias, std, rng }));
      this.proj = this.addModule('down_proj', new Linear(hidden, dim, { bias, std: outStd, rng }));
    }
  }

  /** x (..., C) -> (..., C). */
  forward(x: Tensor): Tensor {
    if (this.fc) {
      // c_proj(gelu(h)) fused: gelu(h) is not kept for backward but recomputed there from h,
      // which GELU's backward needs anyway (one (..., hidden) activation less per layer)
      const h = this.fc.forward(x); // (..., hidden)
      // a wrapped c_proj (a LoRA adapter, src/nn/lora.ts) runs its own forward
      if (!(this.proj instanceof Linear)) return (this.proj as { forward(t: Tensor): Tensor }).forward(gelu(h)); // (..., C)
      return geluLinear(h, this.proj.weight, this.proj.bias); // (..., C)
    }
    const h = swiglu(this.gate!.forward(x), this.up!.forward(x)); // (..., hidden)
    return this.proj.forward(h); // (..., C)
  }
}

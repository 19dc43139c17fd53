/**
 * `Linear`: y = x W^T + b with W (out, in) as torch.nn.Linear and Hugging Face store it.
 * Weights ~ N(0, std^2) (GPT-2 / Llama style, default std 0.02), bias zeros.
 *
 * @example
 * const fc = new Linear(128, 512, { rng });
 * fc.forward(x); // (B, T, 128) -> (B, T, 512)
 */
import { linear, type Tensor } from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { Module } from './module.ts';
import { Parameter } from './parameter.ts';

export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Init std of the weight (default 0.02). */
  std?: number;
  /** Generator for the init (default a fresh Rng(1337)). */
  rng?: Rng;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = opts.rng ?? new Rng(1337);
    this.weight = this.addParameter('weight', Parameter.normal([outFeatures, inFeatures], opts.std ?? 0.02, rng));
    this.bias = opts.bias ?? true ? this.addParameter('bias', Parameter.zeros([outFeatures])) : null;
  }

  /** x (..., in) -> (..., out). */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias); // (..., out)
  }
}

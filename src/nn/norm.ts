/**
 * Normalisation layers over the last dim: `LayerNorm` (weight ones, bias zeros; GPT-2)
 * and `RMSNorm` (weight ones; Llama).
 *
 * @example
 * new LayerNorm(128).forward(x); // (B, T, 128) -> (B, T, 128)
 */
import { layerNorm, rmsNorm, type Tensor } from '../tensor/index.ts';
import { Module } from './module.ts';
import { Parameter } from './parameter.ts';

export class LayerNorm extends Module {
  readonly eps: number;
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(dim: number, opts: { eps?: number } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.weight = this.addParameter('weight', Parameter.ones([dim]));
    this.bias = this.addParameter('bias', Parameter.zeros([dim]));
  }

  /** x (..., C) -> (..., C). */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly eps: number;
  readonly weight: Parameter;

  constructor(dim: number, opts: { eps?: number } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.weight = this.addParameter('weight', Parameter.ones([dim]));
  }

  /** x (..., C) -> (..., C). */
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

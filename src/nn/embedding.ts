/**
 * `Embedding`: a (V, C) table of learned vectors looked up by integer id. Init N(0, std^2),
 * default std 0.02.
 *
 * @example
 * const wte = new Embedding(65, 128, { rng });
 * wte.forward(ids, [B, T]); // Int32Array(B*T) -> (B, T, 128)
 */
import { embedding, type Tensor } from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { Module } from './module.ts';
import { Parameter } from './parameter.ts';

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly dim: number;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, dim: number, opts: { std?: number; rng?: Rng } = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.dim = dim;
    this.weight = this.addParameter('weight', Parameter.normal([numEmbeddings, dim], opts.std ?? 0.02, opts.rng ?? new Rng(1337)));
  }

  /** ids (shape, default [ids.length]) -> (...shape, C). */
  forward(ids: Int32Array, shape?: readonly number[]): Tensor {
    return embedding(this.weight, ids, shape); // (...shape, C)
  }
}

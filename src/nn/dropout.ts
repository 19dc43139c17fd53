/**
 * `Dropout`: inverted dropout in train mode, identity in eval mode. Each call draws a
 * fresh mask seed from the module's own seeded Rng, so a run is reproducible from its seed.
 *
 * @example
 * const drop = new Dropout(0.1, { seed: 7 });
 * drop.forward(x);         // train mode: ~10% zeros, the rest scaled by 1/0.9
 * drop.eval().forward(x);  // x unchanged
 */
import { dropout, type Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { Module } from './module.ts';

export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(p: number, opts: { seed?: number } = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new LlmtsError('E_RANGE', `Dropout p must be in [0, 1), got ${p}`, { where: 'Dropout' });
    this.p = p;
    this.rng = new Rng(opts.seed ?? 1337);
  }

  /** x -> same shape. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, this.rng.nextUint32(), true);
  }
}

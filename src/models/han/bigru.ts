/**
 * A bidirectional GRU layer over padded sequences (torch.nn.GRU(bidirectional=True,
 * batch_first=True) with packed sequences): the forward pass reads t = 0 .. len-1, the
 * reverse pass len-1 .. 0, and each position's output is [h_forward; h_reverse]. Each
 * direction's input projection is one GEMM over all steps, its recurrence one
 * `gruSequence` op (src/tensor/gru.ts). Parameter names and layouts are torch's
 * (`weight_ih_l0` (3H, in), `weight_hh_l0` (3H, H), `bias_ih_l0`, `bias_hh_l0`, and the
 * same with `_reverse`), initialised as torch does: U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * const gru = new BiGru(100, 50, rng);
 * gru.forward(x, lengths); // x (N, T, 100) -> (N, T, 100), 0 at padding
 */
import { Module } from '../../nn/module.ts';
import { Parameter } from '../../nn/parameter.ts';
import { concat, gruSequence, linear, type Tensor } from '../../tensor/index.ts';
import type { Rng } from '../../util/rng.ts';

/** The weights of one direction. */
interface GruWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor;
  bHh: Tensor;
}

export class BiGru extends Module {
  private readonly fwd: GruWeights;
  private readonly rev: GruWeights;

  constructor(readonly inputSize: number, readonly hiddenSize: number, rng: Rng) {
    super();
    const H = hiddenSize, k = 1 / Math.sqrt(H);
    const direction = (suffix: string): GruWeights => ({
      wIh: this.addParameter(`weight_ih_l0${suffix}`, Parameter.uniform([3 * H, inputSize], k, rng)),
      wHh: this.addParameter(`weight_hh_l0${suffix}`, Parameter.uniform([3 * H, H], k, rng)),
      bIh: this.addParameter(`bias_ih_l0${suffix}`, Parameter.uniform([3 * H], k, rng)),
      bHh: this.addParameter(`bias_hh_l0${suffix}`, Parameter.uniform([3 * H], k, rng)),
    });
    this.fwd = direction('');
    this.rev = direction('_reverse');
  }

  /** x (N, T, in), row i's real steps t < lengths[i] -> (N, T, 2H). */
  forward(x: Tensor, lengths: Int32Array): Tensor {
    const run = (w: GruWeights, reverse: boolean): Tensor => gruSequence(linear(x, w.wIh, w.bIh), w.wHh, w.bHh, lengths, reverse); // (N, T, 3H) -> (N, T, H)
    return concat([run(this.fwd, false), run(this.rev, true)], -1); // (N, T, 2H)
  }
}

/** Name -> shape of a BiGru's parameters under `prefix`. */
export function biGruShapes(prefix: string, inputSize: number, H: number): [string, number[]][] {
  return ['', '_reverse'].flatMap((s): [string, number[]][] => [
    [`${prefix}.weight_ih_l0${s}`, [3 * H, inputSize]], [`${prefix}.weight_hh_l0${s}`, [3 * H, H]],
    [`${prefix}.bias_ih_l0${s}`, [3 * H]], [`${prefix}.bias_hh_l0${s}`, [3 * H]],
  ]);
}

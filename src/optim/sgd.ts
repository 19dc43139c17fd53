/**
 * SGD with momentum (optionally Nesterov) and L2 weight decay, over parameter groups.
 * The update runs in the backend kernel `sgd`:
 *   g' = g + wd p; buf = mu buf + g'; p -= lr * (nesterov ? g' + mu buf : buf)
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { type OptimParam, type ParamGroup } from './param.ts';
import { Optimizer } from './optimizer.ts';

export interface SGDOptions {
  lr: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default 0. */
  weightDecay?: number;
  /** Default false. */
  nesterov?: boolean;
}

/** The optimizer's resumable state: step count and the momentum buffer per parameter (group order). */
export interface SGDState {
  step: number;
  buf: Float32Array[];
}

export class SGD<P extends OptimParam = OptimParam> extends Optimizer<P> {
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly buf = new Map<P, Float32Array>();

  constructor(params: readonly P[] | readonly ParamGroup<P>[], opts: SGDOptions) {
    super(params, opts.lr, opts.weightDecay ?? 0);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (!(opts.lr >= 0) || !(this.momentum >= 0)) {
      throw new LlmtsError('E_OPTIM', `SGD: bad hyperparameters lr=${opts.lr} momentum=${this.momentum}`, {
        where: 'SGD options', hint: 'use lr >= 0 and momentum >= 0' });
    }
    if (this.nesterov && this.momentum === 0) {
      throw new LlmtsError('E_OPTIM', 'SGD: nesterov needs momentum > 0', { where: 'SGD options', hint: 'set momentum (e.g. 0.9)' });
    }
  }

  /** One update of every parameter that has a gradient. */
  override step(): void {
    const be = backend();
    this.stepCount++;
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        let b = this.buf.get(p);
        if (!b) {
          b = new Float32Array(p.data.length);
          this.buf.set(p, b);
        }
        be.sgd(p.data.length, p.data, p.grad, b, g.lr, this.momentum, g.weightDecay, this.nesterov);
      }
    }
  }

  /** Copies of the step count and momentum buffers (zeros for parameters not yet updated). */
  stateDict(): SGDState {
    return { step: this.stepCount, buf: this.params().map((p) => this.buf.get(p)?.slice() ?? new Float32Array(p.data.length)) };
  }

  /** Restores a state from `stateDict()` of an optimizer over the same parameters. */
  loadStateDict(s: SGDState): void {
    const ps = this.params();
    if (s.buf.length !== ps.length || s.buf.some((b, i) => b.length !== ps[i]!.data.length)) {
      throw new LlmtsError('E_OPTIM_STATE', `SGD state has ${s.buf.length} buffers that do not match the ${ps.length} parameters`, {
        where: 'SGD.loadStateDict', hint: 'load the optimizer state saved with the same model and groups' });
    }
    ps.forEach((p, i) => this.buf.set(p, s.buf[i]!.slice()));
    this.stepCount = s.step;
  }
}

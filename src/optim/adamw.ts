/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, over parameter groups.
 * The update itself runs in the backend kernel `adamw`.
 *
 * @example
 * const opt = new AdamW(decayGroups(model.namedParameters(), 0.1), { lr: 1e-3 });
 * loss.backward(); opt.step(); model.zeroGrad();
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { type OptimParam, type ParamGroup } from './param.ts';
import { Optimizer } from './optimizer.ts';

export interface AdamWOptions {
  lr: number;
  /** (beta1, beta2); default (0.9, 0.999). */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default weight decay of groups that do not set their own; default 0.01. */
  weightDecay?: number;
}

/** The optimizer's resumable state: step count and the two moments per parameter (group order). */
export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW<P extends OptimParam = OptimParam> extends Optimizer<P> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly m = new Map<P, Float32Array>();
  private readonly v = new Map<P, Float32Array>();

  constructor(params: readonly P[] | readonly ParamGroup<P>[], opts: AdamWOptions) {
    super(params, opts.lr, opts.weightDecay ?? 0.01);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    if (!(opts.lr >= 0) || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
      throw new LlmtsError('E_OPTIM', `AdamW: bad hyperparameters lr=${opts.lr} betas=(${b1}, ${b2})`, {
        where: 'AdamW options', hint: 'use lr >= 0 and 0 <= beta < 1' });
    }
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = opts.eps ?? 1e-8;
  }


  /** One update of every parameter that has a gradient. */
  override step(): void {
    const be = backend();
    this.stepCount++;
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        const n = p.data.length;
        let m = this.m.get(p);
        let v = this.v.get(p);
        if (!m || !v) {
          m = new Float32Array(n);
          v = new Float32Array(n);
          this.m.set(p, m);
          this.v.set(p, v);
        }
        be.adamw(n, p.data, p.grad, m, v, g.lr, this.beta1, this.beta2, this.eps, g.weightDecay, this.stepCount);
      }
    }
  }

  /** Copies of the step count and moments (zeros for parameters not yet updated). */
  stateDict(): AdamWState {
    const ps = this.params();
    const zeros = (p: P) => new Float32Array(p.data.length);
    return {
      step: this.stepCount,
      m: ps.map((p) => this.m.get(p)?.slice() ?? zeros(p)),
      v: ps.map((p) => this.v.get(p)?.slice() ?? zeros(p)),
    };
  }

  /** Restores a state from `stateDict()` of an optimizer over the same parameters. */
  loadStateDict(s: AdamWState): void {
    const ps = this.params();
    if (s.m.length !== ps.length || s.v.length !== ps.length) {
      throw new LlmtsError('E_OPTIM_STATE', `AdamW state has ${s.m.length} moments for ${ps.length} parameters`, {
        where: 'AdamW.loadStateDict', hint: 'load the optimizer state saved with the same model and groups' });
    }
    ps.forEach((p, i) => {
      const m = s.m[i]!, v = s.v[i]!;
      if (m.length !== p.data.length || v.length !== p.data.length) {
        throw new LlmtsError('E_OPTIM_STATE', `AdamW state entry ${i} has ${m.length} values, parameter has ${p.data.length}`, {
          where: 'AdamW.loadStateDict', hint: 'load the optimizer state saved with the same model' });
      }
      this.m.set(p, m.slice());
      this.v.set(p, v.slice());
    });
    this.stepCount = s.step;
  }
}

/**
 * What every optimizer shares: resolved parameter groups, the base learning rate (each
 * group keeps its ratio to it, so schedules set one number), and the step count.
 * Subclasses implement `step()` and their own state dict.
 */
import { resolveGroups, type OptimParam, type ParamGroup, type ResolvedGroup } from './param.ts';

export abstract class Optimizer<P extends OptimParam = OptimParam> {
  readonly groups: ResolvedGroup<P>[];
  /** Number of steps taken. */
  stepCount = 0;
  private lr: number;

  protected constructor(params: readonly P[] | readonly ParamGroup<P>[], lr: number, defaultWeightDecay: number) {
    this.lr = lr;
    this.groups = resolveGroups(params, lr, defaultWeightDecay);
  }

  /** Base learning rate (groups use base * their scale). */
  getLr(): number {
    return this.lr;
  }

  /** Sets the base learning rate; each group keeps its ratio to it (for schedules). */
  setLr(lr: number): void {
    this.lr = lr;
    for (const g of this.groups) g.lr = lr * g.lrScale;
  }

  /** All parameters in group order. */
  params(): P[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** One update of every parameter that has a gradient. */
  abstract step(): void;
}

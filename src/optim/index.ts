/**
 * `optim`: AdamW, SGD (momentum / Nesterov), learning-rate schedules, global-norm
 * gradient clipping, and the decay / no-decay grouping of parameters.
 */
export type { OptimParam, ParamGroup, ResolvedGroup } from './param.ts';
export { Optimizer } from './optimizer.ts';
export { AdamW, type AdamWOptions, type AdamWState } from './adamw.ts';
export { SGD, type SGDOptions, type SGDState } from './sgd.ts';
export { lrAt, type LrSchedule, type DecayKind } from './schedule.ts';
export { clipGradNorm } from './clip.ts';
export { decayGroups, type DecayGroupOptions } from './groups.ts';

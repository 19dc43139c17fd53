/**
 * Learning-rate schedules: linear warmup from 0 to `maxLr` over `warmupSteps`, then a
 * decay to `minLr` at `totalSteps` (cosine, linear or none), held at `minLr` after.
 *
 * @example
 * const s: LrSchedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 100, totalSteps: 2000, decay: 'cosine' };
 * lrAt(s, 0);    // 1e-5  (warmup: maxLr * (step + 1) / warmupSteps)
 * lrAt(s, 1050); // 5.5e-4 (half way down the cosine)
 * lrAt(s, 5000); // 1e-4
 */
import { LlmtsError } from '../util/errors.ts';

export type DecayKind = 'cosine' | 'linear' | 'constant';

export interface LrSchedule {
  maxLr: number;
  /** Floor reached at totalSteps (ignored by 'constant'). */
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
  decay: DecayKind;
}

/** Learning rate at `step` (0-based) under schedule `s`. */
export function lrAt(s: LrSchedule, step: number): number {
  if (s.warmupSteps < 0 || s.totalSteps < s.warmupSteps) {
    throw new LlmtsError('E_SCHEDULE', `bad schedule: warmupSteps=${s.warmupSteps} totalSteps=${s.totalSteps}`, {
      where: 'LrSchedule', hint: 'use 0 <= warmupSteps <= totalSteps' });
  }
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / s.warmupSteps;
  if (s.decay === 'constant') return s.maxLr;
  if (step >= s.totalSteps) return s.minLr;
  const span = s.totalSteps - s.warmupSteps;
  const ratio = span === 0 ? 1 : (step - s.warmupSteps) / span; // 0 -> 1
  const coeff = s.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * ratio)) : 1 - ratio; // 1 -> 0
  return s.minLr + coeff * (s.maxLr - s.minLr);
}

/**
 * The context flags that `llmts generate` and `llmts eval` share (and `chat` / `serve` may
 * take), parsed one way:
 *   --context N            run at N tokens of context (the KV window), RoPE extrapolated
 *                          unless --rope-scaling is given
 *   --rope-scaling S       TYPE:FACTOR[:ORIGINAL] (linear | dynamic | yarn, e.g. yarn:4), or
 *                          none; the context becomes ORIGINAL * FACTOR unless --context says
 *   --keep N               sink tokens kept at the start when the window slides (default 4)
 *
 * @example
 * const { values } = parseFlags('generate', argv, { ...CONTEXT_FLAGS, model: { type: 'string' } });
 * loadModel(values.model, undefined, contextLoadOptions(values));
 */
import { parseRopeScaling, type RopeScalingRequest } from '../models/context.ts';
import { numberFlag } from './flags.ts';

/** parseArgs options of the context flags (values arrive as strings). */
export const CONTEXT_FLAGS = {
  context: { type: 'string' }, 'rope-scaling': { type: 'string' }, keep: { type: 'string' },
} as const;

type ContextValues = Partial<Record<keyof typeof CONTEXT_FLAGS, string | undefined>>;

/** `loadModel` options of --context and --rope-scaling (each absent when not given). */
export function contextLoadOptions(values: ContextValues): { context?: number; ropeScaling?: RopeScalingRequest } {
  const context = numberFlag(values.context, '--context', undefined, { int: true, min: 2 });
  const rope = values['rope-scaling'];
  return {
    ...(context !== undefined ? { context } : {}),
    ...(rope !== undefined ? { ropeScaling: parseRopeScaling(rope, '--rope-scaling') } : {}),
  };
}

/** --keep: sink tokens kept when the window slides (undefined: the default, 4). */
export function keepFlag(values: ContextValues): number | undefined {
  return numberFlag(values.keep, '--keep', undefined, { int: true, min: 0 });
}

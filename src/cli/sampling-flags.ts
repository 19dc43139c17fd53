/**
 * The sampling flags that `llmts generate` and `llmts chat` share, parsed one way:
 * --max-tokens, --temperature, --top-k, --top-p, --repetition-penalty, --seed.
 *
 * @example
 * const { values } = parseArgs({ args, options: { ...SAMPLING_FLAGS, model: { type: 'string' } } });
 * const s = samplingFromFlags(values, { temperature: 1, topP: 1 });
 */
import { numberFlag } from './flags.ts';

/** parseArgs options of the sampling flags (values arrive as strings). */
export const SAMPLING_FLAGS = {
  'max-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
  'repetition-penalty': { type: 'string' }, seed: { type: 'string' },
} as const;

/** Parsed sampling flags. */
export interface SamplingFlags {
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
}

/** The sampling flags of `values`, with per-command defaults for the ones not given. */
export function samplingFromFlags(values: Partial<Record<keyof typeof SAMPLING_FLAGS, string | undefined>>,
  defaults: Partial<SamplingFlags> = {}): SamplingFlags {
  return {
    maxTokens: numberFlag(values['max-tokens'], '--max-tokens', defaults.maxTokens ?? 256, { int: true }),
    temperature: numberFlag(values.temperature, '--temperature', defaults.temperature ?? 1),
    topK: numberFlag(values['top-k'], '--top-k', defaults.topK ?? 0, { int: true }),
    topP: numberFlag(values['top-p'], '--top-p', defaults.topP ?? 1),
    repetitionPenalty: numberFlag(values['repetition-penalty'], '--repetition-penalty', defaults.repetitionPenalty ?? 1),
    seed: numberFlag(values.seed, '--seed', defaults.seed ?? 1337, { int: true }),
  };
}

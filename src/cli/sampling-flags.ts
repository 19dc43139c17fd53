/**
 * The sampling flags that `llmts generate` and `llmts chat` share, parsed one way:
 * --max-tokens, --temperature, --top-k, --top-p, --repetition-penalty, --seed.
 *
 * @example
 * const { values } = parseFlags('generate', argv, { ...SAMPLING_FLAGS, model: { type: 'string' } });
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

/**
 * The sampling flags of `values`, with per-command defaults for the ones not given; each is
 * checked against what the sampler accepts (an E_FLAG naming the flag otherwise).
 */
export function samplingFromFlags(values: Partial<Record<keyof typeof SAMPLING_FLAGS, string | undefined>>,
  defaults: Partial<SamplingFlags> = {}): SamplingFlags {
  return {
    maxTokens: numberFlag(values['max-tokens'], '--max-tokens', defaults.maxTokens ?? 256, { int: true, min: 1 }),
    temperature: numberFlag(values.temperature, '--temperature', defaults.temperature ?? 1, { min: 0 }),
    topK: numberFlag(values['top-k'], '--top-k', defaults.topK ?? 0, { int: true, min: 0 }),
    topP: numberFlag(values['top-p'], '--top-p', defaults.topP ?? 1, { min: 0, max: 1, minExclusive: true }),
    repetitionPenalty: numberFlag(values['repetition-penalty'], '--repetition-penalty', defaults.repetitionPenalty ?? 1, { min: 0, minExclusive: true }),
    seed: numberFlag(values.seed, '--seed', defaults.seed ?? 1337, { int: true }),
  };
}

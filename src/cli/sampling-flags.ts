/**
 * The sampling flags that `llmts generate` and `llmts chat` share, parsed one way:
 * --max-tokens, --temperature, --top-k, --top-p, --repetition-penalty, --seed.
 *
 * @example
 * const { values } = parseArgs({ args, options: { ...SAMPLING_FLAGS, model: { type: 'string' } } });
 * const s = samplingFromFlags(values, 'generate', { temperature: 1, topP: 1 });
 */
import { LlmtsError } from '../util/errors.ts';

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

/** A numeric flag value, its default when absent; an E_USAGE error naming the flag when malformed. */
export function numFlag(v: string | undefined, flag: string, fallback: number, command: string, int = false): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (int && !Number.isInteger(x))) {
    throw new LlmtsError('E_USAGE', `${flag} needs ${int ? 'an integer' : 'a number'}, got '${v}'`, { where: flag, hint: `see llmts ${command} --help` });
  }
  return x;
}

/** The sampling flags of `values`, with per-command defaults for the ones not given. */
export function samplingFromFlags(values: Partial<Record<keyof typeof SAMPLING_FLAGS, string | undefined>>, command: string,
  defaults: Partial<SamplingFlags> = {}): SamplingFlags {
  return {
    maxTokens: numFlag(values['max-tokens'], '--max-tokens', defaults.maxTokens ?? 256, command, true),
    temperature: numFlag(values.temperature, '--temperature', defaults.temperature ?? 1, command),
    topK: numFlag(values['top-k'], '--top-k', defaults.topK ?? 0, command, true),
    topP: numFlag(values['top-p'], '--top-p', defaults.topP ?? 1, command),
    repetitionPenalty: numFlag(values['repetition-penalty'], '--repetition-penalty', defaults.repetitionPenalty ?? 1, command),
    seed: numFlag(values.seed, '--seed', defaults.seed ?? 1337, command, true),
  };
}

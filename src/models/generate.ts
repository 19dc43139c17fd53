/**
 * `Decoder.generate`: a thin call into the generation engine (src/infer/engine.ts), kept
 * so that model code and the demo can sample ids without a tokenizer.
 *
 * @example
 * model.generate([0], { maxNewTokens: 100, temperature: 0.8, topK: 40, seed: 1 });
 */
import { generate as runEngine } from '../infer/engine.ts';
import type { Decoder } from './decoder.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy (argmax); default 1. */
  temperature?: number;
  /** Sample only among the k likeliest tokens; 0 = all (default 0). */
  topK?: number;
  /** Seed of the sampler (default 1337). */
  seed?: number;
  /** Called with each new token id as it is produced. */
  onToken?: (id: number) => void;
}

/** Continues `prompt` and returns prompt + new ids (see src/infer/engine.ts for the full engine). */
export function generate(model: Decoder, prompt: readonly number[], opts: GenerateOptions): number[] {
  const r = runEngine(model, prompt, {
    maxTokens: opts.maxNewTokens, temperature: opts.temperature ?? 1, topK: opts.topK ?? 0, seed: opts.seed ?? 1337,
  }, undefined, (s) => opts.onToken?.(s.id));
  return [...prompt, ...r.ids];
}

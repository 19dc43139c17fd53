/**
 * Samples from a trained model, for the end of `llmts train` / `npm start` (generation, so
 * it lives in infer, not train). Generation starts where every generation starts
 * (`encodePrompt`, tokens.ts): the tokenizer's start id (`<|endoftext|>`, BOS) when it has
 * one, then `prompt`; with neither, a newline. A sample ends at the first `<|endoftext|>`.
 *
 * @example
 * printSamples(model, tokenizer, { count: 2, tokens: 200, seed: 1 });
 */
import { generate } from './engine.ts';
import { encodePrompt } from './tokens.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';

export interface SampleOptions {
  count: number;
  tokens: number;
  seed: number;
  prompt?: string;
  temperature?: number;
  topK?: number;
  /** Receives the text (default console.log). */
  out?: (text: string) => void;
}

/** Generates `count` samples and prints each under a header; returns their texts. */
export function printSamples(model: AnyModel, tok: Tokenizer, o: SampleOptions): string[] {
  const out = o.out ?? console.log;
  const temperature = o.temperature ?? 0.8, topK = o.topK ?? 40;
  const start = encodePrompt(tok, o.prompt ?? '');
  const texts: string[] = [];
  for (let s = 0; s < o.count; s++) {
    const ids = [...start, ...generate(model, start, { maxTokens: o.tokens, temperature, topK, seed: o.seed + 100 + s }).ids];
    let text = (o.prompt ?? '') + tok.decode(ids.slice(start.length), { skipSpecialTokens: false });
    const end = text.indexOf('<|endoftext|>');
    if (end >= 0) text = text.slice(0, end); // one document
    texts.push(text);
    out(`--- sample ${s + 1} (temperature ${temperature}, top-k ${topK}) ---\n${text}`);
  }
  return texts;
}

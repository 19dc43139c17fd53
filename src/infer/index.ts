/**
 * Public API of the generation engine: KV-cache prefill + decode, sampling (greedy,
 * temperature, top-k, top-p, repetition penalty, seed), stop ids and strings, max tokens,
 * cancellation, and UTF-8-safe streamed text.
 *
 * @example
 * import { loadModel } from '../io/load-model.ts';
 * import { encodePrompt, stopTokenIds, streamGenerate } from './index.ts';
 * const { model, tokenizer } = loadModel('runs/x');
 * for await (const s of streamGenerate(model, encodePrompt(tokenizer, 'Hi'), { maxTokens: 64, stopTokens: stopTokenIds(tokenizer) }, tokenizer)) process.stdout.write(s.text);
 */
export { Generation, generate, streamGenerate, type FinishReason, type GenerateOptions, type GenerationResult, type GenerationStep } from './engine.ts';
export { Sampler, argmax, validateSampling, type SamplingOptions } from './sampling.ts';
export { StopMatcher } from './stop.ts';
export { TextStream, type StreamTokenizer } from './text-stream.ts';
export { bosId, encodePrompt, stopTokenIds } from './tokens.ts';

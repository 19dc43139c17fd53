/**
 * Evaluation: loss, perplexity and bits per byte of a model on text.
 *
 * @example
 * const r = evaluateText(model, tokenizer, text); // r.loss, r.perplexity, r.bitsPerByte
 */
export { scoreIds, evaluateText, bitsPerByte, type EvalOptions, type EvalResult } from './perplexity.ts';
export { sumLoss, meanLoss } from './loss.ts';

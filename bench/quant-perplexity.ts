/**
 * `npm run bench -- quant-perplexity [--model M] [--tokenizer T] [--text FILE] [--chars N]`:
 * teacher-forced perplexity of one trained model through the decode step with its
 * matrices in fp32, bf16 and Q8_0 (`setDecodeWeights`: the same packing a bf16 / Q8_0
 * GGUF load gives), on the same tokens. Issue 19's target: Q8_0 within +0.5% of fp32.
 *
 * Default: stories260K (data/llama2c-stories260k) on data/tinystories/tinystories_val_head.txt
 * (the head of TinyStories' validation split), BOS first, cut into non-overlapping windows of
 * the model's context (512): each window starts with an empty KV cache.
 * The 15M / 110M shapes of bench/generate.ts have random weights, so they have no
 * meaningful perplexity.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DecodeStep } from '../src/infer/decode-step.ts';
import { loadModel } from '../src/io/load-model.ts';
import type { DecodeWeightFormat } from '../src/models/decode-plan.ts';
import { setDecodeWeights } from '../src/models/decode-weights.ts';
import type { LanguageModel } from '../src/models/model.ts';

/** exp(mean negative log-likelihood) of ids[1..] given the ids before, window by window. */
function perplexity(model: LanguageModel, ids: number[]): number {
  const step = new DecodeStep(model);
  const V = model.config.vocabSize, block = model.config.blockSize;
  const logits = new Float32Array(V);
  let cache = model.newCache(1);
  let nll = 0, n = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    if (cache.length === block) cache = model.newCache(1); // next window
    step.run(ids[t]!, cache, logits);
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[v]!);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[v]! - max);
    nll -= logits[ids[t + 1]!]! - max - Math.log(z);
    n++;
  }
  return Math.exp(nll / n);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string' }, chars: { type: 'string' } } });
  const modelPath = values.model ?? 'data/llama2c-stories260k/stories260K.bin';
  const tokPath = values.tokenizer ?? (values.model ? undefined : 'data/llama2c-stories260k/tok512.bin');
  const textPath = values.text ?? 'data/tinystories/tinystories_val_head.txt';
  const { model, tokenizer } = loadModel(modelPath, tokPath);
  const lm = model as LanguageModel;
  const text = readFileSync(textPath, 'utf8');
  const chars = values.chars ? Number(values.chars) : text.length;
  const ids = tokenizer.encode(text.slice(0, chars), { addSpecialTokens: true });
  console.log(`teacher-forced perplexity through the decode step | ${modelPath} on ${textPath} (${ids.length.toLocaleString('en-US')} tokens, windows of ${lm.config.blockSize})`);
  let fp32 = 0;
  for (const format of ['fp32', 'bf16', 'q8_0'] as DecodeWeightFormat[]) {
    setDecodeWeights(lm, format);
    const t0 = performance.now();
    const ppl = perplexity(lm, ids);
    if (format === 'fp32') fp32 = ppl;
    const rel = format === 'fp32' ? '' : ` | ${((ppl / fp32 - 1) * 100).toFixed(3)}% vs fp32${format === 'q8_0' ? ' (target <= +0.5%)' : ''}`;
    console.log(`  ${format.padEnd(5)} perplexity ${ppl.toFixed(4)}${rel} | ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/**
 * What `llmts train --objective mlm` adds to a pretraining run (trainer.ts): the masking
 * options from the tokenizer (its [MASK] id, every special id never chosen, WordPiece
 * `##` pieces for whole-word masking), the masked training and validation batches (the
 * same masks for the same seed, step and batch index, so resumes and evaluations repeat),
 * and the final report: masked-token accuracy and loss over the whole validation split,
 * and the pseudo-perplexity of its first windows.
 *
 * Short windows first (`shortBlockSize`, `shortBlockFraction`), as BERT trained 90% of its
 * steps on 128 tokens and the rest on 512: for the first round(shortBlockFraction x
 * maxSteps) steps a batch
 * holds batchSize x blockSize / shortBlockSize windows of shortBlockSize tokens (the same
 * tokens per step), then batchSize windows of blockSize. Fewer keys per query make the
 * neighbours' scores stand out while attention is learned; the last phase trains every
 * position embedding and the long context that the evaluation (blockSize windows) uses.
 *
 * @example
 * const mlm = maskedLmRun(data.tokenizer, { seed: 1337, wholeWordMask: false });
 * trainLoop({ objective: mlm.objective, batches: mlm.batches(trainLoader), ... });
 * mlm.report(model, valLoader, log); // 'final eval | masked-token accuracy 41.3% ...'
 */
import { TokenLoader } from '../data/loader.ts';
import type { ShardIds } from '../data/shards.ts';
import { maskedTokenScores, pseudoPerplexity } from '../eval/masked-lm.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';
import { maskedLm, maskedLmBatches, maskTokens, type MaskedLmBatch, type MaskingOptions } from './objectives/masked-lm.ts';
import type { BatchShape, BatchSource } from './objectives/objective.ts';

/** Windows whose pseudo-perplexity the final report gives (each costs one forward of T rows). */
const PPPL_WINDOWS = 8;

/** The settings of a run that the masked-LM parts read (a subset of TrainConfig). */
export interface MaskedLmSettings {
  seed: number;
  wholeWordMask: boolean;
  /** Windows per batch and tokens per window after the short-window phase. */
  batchSize?: number;
  blockSize?: number;
  /** Tokens per window for the first shortBlockFraction of maxSteps (0: no short phase). */
  shortBlockSize?: number;
  shortBlockFraction?: number;
  maxSteps?: number;
}

type Windows = BatchSource<BatchShape & { ids: Int32Array; T: number }>;

/**
 * The training windows of step `step`: before `shortSteps`, windows of shortBlockSize
 * tokens (batchSize x blockSize / shortBlockSize of them, drawn from `train` by (seed,
 * step, micro) as the trainer's loader draws); from `source` after.
 */
export function shortWindowBatches(source: Windows, train: readonly ShardIds[], o: { seed: number; batchSize: number; blockSize: number; shortBlockSize: number; shortSteps: number }): Windows {
  if (o.shortBlockSize <= 0 || o.shortSteps <= 0) return source;
  const rows = Math.max(1, Math.round((o.batchSize * o.blockSize) / o.shortBlockSize));
  const short = new TokenLoader(train, { seed: o.seed, batchSize: rows, blockSize: o.shortBlockSize, where: 'shortBlockSize windows (train split)' });
  return { batch: (step, micro) => (step < o.shortSteps ? short.batch(step, micro) : source.batch(step, micro)) };
}

/** The masked-LM parts of a run; see the module comment. */
export interface MaskedLmRun {
  objective: typeof maskedLm;
  options: MaskingOptions;
  /**
   * Training batches: the loader's windows (after a short-window phase drawn from `train`,
   * when the settings have one), masked by (seed, step, micro).
   */
  batches(source: Windows, train?: readonly ShardIds[]): BatchSource<MaskedLmBatch>;
  /** Validation batches masked by (seed, index): the same masks at every evaluation. */
  masked(batches: Iterable<{ ids: Int32Array; rows: number; T: number; tokens: number }>): Iterable<MaskedLmBatch>;
  /** Masked-token accuracy over the whole validation split and the pseudo-perplexity, logged; the fields for metrics.jsonl. */
  report(model: AnyModel, val: TokenLoader, log: (line: string) => void): { maskedAccuracy: number; pseudoPerplexity: number };
}

/** The masked-LM parts of a run over `tokenizer`'s ids; an E_TOKENIZER error when it has no [MASK]. */
export function maskedLmRun(tokenizer: Tokenizer, o: MaskedLmSettings): MaskedLmRun {
  const maskId = tokenizer.specialIds.mask;
  if (maskId === undefined) {
    throw new LlmtsError('E_TOKENIZER', 'the masked-LM objective needs a tokenizer with a mask token ([MASK]); this one has none', {
      where: 'tokenizer', hint: 'train with --tokenizer bert-base-uncased (or a WordPiece tokenizer.json with [MASK])' });
  }
  if (o.wholeWordMask && tokenizer.kind !== 'wordpiece') {
    throw new LlmtsError('E_CONFIG', `wholeWordMask needs a WordPiece tokenizer (## pieces), this one is ${tokenizer.kind}`, { where: 'wholeWordMask', hint: 'drop --wholeWordMask or use a WordPiece tokenizer' });
  }
  const options: MaskingOptions = {
    maskId, vocabSize: tokenizer.vocabSize, specialIds: new Set(tokenizer.specialTokens().values()),
    continuesWord: o.wholeWordMask ? (id) => tokenizer.idToToken(id)?.startsWith('##') === true : undefined,
  };
  const masked = function* (batches: Iterable<{ ids: Int32Array; rows: number; T: number; tokens: number }>): Generator<MaskedLmBatch> {
    let i = 0;
    for (const b of batches) {
      const m = maskTokens(b.ids, options, new Rng(hash32(o.seed ^ 0x76616c21, i++)));
      yield { ...m, rows: b.rows, T: b.T, tokens: b.tokens };
    }
  };
  return {
    objective: maskedLm,
    options,
    batches(source, train) {
      const { shortBlockSize = 0, shortBlockFraction = 0, maxSteps = 0, batchSize = 1, blockSize = 1 } = o;
      const shortSteps = Math.round(shortBlockFraction * maxSteps);
      const windows = train ? shortWindowBatches(source, train, { seed: o.seed, batchSize, blockSize, shortBlockSize, shortSteps }) : source;
      return maskedLmBatches(windows, { ...options, seed: o.seed });
    },
    masked,
    report(model, val, log) {
      const s = maskedTokenScores(model, masked(val.windows()));
      const windows = function* (): Generator<Int32Array> {
        let n = 0;
        for (const b of val.windows()) {
          for (let r = 0; r < b.rows && n < PPPL_WINDOWS; r++, n++) yield b.ids.slice(r * b.T, (r + 1) * b.T);
          if (n >= PPPL_WINDOWS) return;
        }
      };
      const p = pseudoPerplexity(model, windows(), { maskId, specialIds: options.specialIds });
      log(`final eval | masked-token accuracy ${(100 * s.accuracy).toFixed(2)}% | masked loss ${s.loss.toFixed(4)} (${s.count.toLocaleString('en-US')} masked tokens, whole val split) | pseudo-perplexity ${p.pppl.toFixed(2)} (${p.tokens} tokens)`);
      return { maskedAccuracy: s.accuracy, pseudoPerplexity: p.pppl };
    },
  };
}

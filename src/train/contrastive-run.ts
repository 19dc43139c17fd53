/**
 * A contrastive training run of a sentence encoder from scratch: a WordPiece vocabulary
 * trained on every text of the pair sets (one shared vocabulary over both languages of a
 * translation corpus), a BERT encoder without a head, and `steps` steps of the
 * contrastive objective (contrastive.ts) in the one training loop, AdamW with warmup and
 * cosine decay. The encoder is returned with its tokenizer; saving it as a checkpoint
 * gives a model `llmts embed` and `llmts index build` load (same masked-mean pooling).
 *
 * Deterministic: the same pairs, settings and seed give the same weights.
 *
 * @example
 * const r = await trainContrastive({ sets: [{ pairs: textPairs, batchSize: 128 }], steps: 1000, seed: 1, log: console.log });
 * saveCheckpoint('runs/embed/model', { model: r.model, tokenizer: r.tokenizer });
 */
import { bertConfig, type EncoderConfig } from '../models/encoder/index.ts';
import { createModel, type AnyModel } from '../models/registry.ts';
import { AdamW, decayGroups } from '../optim/index.ts';
import { trainWordPiece } from '../tokenizer/wordpiece-trainer.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { asEncoder } from '../models/encoder/index.ts';
import { contrastive, pairBatches, tokenizePairs, type TextPair } from './contrastive.ts';
import { trainLoop, type LoopResult } from './loop.ts';

/** One set of text pairs of a run: rows per batch and the longest query / document in ids. */
export interface TextPairSet {
  pairs: readonly TextPair[];
  batchSize: number;
  maxLen: [number, number];
}

/** Settings of `trainContrastive`. */
export interface ContrastiveRunOptions {
  sets: readonly TextPairSet[];
  /** Step s trains on set pattern[s % pattern.length] (default [0]). */
  pattern?: readonly number[];
  steps: number;
  seed: number;
  /** Peak learning rate (default 1e-3) and warmup steps (default steps / 20). */
  lr?: number;
  warmupSteps?: number;
  temperature?: number;
  /** WordPiece vocabulary size (default 8000). */
  vocabSize?: number;
  /** The encoder's shape (defaults: 2 layers, 4 heads, 128 wide, 256 positions). */
  model?: Partial<Pick<EncoderConfig, 'nLayer' | 'nHead' | 'nEmbd' | 'intermediateSize' | 'blockSize' | 'dropout'>>;
  log: (line: string) => void;
  logInterval?: number;
  /** Called every `saveInterval` steps with the encoder so far (e.g. to save a checkpoint). */
  save?: (model: AnyModel, tokenizer: Tokenizer, step: number) => void;
  saveInterval?: number;
}

/** What `trainContrastive` returns. */
export interface ContrastiveRunResult {
  model: AnyModel;
  tokenizer: Tokenizer;
  loop: LoopResult;
}

/** Trains a sentence encoder on the pair sets (see the module comment). */
export async function trainContrastive(o: ContrastiveRunOptions): Promise<ContrastiveRunResult> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new LlmtsError('E_CONFIG', `steps must be a positive integer, got ${o.steps}`, { where: 'steps', hint: 'e.g. 1000' });
  const texts = function* (): Generator<string> {
    for (const s of o.sets) for (const p of s.pairs) { yield p.query; yield p.doc; }
  };
  const t0 = performance.now();
  const { tokenizer } = trainWordPiece(texts(), { vocabSize: o.vocabSize ?? 8000 });
  o.log(`tokenizer: WordPiece, ${tokenizer.vocabSize} ids over ${o.sets.reduce((n, s) => n + 2 * s.pairs.length, 0).toLocaleString('en-US')} texts (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const m = o.model ?? {};
  const config = bertConfig({
    vocabSize: tokenizer.vocabSize, nLayer: m.nLayer ?? 2, nHead: m.nHead ?? 4, nEmbd: m.nEmbd ?? 128,
    ...(m.intermediateSize !== undefined ? { intermediateSize: m.intermediateSize } : {}), blockSize: m.blockSize ?? 256, dropout: m.dropout ?? 0.1, head: 'none', pooler: false,
  });
  const model = createModel(config, { seed: o.seed });
  const padId = tokenizer.specialIds.pad ?? 0;
  const sets = o.sets.map((s) => {
    const maxLen: [number, number] = [Math.min(s.maxLen[0], config.blockSize), Math.min(s.maxLen[1], config.blockSize)];
    return { pairs: tokenizePairs(tokenizer, s.pairs, maxLen), batchSize: s.batchSize };
  });
  const lr = o.lr ?? 1e-3, warmupSteps = o.warmupSteps ?? Math.max(1, Math.floor(o.steps / 20));
  const optimizer = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0.01 }), { lr, betas: [0.9, 0.999] });
  const encoder = asEncoder(model, 'contrastive run');
  model.train();
  const state = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
  const loop = await trainLoop({
    model: encoder as typeof encoder & typeof model,
    objective: contrastive({ temperature: o.temperature ?? 0.05 }),
    batches: pairBatches(sets, { seed: o.seed, padId, pattern: o.pattern }),
    optimizer,
    schedule: { maxLr: lr, minLr: lr / 20, warmupSteps, totalSteps: o.steps, decay: 'cosine' },
    settings: { maxSteps: o.steps, gradAccum: 1, gradClip: 1, seed: o.seed, lr, warmupSteps, logInterval: o.logInterval ?? 50, evalInterval: 0, ckptInterval: o.save ? (o.saveInterval ?? 100) : 0 },
    state,
    log: o.log,
    save: o.save ? () => o.save!(model, tokenizer, state.step) : undefined,
  });
  model.eval();
  if (loop.stopped === 'non-finite') throw new LlmtsError('E_TRAIN', 'contrastive training stopped at a non-finite loss', { where: 'trainContrastive', hint: 'lower lr or raise temperature' });
  return { model, tokenizer, loop };
}

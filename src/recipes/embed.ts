/**
 * `llmts recipe embed`: a sentence encoder for retrieval, trained here from scratch.
 * A shared English + French (+ scientific English) WordPiece vocabulary, a 2-layer
 * 128-wide BERT without a head, trained contrastively (InfoNCE over in-batch negatives,
 * src/train/contrastive*.ts) on the translation pairs outside the held-apart 1,000
 * English sentences, interleaved (one step in four) with SciTLDR's train pairs of a TLDR
 * and the passages (1-2 sentence windows) of its abstract that hold the best sentences.
 * Dense retrieval scores an abstract by its best passage. Evaluation, each beside BM25 on the same candidates in the same run:
 * English -> French retrieval over the 1,000 held-apart sentences (R@1), and SciTLDR dev
 * TLDR -> abstract (R@1, hybrid = RRF of BM25 and dense).
 *
 * The number of steps is `minutes` x STEPS_PER_MINUTE (a fixed rate measured on a quiet
 * 2-core machine), so a seed always gives the same model.
 *
 * @example
 * llmts recipe embed --out runs/embed
 * llmts index build --model runs/embed/model --out runs/idx notes/*.md
 */
import { join } from 'node:path';
import { sentenceEmbeddings } from '../infer/encoder.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import type { AnyModel } from '../models/registry.ts';
import { chunkText } from '../search/chunk.ts';
import { evaluateRetrieval, type EmbedTexts, type RetrievalReport } from '../search/recall.ts';
import { bundledFile } from '../train/bundled.ts';
import { scitldrPairs, scitldrTest, translationPairs } from '../train/contrastive-data.ts';
import { trainContrastive } from '../train/contrastive-run.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import type { Recipe, RecipeEvalRow, RecipeResult, RecipeRunOptions } from './registry.ts';

/**
 * Training steps per `--minutes`: an estimate of ~0.4 s a step on a quiet 2-core machine
 * (steps took 0.8-2 s at load 17-45 on the shared machine of 2026-12-06, not measured quiet).
 */
export const STEPS_PER_MINUTE = 150;

/** The bundled data files the recipe reads by default. */
export const EMBED_DATA = {
  pairs: 'translation-en-fr/eng-fra-74k.tsv.gz',
  scitldrTrain: 'summarization-scitldr/train.jsonl.gz',
  scitldrDev: 'summarization-scitldr/dev.jsonl.gz',
};

/** An embedding function over a loaded encoder (masked mean pooling, as `llmts embed`). */
export function encoderEmbed(model: AnyModel, tokenizer: Tokenizer): EmbedTexts {
  return (texts) => sentenceEmbeddings(model, tokenizer, texts, { batchSize: 64 });
}

/** How abstracts are cut into passages, for training pairs and for dense retrieval (windows of 1-2 sentences). */
export const ABSTRACT_CHUNKS = { maxWords: 48, overlap: 1 };

/** An abstract's passages. */
export function abstractPassages(abstract: string): string[] {
  return chunkText(abstract, 'abstract', ABSTRACT_CHUNKS).map((c) => c.text);
}

/** Dense weights (BM25's being 1) whose hybrid R@1 the SciTLDR report also lists: a diagnostic, nothing is chosen by it. */
export const DENSE_WEIGHTS = [1, 0.5, 0.25, 0.125, 0.0625];

/**
 * The recipe's two retrieval tests under `embed` (null: BM25 only); hybrids fuse with equal
 * weights. (Choosing the SciTLDR weight on the training papers picked 1: the encoder has
 * seen those pairs, so they overrate it; dev is not used to choose.)
 */
export function embedEvaluation(embed: EmbedTexts | null, files: { pairs: string; scitldrDev: string } = {
  pairs: bundledFile(EMBED_DATA.pairs), scitldrDev: bundledFile(EMBED_DATA.scitldrDev),
}): RetrievalReport[] {
  return [
    evaluateRetrieval(translationPairs(files.pairs).test, embed),
    evaluateRetrieval(scitldrTest(files.scitldrDev), embed, { chunk: abstractPassages, tryWeights: DENSE_WEIGHTS }),
  ];
}

/** Evaluation rows of the recipe's reports. */
function rows(reports: readonly RetrievalReport[]): RecipeEvalRow[] {
  const [tr, sci] = reports as [RetrievalReport, RetrievalReport];
  return [
    { metric: `${tr.name} R@1, dense`, value: tr.recallAt1.dense ?? NaN, baseline: 'BM25', baselineValue: tr.recallAt1.bm25 },
    { metric: `${sci.name} R@1, hybrid (RRF)`, value: sci.recallAt1.hybrid ?? NaN, baseline: 'BM25', baselineValue: sci.recallAt1.bm25 },
    { metric: `${sci.name} R@1, dense`, value: sci.recallAt1.dense ?? NaN, baseline: 'BM25', baselineValue: sci.recallAt1.bm25 },
  ];
}

/** Trains, saves and evaluates the embed recipe's encoder (see the module comment). */
export async function trainEmbedRecipe(o: RecipeRunOptions): Promise<RecipeResult> {
  const minutes = o.minutes ?? recipe.defaultMinutes;
  if (!(minutes > 0)) throw new LlmtsError('E_FLAG', `--minutes must be > 0, got ${minutes}`, { where: '--minutes', hint: 'e.g. --minutes 10' });
  const f = o.flags ?? {};
  const files = {
    pairs: f.pairs ?? bundledFile(EMBED_DATA.pairs),
    scitldrTrain: f['scitldr-train'] ?? bundledFile(EMBED_DATA.scitldrTrain),
    scitldrDev: f['scitldr-dev'] ?? bundledFile(EMBED_DATA.scitldrDev),
  };
  const translation = translationPairs(files.pairs);
  const sci = scitldrPairs(files.scitldrTrain, abstractPassages);
  const steps = Math.max(1, Math.round(minutes * STEPS_PER_MINUTE));
  const modelDir = join(o.out, 'model');
  o.log(`embed: ${translation.train.length.toLocaleString('en-US')} en-fr pairs, ${sci.length.toLocaleString('en-US')} SciTLDR pairs, ${steps} steps`);
  const run = await trainContrastive({
    sets: [{ pairs: translation.train, batchSize: 128, maxLen: [32, 32] }, { pairs: sci, batchSize: 64, maxLen: [64, 96] }],
    pattern: [0, 0, 0, 1],
    steps,
    seed: o.seed ?? 1,
    log: o.log,
    // the model so far every 100 steps: a stopped run leaves a usable encoder
    save: (model, tokenizer) => saveCheckpoint(modelDir, { model, tokenizer }),
    saveInterval: 100,
  });
  saveCheckpoint(modelDir, { model: run.model, tokenizer: run.tokenizer });
  o.log(`saved ${modelDir}; evaluating`);
  const reports = embedEvaluation(encoderEmbed(run.model, run.tokenizer), files);
  return {
    modelDir,
    evaluation: rows(reports),
    usage: [
      `llmts embed --model ${modelDir} --text "a cat sat on the mat"`,
      `llmts index build --model ${modelDir} --out ${join(o.out, 'index')} FILES...`,
      `llmts search --index ${join(o.out, 'index')} --query "your question" --k 5`,
    ],
  };
}

/** The recipe (src/recipes/registry.ts). */
export const recipe: Recipe = {
  name: 'embed',
  summary: 'a sentence encoder for retrieval (en<->fr and SciTLDR, contrastive InfoNCE), R@1 beside BM25',
  defaultMinutes: 4,
  options: {
    pairs: 'English<TAB>French pairs (.tsv or .tsv.gz; default the bundled Tatoeba pairs)',
    'scitldr-train': 'SciTLDR-A train JSONL (default bundled)',
    'scitldr-dev': 'SciTLDR-A dev JSONL (default bundled)',
  },
  run: trainEmbedRecipe,
};

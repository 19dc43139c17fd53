/**
 * `llmts recipe embed`: a sentence encoder for retrieval, trained here from scratch.
 * A shared English + French (+ scientific English) WordPiece vocabulary, a 2-layer
 * 128-wide BERT without a head, trained contrastively (InfoNCE over in-batch negatives,
 * src/train/contrastive*.ts) on the translation pairs outside the held-apart 1,000
 * English sentences, interleaved (one step in four) with SciTLDR's train pairs of a TLDR
 * and the passages (1-2 sentence windows) of its abstract that hold the best sentences;
 * 15% of the SciTLDR training papers (by a hash of the paper id) are never trained on:
 * the hybrid's fusion weight is chosen on them. Dense retrieval scores an abstract by its
 * best passage. Evaluation, each beside BM25 on the same candidates in the same run:
 * English -> French retrieval over the 1,000 held-apart sentences (R@1), and SciTLDR dev
 * TLDR -> abstract (R@1, hybrid = RRF of BM25 and dense, the dense list weighted by the
 * weight that did best on the tuning papers: 0, i.e. BM25 alone, when dense adds nothing).
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
import { evaluateRetrieval, type EmbedTexts, type RetrievalReport, type RetrievalTask } from '../search/recall.ts';
import { bundledFile } from '../train/bundled.ts';
import { scitldrPairs, scitldrTest, scitldrTuneSplit, translationPairs } from '../train/contrastive-data.ts';
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

/**
 * Dense weights (BM25's being 1) the SciTLDR hybrid chooses from, on the tuning papers;
 * 0 is BM25's ranking unchanged (the fallback when the dense ranker does not help).
 */
export const DENSE_WEIGHTS = [0, 0.0625, 0.125, 0.25, 0.5, 1];

/**
 * The dense weight with the best hybrid R@1 on `tune` (ties: the smaller weight, BM25
 * being the cheaper and the known ranker), with the report it was read from.
 */
export function chooseDenseWeight(embed: EmbedTexts, tune: RetrievalTask, weights: readonly number[] = DENSE_WEIGHTS): { weight: number; report: RetrievalReport } {
  const report = evaluateRetrieval(tune, embed, { chunk: abstractPassages, tryWeights: weights });
  let weight = weights[0]!;
  for (const w of weights) if (report.hybridAt1ByWeight[String(w)]! > report.hybridAt1ByWeight[String(weight)]!) weight = w;
  return { weight, report };
}

/** The data files of the recipe's evaluation. */
export interface EmbedEvalFiles {
  pairs: string;
  scitldrTrain: string;
  scitldrDev: string;
}

/**
 * The recipe's retrieval tests under `embed` (null: BM25 only): en->fr (hybrid with equal
 * weights), the SciTLDR tuning papers (every weight of DENSE_WEIGHTS) and SciTLDR dev
 * (hybrid at the weight chosen on the tuning papers; dev chooses nothing).
 */
export function embedEvaluation(embed: EmbedTexts | null, files: EmbedEvalFiles = {
  pairs: bundledFile(EMBED_DATA.pairs), scitldrTrain: bundledFile(EMBED_DATA.scitldrTrain), scitldrDev: bundledFile(EMBED_DATA.scitldrDev),
}): RetrievalReport[] {
  const translation = evaluateRetrieval(translationPairs(files.pairs).test, embed);
  const dev = scitldrTest(files.scitldrDev);
  if (embed === null) return [translation, evaluateRetrieval(dev, null)];
  const tune = chooseDenseWeight(embed, scitldrTest(scitldrTuneSplit(files.scitldrTrain).tune, 'SciTLDR tuning papers'));
  return [translation, evaluateRetrieval(dev, embed, { chunk: abstractPassages, denseWeight: tune.weight, tryWeights: [1] }), tune.report];
}

/** Evaluation rows of the recipe's reports. */
function rows(reports: readonly RetrievalReport[]): RecipeEvalRow[] {
  const [tr, sci] = reports as [RetrievalReport, RetrievalReport];
  return [
    { metric: `${tr.name} R@1, dense`, value: tr.recallAt1.dense ?? NaN, baseline: 'BM25', baselineValue: tr.recallAt1.bm25 },
    { metric: `${sci.name} R@1, hybrid (RRF, dense weight ${sci.denseWeight} chosen on the tuning papers)`, value: sci.recallAt1.hybrid ?? NaN, baseline: 'BM25', baselineValue: sci.recallAt1.bm25 },
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
  const sci = scitldrPairs(scitldrTuneSplit(files.scitldrTrain).train, abstractPassages);
  const steps = Math.max(1, Math.round(minutes * STEPS_PER_MINUTE));
  const modelDir = join(o.out, 'model');
  o.log(`embed: ${translation.train.length.toLocaleString('en-US')} en-fr pairs, ${sci.length.toLocaleString('en-US')} SciTLDR pairs (the tuning papers left out), ${steps} steps`);
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

/**
 * HAN model directories (what `llmts train-han` writes and `llmts classify-doc` reads):
 * - model.safetensors  the parameters under their names (`han.embeddings.weight`, ...)
 * - config.json        `{ llmts: { format: 'llmts-han-model', version: 1, model: HanConfig,
 *                      labels: [...], document: { maxSentences, maxWords, lowercase } } }`
 * - vocab.txt          one word per line, line i = embedding row i (row 0: the unknown word)
 * Each file is written to a temp file and renamed. The family has no Hugging Face form.
 * Loading checks the config against the family's schema, the vocabulary's size and every
 * tensor's shape before the model is built; a missing or mismatched file is
 * `E_CHECKPOINT` naming it and the field.
 *
 * @example
 * saveHanModel('runs/spam', { model, vocab, labels: ['ham', 'spam'], document: DOCUMENT_DEFAULTS });
 * const { model, wordId, document } = loadHanModel('runs/spam');
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hanFamily, hanParameterShapes, parseHanConfig, type DocumentOptions, type HanConfig, type HanModel } from '../models/han/index.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { openLlmtsDir, readCheckedTensors } from './llmts-dir.ts';
import { saveSafetensors, type SafetensorsTensor } from './safetensors.ts';
import { vocabLookup } from './tree-model-dir.ts';

export const HAN_MODEL_FORMAT = 'llmts-han-model';

/** What `saveHanModel` writes. */
export interface HanModelFiles {
  model: HanModel;
  /** Words by embedding row; row 0 is the unknown word. */
  vocab: readonly string[];
  /** Label names by class id. */
  labels: readonly string[];
  /** How texts are cut into sentences and words for this model. */
  document: DocumentOptions;
}

/** What `loadHanModel` returns: the files and the word -> row lookup they imply. */
export interface LoadedHanModel extends HanModelFiles {
  config: HanConfig;
  /** Embedding row of a word (0 when unknown). */
  wordId: (word: string) => number;
}

/** Writes a HAN directory (see the module comment). */
export function saveHanModel(dir: string, f: HanModelFiles): void {
  if (f.vocab.length !== f.model.config.vocabSize) {
    throw new LlmtsError('E_CHECKPOINT', `vocabulary of ${f.vocab.length} words for a model of ${f.model.config.vocabSize} rows`, { where: dir, hint: 'save the vocabulary the model was built with' });
  }
  const bad = f.vocab.findIndex((w) => /[\n\r]/.test(w));
  if (bad >= 0) throw new LlmtsError('E_CHECKPOINT', `vocabulary word ${bad} contains a line break`, { where: dir, hint: 'words never contain line breaks' });
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, p] of f.model.namedParameters()) tensors[name] = { dtype: 'F32', shape: [...p.shape], data: p.data };
  saveSafetensors(join(dir, 'model.safetensors'), tensors);
  const meta = { format: HAN_MODEL_FORMAT, version: 1, model: f.model.config, labels: f.labels, document: f.document };
  writeFileAtomic(join(dir, 'config.json'), (put) => put(JSON.stringify({ llmts: meta }, null, 2) + '\n'));
  writeFileAtomic(join(dir, 'vocab.txt'), (put) => put(f.vocab.join('\n') + '\n'));
}

/** The `document` block of config.json, checked. */
function parseDocumentOptions(raw: unknown, where: string): DocumentOptions {
  const o = raw as Record<string, unknown> | null;
  const int = (k: string): number => {
    const v = o?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1 << 20) {
      throw new LlmtsError('E_CHECKPOINT', `${where}.${k} must be an integer 1-${1 << 20}, got ${JSON.stringify(v)}`, { where: `${where}.${k}`, hint: 'give a directory written by llmts train-han' });
    }
    return v;
  };
  if (typeof o !== 'object' || o === null || typeof o.lowercase !== 'boolean') {
    throw new LlmtsError('E_CHECKPOINT', `${where} must be { maxSentences, maxWords, lowercase }`, { where, hint: 'give a directory written by llmts train-han' });
  }
  return { maxSentences: int('maxSentences'), maxWords: int('maxWords'), lowercase: o.lowercase };
}

/** Reads a HAN directory written by `saveHanModel`. */
export function loadHanModel(dir: string): LoadedHanModel {
  const { file, cfgPath, meta } = openLlmtsDir(dir, HAN_MODEL_FORMAT, 'HAN model', 'give a directory written by llmts train-han', 1);
  const config = parseHanConfig(meta.model, `${cfgPath}: llmts.model`);
  const document = parseDocumentOptions(meta.document, `${cfgPath}: llmts.document`);
  const labels = Array.isArray(meta.labels) && meta.labels.length === config.numLabels ? meta.labels.map(String) : [...Array(config.numLabels).keys()].map(String);
  const vocabPath = file('vocab.txt');
  const vocab = readFileSync(vocabPath, 'utf8').split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  if (vocab.length !== config.vocabSize) {
    throw new LlmtsError('E_CHECKPOINT', `${vocabPath} has ${vocab.length} words but the model has ${config.vocabSize} embedding rows`, { where: vocabPath, hint: 'use the vocab.txt saved with the model' });
  }
  const weights = readCheckedTensors(file('model.safetensors'), hanParameterShapes(config));
  const model = hanFamily.create(config, { seed: 0 });
  model.loadStateDict(weights, { strict: true });
  return { model, config, vocab, labels, document, wordId: vocabLookup(vocab, document.lowercase) };
}

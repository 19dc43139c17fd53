/**
 * Tree-LSTM model directories (what `llmts train-tree` writes and `llmts sentiment` reads):
 * - model.safetensors  the parameters under their names (`tree.embeddings.weight`, ...)
 * - config.json        `{ llmts: { format: 'llmts-tree-model', version: 1, model: TreeConfig,
 *                      labels: [...], lowercase } }`
 * - vocab.txt          one word per line, line i = embedding row i (row 0: the unknown word)
 * Tree-LSTMs have no Hugging Face form. Loading checks the config against the family's
 * schema and every tensor's shape before the model is built; a missing or mismatched file
 * is `E_CHECKPOINT` naming it.
 *
 * @example
 * saveTreeModel('runs/sst', { model, vocab, labels: ['--', '-', '0', '+', '++'], lowercase: true });
 * const { model, wordId } = loadTreeModel('runs/sst');
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTreeConfig, treeFamily, treeParameterShapes, type TreeConfig } from '../models/tree/index.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { openLlmtsDir, readCheckedTensors } from './llmts-dir.ts';
import { saveSafetensors, type SafetensorsTensor } from './safetensors.ts';

export const TREE_MODEL_FORMAT = 'llmts-tree-model';

/** A Tree-LSTM as `treeFamily.create` builds it. */
export type TreeModel = ReturnType<typeof treeFamily.create>;

/** What `saveTreeModel` writes. */
export interface TreeModelFiles {
  model: TreeModel;
  /** Words by embedding row; row 0 is the unknown word. */
  vocab: readonly string[];
  /** Label names by class id. */
  labels: readonly string[];
  /** Words are lowercased before lookup. */
  lowercase: boolean;
}

/** What `loadTreeModel` returns: the files and the word -> row lookup they imply. */
export interface LoadedTreeModel extends TreeModelFiles {
  config: TreeConfig;
  /** Embedding row of a word (0 when unknown). */
  wordId: (word: string) => number;
}

/** The word -> row lookup of a vocabulary (unknown words: row 0). */
export function vocabLookup(vocab: readonly string[], lowercase: boolean): (word: string) => number {
  const index = new Map<string, number>();
  vocab.forEach((w, i) => { if (i > 0 && !index.has(w)) index.set(w, i); });
  return (word) => index.get(lowercase ? word.toLowerCase() : word) ?? 0;
}

/** Writes a Tree-LSTM directory (see the module comment); each file is written atomically. */
export function saveTreeModel(dir: string, f: TreeModelFiles): void {
  if (f.vocab.length !== f.model.config.vocabSize) {
    throw new LlmtsError('E_CHECKPOINT', `vocabulary of ${f.vocab.length} words for a model of ${f.model.config.vocabSize} rows`, { where: dir, hint: 'save the vocabulary the model was built with' });
  }
  const bad = f.vocab.findIndex((w) => /[\n\r]/.test(w));
  if (bad >= 0) throw new LlmtsError('E_CHECKPOINT', `vocabulary word ${bad} contains a line break`, { where: dir, hint: 'words are read from tree leaves and never contain line breaks' });
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, p] of f.model.namedParameters()) tensors[name] = { dtype: 'F32', shape: [...p.shape], data: p.data };
  saveSafetensors(join(dir, 'model.safetensors'), tensors);
  const meta = { format: TREE_MODEL_FORMAT, version: 1, model: f.model.config, labels: f.labels, lowercase: f.lowercase };
  writeFileAtomic(join(dir, 'config.json'), (put) => put(JSON.stringify({ llmts: meta }, null, 2) + '\n'));
  writeFileAtomic(join(dir, 'vocab.txt'), (put) => put(f.vocab.join('\n') + '\n'));
}

/** Reads a Tree-LSTM directory written by `saveTreeModel`. */
export function loadTreeModel(dir: string): LoadedTreeModel {
  const { file, cfgPath, meta } = openLlmtsDir(dir, TREE_MODEL_FORMAT, 'Tree-LSTM model', 'give a directory written by llmts train-tree');
  const config = parseTreeConfig(meta.model, `${cfgPath}: llmts.model`);
  const labels = Array.isArray(meta.labels) && meta.labels.length === config.numLabels ? meta.labels.map(String) : [...Array(config.numLabels).keys()].map(String);
  const lowercase = meta.lowercase === true;
  const vocabPath = file('vocab.txt');
  const vocab = readFileSync(vocabPath, 'utf8').split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  if (vocab.length !== config.vocabSize) {
    throw new LlmtsError('E_CHECKPOINT', `${vocabPath} has ${vocab.length} words but the model has ${config.vocabSize} embedding rows`, { where: vocabPath, hint: 'use the vocab.txt saved with the model' });
  }
  const weights = readCheckedTensors(file('model.safetensors'), treeParameterShapes(config));
  const model = treeFamily.create(config, { seed: 0 });
  model.loadStateDict(weights, { strict: true });
  return { model, config, vocab, labels, lowercase, wordId: vocabLookup(vocab, lowercase) };
}

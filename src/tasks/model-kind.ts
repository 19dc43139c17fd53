/**
 * What kind of model a path holds, read once from its files, so that every task (CLI
 * command, server route, library call) can say what it found and what it needs:
 * - `decoder`: a decoder-only language model (gpt2 / llama checkpoint, llama2.c .bin,
 *   GGUF): generates; embeds by mean pooling;
 * - `encoder`: a BERT (`head` mlm | sequence | token | none): embeds; classifies with a
 *   `sequence` head (labels from config.json's id2label);
 * - `seq2seq`: an encoder-decoder (BART): translates and summarises;
 * - `classifier`: a directory written by `llmts finetune --task classify` (a decoder trunk
 *   with `score.weight`, src/io/classifier-dir.ts): classifies;
 * - `tree`: a Tree-LSTM directory written by `llmts train-tree` (src/io/tree-model-dir.ts):
 *   classifies sentences (and every phrase);
 * - `han`: a hierarchical attention network (or its flat mean-pooled baseline) written by
 *   `llmts train-han` (src/io/han-model-dir.ts): classifies documents; a `han` explains its
 *   label with sentence and word attention weights;
 * - `linear`: a linear n-gram classifier (NBSVM) written by `llmts recipe sentiment`
 *   (src/io/linear-text-dir.ts): classifies sentences.
 * A task given the wrong kind is an `E_MODEL` error naming the path, the kind found and
 * the kind needed (`wrongKind`).
 *
 * @example
 * const m = loadTaskModel('runs/sentiment');  // { kind: 'classifier', labels: ['neg', 'pos'], ... }
 * describeTaskModel(m);                       // 'a gpt2 sequence classifier (labels neg, pos)'
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadClassifier } from '../io/classifier-dir.ts';
import { loadModel, type LoadModelOptions } from '../io/load-model.ts';
import { HAN_MODEL_FORMAT, loadHanModel } from '../io/han-model-dir.ts';
import { isLinearTextConfig, loadLinearText } from '../io/linear-text-dir.ts';
import type { LinearTextModel } from '../models/linear-text/index.ts';
import { loadTreeModel, TREE_MODEL_FORMAT, type TreeModel } from '../io/tree-model-dir.ts';
import type { DocumentOptions, HanModel } from '../models/han/index.ts';
import { asEncoder, isEncoder, type EncoderModel } from '../models/encoder/index.ts';
import type { ModelConfig } from '../models/registry.ts';
import type { ModelWithHead } from '../models/heads.ts';
import type { AnyModel } from '../models/registry.ts';
import { asSeq2Seq, isSeq2Seq, type Seq2SeqLM } from '../models/seq2seq/index.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';

/** The kinds of model the tasks tell apart. */
export type TaskModelKind = 'decoder' | 'encoder' | 'seq2seq' | 'classifier' | 'tree' | 'han' | 'linear';

interface Common {
  /** The file or directory read. */
  path: string;
}

/** A decoder-only language model. */
export interface DecoderTaskModel extends Common { kind: 'decoder'; model: AnyModel; tokenizer: AnyTokenizer }
/** A BERT-style encoder; `labels` for a sequence-classification head, else null. */
export interface EncoderTaskModel extends Common { kind: 'encoder'; model: EncoderModel; tokenizer: AnyTokenizer; labels: string[] | null }
/** An encoder-decoder. */
export interface Seq2SeqTaskModel extends Common { kind: 'seq2seq'; model: Seq2SeqLM; tokenizer: AnyTokenizer }
/** A fine-tuned sequence classifier (a decoder trunk with a score head). */
export interface ClassifierTaskModel extends Common { kind: 'classifier'; model: ModelWithHead<ModelConfig>; tokenizer: AnyTokenizer; labels: string[] }
/** A Tree-LSTM sentence classifier. */
export interface TreeTaskModel extends Common { kind: 'tree'; model: TreeModel; labels: string[]; wordId: (word: string) => number }

/** A document classifier of the HAN family (arch 'han' or its flat 'mean-pool' baseline). */
export interface HanTaskModel extends Common { kind: 'han'; model: HanModel; labels: string[]; wordId: (word: string) => number; document: DocumentOptions }

/** A linear n-gram classifier (NBSVM over hashed word uni- and bigrams). */
export interface LinearTaskModel extends Common { kind: 'linear'; model: LinearTextModel; labels: string[] }

/** A loaded model tagged with its kind. */
export type TaskModel = DecoderTaskModel | EncoderTaskModel | Seq2SeqTaskModel | ClassifierTaskModel | TreeTaskModel | HanTaskModel | LinearTaskModel;

/** Options of `loadTaskModel`. */
export interface LoadTaskModelOptions extends LoadModelOptions {
  /** Tokenizer name or file overriding the model's own (not for classifier / Tree-LSTM directories). */
  tokenizer?: string;
}

/** config.json of a directory as JSON, or null when there is none or it is not JSON (the loader reports that). */
function dirConfig(path: string): Record<string, unknown> | null {
  const file = join(path, 'config.json');
  if (!existsSync(path) || !statSync(path).isDirectory() || !existsSync(file)) return null;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** Label names of a BERT sequence head: config.json's id2label in id order, else LABEL_i. */
function encoderLabels(dir: string, numLabels: number): string[] {
  const fallback = Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`);
  const id2label = dirConfig(dir)?.id2label;
  if (typeof id2label !== 'object' || id2label === null) return fallback;
  const map = id2label as Record<string, unknown>;
  return fallback.map((l, i) => (typeof map[String(i)] === 'string' ? map[String(i)] as string : l));
}

/** Loads the model at `path` and tags it with its kind; see the module comment. */
export function loadTaskModel(path: string, o: LoadTaskModelOptions = {}): TaskModel {
  const meta = dirConfig(path)?.llmts as Record<string, unknown> | undefined;
  const special = meta?.format === TREE_MODEL_FORMAT ? 'Tree-LSTM' : meta?.format === HAN_MODEL_FORMAT ? 'HAN' : isLinearTextConfig(meta) ? 'linear n-gram classifier'
    : typeof meta?.head === 'object' && meta.head !== null ? 'classifier' : null;
  if (special !== null && o.tokenizer !== undefined) {
    throw new LlmtsError('E_FLAG', `${path} is a ${special} directory, which carries its own vocabulary`, { where: '--tokenizer', hint: 'leave --tokenizer out' });
  }
  const flag = o.adapter !== undefined ? '--adapter' : o.quantize !== undefined ? '--quantize' : null;
  if (special !== null && flag !== null) {
    throw new LlmtsError('E_FLAG', `${flag} is for language models; ${path} is a ${special} directory`, { where: flag, hint: `leave ${flag} out` });
  }
  if (special === 'Tree-LSTM') {
    const t = loadTreeModel(path);
    return { kind: 'tree', model: t.model, labels: [...t.labels], wordId: t.wordId, path };
  }
  if (special === 'HAN') {
    const h = loadHanModel(path);
    return { kind: 'han', model: h.model, labels: [...h.labels], wordId: h.wordId, document: h.document, path };
  }
  if (special === 'linear n-gram classifier') {
    const l = loadLinearText(path);
    return { kind: 'linear', model: l.model, labels: l.labels, path };
  }
  if (special === 'classifier') {
    const c = loadClassifier(path);
    return { kind: 'classifier', model: c.model, tokenizer: c.tokenizer, labels: [...c.head.labels], path };
  }
  const { model, tokenizer, path: read } = loadModel(path, o.tokenizer, { adapter: o.adapter, quantize: o.quantize });
  if (isEncoder(model.config)) {
    const enc = asEncoder(model, path);
    const labels = enc.config.head === 'sequence' ? encoderLabels(read, enc.config.numLabels) : null;
    return { kind: 'encoder', model: enc, tokenizer, labels, path: read };
  }
  if (isSeq2Seq(model.config)) return { kind: 'seq2seq', model: asSeq2Seq(model, path), tokenizer, path: read };
  return { kind: 'decoder', model, tokenizer, path: read };
}

const ENCODER_HEADS: Record<string, string> = { mlm: 'a masked-LM head', sequence: 'a sequence-classification head', token: 'a token-classification head', none: 'no head' };

/** One phrase naming the model: 'a gpt2 decoder-only language model', 'a bert encoder with a masked-LM head', ... */
export function describeTaskModel(m: TaskModel): string {
  switch (m.kind) {
    case 'decoder': return `a ${m.model.config.arch} decoder-only language model`;
    case 'encoder': return `a ${m.model.config.arch} encoder with ${ENCODER_HEADS[m.model.config.head]}`;
    case 'seq2seq': return `a ${m.model.config.arch} encoder-decoder`;
    case 'classifier': return `a ${m.model.config.arch} sequence classifier (labels ${m.labels.join(', ')})`;
    case 'tree': return `a ${m.model.config.arch} sentence classifier (labels ${m.labels.join(', ')})`;
    case 'han': return `a ${m.model.config.arch} document classifier (labels ${m.labels.join(', ')})`;
    case 'linear': return `a ${m.model.config.arch} linear n-gram classifier (labels ${m.labels.join(', ')})`;
  }
}

/**
 * The E_MODEL error of a task given the wrong kind of model: `caller` (e.g. 'llmts
 * summarize'), the architecture and kind found, what the task needs and how to get one.
 */
export function wrongKind(m: TaskModel, caller: string, needs: string, hint: string): LlmtsError {
  return new LlmtsError('E_MODEL', `${caller}: the model is a ${m.model.config.arch}, not ${needs}: ${m.path} is ${describeTaskModel(m)}`, { where: m.path, hint });
}

/** The model's tokenizer; null for the word-level kinds (Tree-LSTM, HAN, linear), which read words. */
export function taskTokenizer(m: TaskModel): AnyTokenizer | null {
  return m.kind === 'tree' || m.kind === 'han' || m.kind === 'linear' ? null : m.tokenizer;
}

/** The model's context in tokens; null for the word-level kinds (Tree-LSTM, HAN, linear: any number of words). */
export function taskContextLength(m: TaskModel): number | null {
  return m.kind === 'tree' || m.kind === 'han' || m.kind === 'linear' ? null : m.model.config.blockSize;
}

/**
 * The data of a fine-tuning run, read, tokenized and split into train and validation:
 * - `lm`: text files (.txt / .md: one document each; .jsonl: the `text` field of each
 *   line; a folder: its .txt, .md and .jsonl files, e.g. `llmts data prepare` shards),
 *   each document followed by the tokenizer's eos (when it has one), as one token stream;
 *   validation is its last `valFraction`, or the files of `valFiles`.
 * - `sft`: conversations (src/data/sft-data.ts) rendered by `render` (the chat template and
 *   the assistant mask: src/infer/chat-mask.ts, passed in by the caller), cut to T + 1
 *   ids; rows left with nothing to learn are dropped and counted; with `packing` the
 *   training rows are packed to T + 1 ids each.
 * - `classify`: labelled texts (src/data/classify-data.ts) encoded and cut to T ids;
 *   labels are ids into `labels` (from the training files unless given).
 * Splits are seeded shuffles (finetune-batches.ts `splitExamples`), so the same seed and
 * files give the same split.
 *
 * @example
 * const { data } = await prepareFinetuneData({ task: 'classify', files: ['uci.txt'], tokenizer, blockSize: 64, valFraction: 0.1, seed: 1 });
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labelSet, readLabelled } from '../data/classify-data.ts';
import { jsonLineEvent } from '../data/ingest/jsonl-batches.ts';
import { readConversations, type Turn } from '../data/sft-data.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { packExamples, splitExamples, truncateExample } from './finetune-batches.ts';
import type { FinetuneData, LabelledIds } from './finetune.ts';
import type { FinetuneTask } from './finetune-model.ts';
import type { SftExample } from './objectives/causal-lm.ts';

/** Options of `prepareFinetuneData`. */
export interface DataOptions {
  task: FinetuneTask;
  files: readonly string[];
  /** Validation files (default: `valFraction` of the training data). */
  valFiles?: readonly string[];
  tokenizer: Tokenizer;
  blockSize: number;
  valFraction: number;
  seed: number;
  /** sft: render a conversation into ids and a training mask. */
  render?: (messages: Turn[], where: string) => SftExample;
  packing?: boolean;
  /** classify: the label names by id (default: the labels of the data, ordered by `labelSet`). */
  labels?: readonly string[];
}

/** What `prepareFinetuneData` returns. */
export interface PreparedData {
  data: FinetuneData;
  /** classify: label names by id. */
  labels: string[] | null;
  /** Lines that say what was read (for the log). */
  notes: string[];
}

function noFile(path: string): LlmtsError {
  return new LlmtsError('E_DATA', `no data file ${path}`, { where: path, hint: 'check the path given to --data / --val-data' });
}

/** The files a path stands for: itself, or a folder's .txt / .md / .jsonl files (sorted). */
function expand(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    if (!existsSync(p)) throw noFile(p);
    if (!statSync(p).isDirectory()) return [p];
    const inside = readdirSync(p).filter((f) => /\.(txt|md|jsonl)$/.test(f)).sort().map((f) => join(p, f));
    if (inside.length === 0) throw new LlmtsError('E_DATA', `${p} holds no .txt, .md or .jsonl file`, { where: p, hint: 'pass text files or a folder of them' });
    return inside;
  });
}

/** The documents of text files (see the module comment). */
function readDocuments(files: readonly string[]): string[] {
  const docs: string[] = [];
  for (const file of expand(files)) {
    const text = readFileSync(file, 'utf8');
    if (!file.endsWith('.jsonl')) {
      docs.push(text);
      continue;
    }
    text.split('\n').forEach((line, i) => {
      const e = jsonLineEvent(line, i + 1, 'text');
      if (!e) return;
      if (e.kind === 'bad') throw new LlmtsError('E_DATA', `${file}:${e.loc}: ${e.reason}`, { where: `${file}:${e.loc}`, hint: 'one JSON object with a "text" string a line' });
      docs.push(e.text);
    });
  }
  return docs;
}

function tokenStream(docs: readonly string[], tok: Tokenizer): Uint32Array {
  const eos = tok.specialIds.eos;
  const ids: number[] = [];
  for (const d of docs) {
    for (const id of tok.encode(d)) ids.push(id);
    if (eos !== undefined) ids.push(eos);
  }
  return Uint32Array.from(ids);
}

function lmData(o: DataOptions): PreparedData {
  const train = tokenStream(readDocuments(o.files), o.tokenizer);
  if (o.valFiles) {
    const val = tokenStream(readDocuments(o.valFiles), o.tokenizer);
    return { data: { task: 'lm', train: [train], val: [val] }, labels: null, notes: [`${train.length.toLocaleString('en-US')} train / ${val.length.toLocaleString('en-US')} val tokens`] };
  }
  const nVal = Math.max(o.blockSize + 1, Math.round(o.valFraction * train.length));
  if (train.length - nVal < o.blockSize + 1) {
    throw new LlmtsError('E_DATA', `${train.length} tokens are too few for a train and a validation window of ${o.blockSize + 1} tokens`, { where: o.files.join(', '), hint: 'give more text or a smaller --block-size' });
  }
  const cut = train.length - nVal;
  return {
    data: { task: 'lm', train: [train.subarray(0, cut)], val: [train.subarray(cut)] }, labels: null,
    notes: [`${cut.toLocaleString('en-US')} train / ${nVal.toLocaleString('en-US')} val tokens (the last ${(100 * o.valFraction).toFixed(0)}%)`],
  };
}

function sftExamples(files: readonly string[], o: DataOptions): { rows: SftExample[]; cut: number; dropped: number } {
  if (!o.render) throw new LlmtsError('E_CONFIG', 'sft data needs a render function (chat template + mask)', { where: 'prepareFinetuneData', hint: 'pass render' });
  let cut = 0, dropped = 0;
  const rows: SftExample[] = [];
  for (const c of readConversations(expand(files))) {
    const full = o.render(c.messages, c.where);
    if (full.ids.length > o.blockSize + 1) cut++;
    const e = truncateExample(full, o.blockSize + 1);
    let learned = 0;
    for (let i = 1; i < e.ids.length; i++) if (e.mask[i]) learned++;
    if (learned === 0) dropped++;
    else rows.push(e);
  }
  return { rows, cut, dropped };
}

function sftData(o: DataOptions): PreparedData {
  const all = sftExamples(o.files, o);
  const split = o.valFiles ? { train: all.rows, val: sftExamples(o.valFiles, o).rows } : splitExamples(all.rows, o.valFraction, o.seed);
  if (split.train.length === 0) throw new LlmtsError('E_DATA', 'no conversation left to train on', { where: o.files.join(', '), hint: 'give conversations with assistant turns that fit in --block-size' });
  const train = o.packing ? packExamples(split.train, o.blockSize) : split.train;
  if (train.length === 0) throw new LlmtsError('E_DATA', `--packing: the conversations fill no row of ${o.blockSize + 1} tokens`, { where: '--packing', hint: 'give more data or a smaller --block-size' });
  const notes = [`${all.rows.length + all.dropped} conversations: ${split.train.length} train / ${split.val.length} val${o.packing ? ` (train packed into ${train.length} rows of ${o.blockSize + 1} tokens)` : ''}`];
  if (all.cut > 0) notes.push(`${all.cut} conversations longer than ${o.blockSize + 1} tokens were cut`);
  if (all.dropped > 0) notes.push(`${all.dropped} conversations had no assistant token within ${o.blockSize + 1} tokens and were dropped`);
  return { data: { task: 'sft', train, val: split.val }, labels: null, notes };
}

async function classifyData(o: DataOptions): Promise<PreparedData> {
  const rows = await readLabelled(expand(o.files));
  const valRows = o.valFiles ? await readLabelled(expand(o.valFiles)) : null;
  const labels = o.labels ? [...o.labels] : labelSet([...rows, ...(valRows ?? [])]);
  if (labels.length < 2) throw new LlmtsError('E_DATA', `the data has ${labels.length} label (${labels.join(', ')}); classification needs at least 2`, { where: o.files.join(', '), hint: 'check the label column' });
  const index = new Map(labels.map((l, i) => [l, i]));
  let cut = 0;
  const encode = (r: { text: string; label: string; where: string }): LabelledIds => {
    const label = index.get(r.label);
    if (label === undefined) throw new LlmtsError('E_DATA', `${r.where}: label '${r.label}' is not one of ${labels.join(', ')}`, { where: r.where, hint: 'use the labels of the training data' });
    let ids = o.tokenizer.encode(r.text);
    if (ids.length > o.blockSize) {
      ids = ids.slice(0, o.blockSize);
      cut++;
    }
    if (ids.length === 0) throw new LlmtsError('E_DATA', `${r.where}: the text encodes to no token`, { where: r.where, hint: 'give a non-empty text' });
    return { ids, label };
  };
  const all = rows.map(encode);
  const split = valRows ? { train: all, val: valRows.map(encode) } : splitExamples(all, o.valFraction, o.seed);
  const notes = [`${all.length + (valRows?.length ?? 0)} texts, labels ${labels.join(', ')}: ${split.train.length} train / ${split.val.length} val`];
  if (cut > 0) notes.push(`${cut} texts longer than ${o.blockSize} tokens were cut`);
  return { data: { task: 'classify', train: split.train, val: split.val }, labels, notes };
}

/** Reads, tokenizes and splits the data of one task; see the module comment. */
export async function prepareFinetuneData(o: DataOptions): Promise<PreparedData> {
  if (o.task === 'lm') return lmData(o);
  if (o.task === 'sft') return sftData(o);
  return classifyData(o);
}

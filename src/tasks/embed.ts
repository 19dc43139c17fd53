/**
 * Sentence embeddings: one L2-normalised vector per text, from any model with a sensible
 * one (model-kind.ts):
 * - an `encoder` (BERT): sentence-transformers' masked mean over the last hidden states,
 *   or the [CLS] state (`pooling: 'cls'`), src/infer/encoder.ts; texts cut to the context;
 * - a `seq2seq` model (BART): the masked mean of its encoder's hidden states (the source
 *   side, <s> text </s>, cut to the context as for translation);
 * - a `decoder` or a `classifier` directory's trunk: the mean of the final hidden states
 *   over the prompt's tokens (src/infer/embed.ts); a text longer than the context is an
 *   E_PROMPT error, as in the server's /v1/embeddings.
 * A Tree-LSTM or a HAN has no sentence embedding here: an E_MODEL error naming it.
 *
 * @example
 * embed(loadTaskModel('test/fixtures/hf-bert/base'), ['a cat', 'a dog']); // [Float32Array(C), Float32Array(C)]
 */
import { sentenceEmbeddings } from '../infer/encoder.ts';
import { embedIds } from '../infer/embed.ts';
import { inferenceScope } from '../infer/inference-scope.ts';
import { encodePrompt } from '../infer/tokens.ts';
import type { AnyModel } from '../models/registry.ts';
import { LlmtsError } from '../util/errors.ts';
import { describeTaskModel, wrongKind, type Seq2SeqTaskModel, type TaskModel } from './model-kind.ts';

/** How a sentence vector is taken from the hidden states: the mean over the tokens, or the first ([CLS]) token's (encoders). */
export type EmbedPooling = 'mean' | 'cls';

/** Options of `embed`. */
export interface EmbedOptions {
  /** Default 'mean'; 'cls' for encoders only. */
  pooling?: EmbedPooling;
  /** Texts per forward pass (encoders and encoder-decoders; default 32). */
  batchSize?: number;
  /** Called after each batch with the texts done so far and their total. */
  onProgress?: (done: number, total: number) => void;
  /** Who asks, for error messages (default 'embed'). */
  caller?: string;
}

/** True when `m` gives sentence embeddings. */
export function canEmbed(m: TaskModel): boolean {
  return m.kind !== 'tree' && m.kind !== 'han';
}

/** The decoder whose hidden states embed token ids: the model itself, or a classifier's trunk; null for the other kinds. */
function decoderTrunk(m: TaskModel): AnyModel | null {
  if (m.kind === 'decoder') return m.model;
  if (m.kind === 'classifier') return m.model.base as AnyModel;
  return null;
}

/** Mean-pooled, L2-normalised embedding of token ids (decoders and classifier trunks: the server's token-id input). */
export function embedTokenIds(m: TaskModel, ids: readonly number[], caller = 'embed'): Float32Array {
  const trunk = decoderTrunk(m);
  if (trunk === null) {
    throw new LlmtsError('E_INPUT', `${caller}: token ids as input need a decoder; ${m.path} is ${describeTaskModel(m)}`, { where: 'input', hint: 'send the input as text' });
  }
  return embedIds(trunk, ids);
}

/** Masked mean of an encoder-decoder's encoder states, L2-normalised. */
function seq2seqEmbeddings(m: Seq2SeqTaskModel, texts: readonly string[], bs: number, onProgress?: (done: number, total: number) => void): Float32Array[] {
  const { blockSize, eosId } = m.model.config;
  const C = m.model.hiddenSize, pad = m.model.config.padId;
  const out: Float32Array[] = [];
  for (let s = 0; s < texts.length; s += bs) {
    const rows = texts.slice(s, s + bs).map((t) => {
      const ids = m.tokenizer.encode(t, { addSpecialTokens: true });
      if (ids.length <= blockSize) return ids;
      const cut = ids.slice(0, blockSize);
      if (ids[ids.length - 1] === eosId) cut[blockSize - 1] = eosId;
      return cut;
    });
    const B = rows.length, S = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(B * S).fill(pad), mask = new Float32Array(B * S);
    rows.forEach((r, b) => {
      ids.set(r, b * S);
      mask.fill(1, b * S, b * S + r.length);
    });
    inferenceScope(m.model, () => {
      const h = m.model.encode({ ids, B, S, mask }).data; // (B, S, C)
      rows.forEach((r, b) => {
        const acc = new Float64Array(C);
        for (let t = 0; t < r.length; t++) for (let i = 0; i < C; i++) acc[i] += h[(b * S + t) * C + i]!;
        let ss = 0;
        for (let i = 0; i < C; i++) ss += (acc[i]! / r.length) ** 2;
        const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        out.push(Float32Array.from(acc, (v) => (v / r.length) * inv));
      });
    });
    onProgress?.(out.length, texts.length);
  }
  return out;
}

/** One L2-normalised vector per text; see the module comment. */
export function embed(m: TaskModel, texts: readonly string[], o: EmbedOptions = {}): Float32Array[] {
  const caller = o.caller ?? 'embed', pooling = o.pooling ?? 'mean', bs = o.batchSize ?? 32;
  if (m.kind === 'tree' || m.kind === 'han' || m.kind === 'linear') {
    throw wrongKind(m, caller, 'a model with sentence embeddings', 'use an encoder (a bert checkpoint, llmts recipe embed), an encoder-decoder or a language model');
  }
  if (pooling !== 'mean' && pooling !== 'cls') throw new LlmtsError('E_INPUT', `${caller}: pooling must be 'mean' or 'cls', got '${String(pooling)}'`, { where: 'pooling', hint: "use 'mean'" });
  if (pooling === 'cls' && m.kind !== 'encoder') {
    throw new LlmtsError('E_INPUT', `${caller}: [CLS] pooling needs an encoder; ${m.path} is ${describeTaskModel(m)}`, { where: 'pooling', hint: "use mean pooling (the default)" });
  }
  if (texts.length === 0) throw new LlmtsError('E_INPUT', `${caller}: no text to embed`, { where: 'input', hint: 'give at least one text' });
  if (m.kind === 'encoder') {
    const out: Float32Array[] = [];
    for (let s = 0; s < texts.length; s += bs) {
      out.push(...sentenceEmbeddings(m.model, m.tokenizer, texts.slice(s, s + bs), { pooling, batchSize: bs }));
      o.onProgress?.(out.length, texts.length);
    }
    return out;
  }
  if (m.kind === 'seq2seq') return seq2seqEmbeddings(m, texts, bs, o.onProgress);
  const out: Float32Array[] = [];
  for (const text of texts) {
    out.push(embedTokenIds(m, encodePrompt(m.tokenizer, text), caller));
    if (out.length % bs === 0 || out.length === texts.length) o.onProgress?.(out.length, texts.length);
  }
  return out;
}

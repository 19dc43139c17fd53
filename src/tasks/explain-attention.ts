/**
 * Attention explanations for Transformer classifiers (`classify(..., { explain: true })`):
 * a BERT with a sequence head and a fine-tuned decoder classifier (`llmts finetune --task
 * classify`). Their attention runs fused and keeps no probabilities, so explaining a text
 * runs the model once more with each layer's attention input recorded, and recomputes
 * from it, in float64, the layer's attention probabilities averaged over heads (the same
 * q and k, RoPE, scale 1/sqrt(hs), causal and padding masks as the fused kernel). The
 * model's own forward is unchanged: its layers are only observed (see `recordLayerInputs`).
 *
 * The weights are attention rollout (Abnar & Zuidema 2020): R = (A_L/2 + I/2) ... (A_1/2 + I/2),
 * the identity standing for the residual stream, read at the positions the classifier
 * pools (a BERT's [CLS], a decoder head's last token or the mean of its tokens). Special
 * tokens are dropped, the rest renormalised to sum 1 and summed into the text's words
 * (runs of non-space characters of the decoded text), reported as one "sentence" in the
 * HAN's explanation shape (labels.ts), so the CLI, the server and the web page show both
 * alike. Rollout says where information flowed from, not why the label was chosen.
 *
 * @example
 * const [c] = classify(loadTaskModel('runs/bert-sst2'), ['a gorgeous, witty film'], { explain: true });
 * c.attention.sentences[0].words; // [{ text: 'a', weight: 0.08 }, { text: 'gorgeous,', weight: 0.31 }, ...]
 */
import { encodeTexts } from '../infer/encoder.ts';
import { inferenceScope } from '../infer/inference-scope.ts';
import type { Module } from '../nn/module.ts';
import { RopeFrequencies } from '../nn/rope-scaling.ts';
import { Decoder } from '../models/decoder/decoder.ts';
import { Encoder } from '../models/encoder/encoder.ts';
import type { PackedBatch } from '../models/encoder/inference.ts';
import { EncoderLayer } from '../models/encoder/layers.ts';
import { poolingWeights, type Pooling } from '../models/heads.ts';
import { reshape, rope, Tensor, transpose12 } from '../tensor/index.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import type { AttentionExplanation } from './labels.ts';
import type { ClassifierTaskModel, EncoderTaskModel } from './model-kind.ts';

/**
 * One layer's attention probabilities averaged over heads, (T, T) row-major (row: query).
 * q (nh, T, hs) and k (nkv, T, hs) head-major; query head h reads key head h / (nh / nkv);
 * `keyMask` (T) 0 hides a key; causal hides later keys.
 */
export function headAveragedAttention(q: Float32Array, k: Float32Array, T: number, nh: number, nkv: number, hs: number,
  o: { causal: boolean; keyMask?: ArrayLike<number> | null }): Float64Array {
  const out = new Float64Array(T * T);
  const scale = 1 / Math.sqrt(hs), group = nh / nkv;
  const s = new Float64Array(T);
  for (let h = 0; h < nh; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        const hidden = (o.causal && j > i) || (o.keyMask != null && o.keyMask[j] === 0);
        let dot = 0;
        if (!hidden) for (let d = 0; d < hs; d++) dot += q[(h * T + i) * hs + d]! * k[(kh * T + j) * hs + d]!;
        s[j] = hidden ? -Infinity : dot * scale;
        max = Math.max(max, s[j]!);
      }
      let sum = 0;
      for (let j = 0; j < T; j++) sum += (s[j] = s[j] === -Infinity ? 0 : Math.exp(s[j]! - max));
      for (let j = 0; j < T; j++) out[i * T + j]! += s[j]! / sum / nh;
    }
  }
  return out;
}

/**
 * Attention rollout read at the pooled positions: pool^T (A_L/2 + I/2) ... (A_1/2 + I/2)
 * for per-layer (T, T) matrices (first layer first) and position weights `pool` (T), as a
 * vector times each layer from the last down (T^2 per layer, never the T x T product).
 */
export function attentionRollout(layers: readonly Float64Array[], T: number, pool: ArrayLike<number>): Float64Array {
  let v = Float64Array.from(pool);
  for (let l = layers.length - 1; l >= 0; l--) {
    const a = layers[l]!;
    const next = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      next[i]! += 0.5 * vi;
      for (let j = 0; j < T; j++) next[j]! += 0.5 * vi * a[i * T + j]!;
    }
    v = next;
  }
  return v;
}

/**
 * Runs `fn` with each of `mods`' forward observed: `observe(i, args)` sees module i's
 * arguments before it runs as usual. The observer is an own property on the instance,
 * removed afterwards (the class's method is never replaced).
 */
export function recordLayerInputs<M extends Module>(mods: readonly M[], observe: (i: number, args: unknown[]) => void, fn: () => void, method = 'forward'): void {
  type Fwd = (...args: unknown[]) => unknown;
  const owned = mods.map((m) => m as unknown as Record<string, Fwd>);
  const own = owned.map((m) => (Object.hasOwn(m, method) ? m[method]! : null));
  owned.forEach((m, i) => {
    const original = m[method]!;
    m[method] = (...args: unknown[]) => {
      observe(i, args);
      return original.apply(m, args);
    };
  });
  try {
    fn();
  } finally {
    owned.forEach((m, i) => {
      if (own[i]) m[method] = own[i]!;
      else delete m[method];
    });
  }
}

/** (1, T, n * hs) data -> head-major (n, T, hs) data; with `ropeAt`, RoPE applied as the attention does. */
function heads(x: Float32Array, T: number, n: number, hs: number, ropeAt?: (t: Tensor) => Tensor): Float32Array {
  let t = transpose12(reshape(new Tensor(x, [1, T, n * hs]), [1, T, n, hs])); // (1, n, T, hs)
  if (ropeAt) t = ropeAt(t); // (1, n, T, hs)
  return t.data.slice();
}

/** Per-layer head-averaged attention (T, T each, first layer first) of a decoder on `ids` (one sequence, causal). */
export function decoderAttention(dec: Decoder, ids: Int32Array): Float64Array[] {
  const T = ids.length;
  const run = () => inferenceScope(dec, () => { dec.hiddenStates({ ids, B: 1, T }); });
  const layers: Float64Array[] = [];
  const attns = dec.trunk.blocks.items.map((b) => b.attn);
  recordLayerInputs(attns, (i, args) => {
    const attn = attns[i]!;
    const x = args[0] as Tensor; // (1, T, C): the block's normed input
    const { nHead: nh, nKvHead: nkv, headSize: hs } = attn;
    const kvC = nkv * hs;
    let q: Float32Array, k: Float32Array;
    if (attn.qkv) {
      const qkv = attn.qkv.forward(x).data; // (1, T, C + 2 kvC)
      const w = nh * hs + 2 * kvC;
      q = new Float32Array(T * nh * hs);
      k = new Float32Array(T * kvC);
      for (let t = 0; t < T; t++) {
        q.set(qkv.subarray(t * w, t * w + nh * hs), t * nh * hs);
        k.set(qkv.subarray(t * w + nh * hs, t * w + nh * hs + kvC), t * kvC);
      }
    } else {
      q = attn.q!.forward(x).data; // (1, T, C)
      k = attn.k!.forward(x).data; // (1, T, kvC)
    }
    const cfg = attn.ropeCfg;
    const ropeAt = cfg ? (t: Tensor) => {
      const { invFreq, attnFactor } = new RopeFrequencies(cfg, hs).at(T);
      return rope(t, { posOffset: 0, theta: cfg.theta, interleaved: cfg.interleaved, invFreq, attnFactor });
    } : undefined;
    layers.push(headAveragedAttention(heads(q, T, nh, hs, ropeAt), heads(k, T, nkv, hs, ropeAt), T, nh, nkv, hs, { causal: true }));
  }, run);
  return layers;
}

/** Per-layer head-averaged attention (T, T each, first layer first) of a BERT on one sequence, keys hidden where `attentionMask` is 0. */
export function encoderAttention(enc: Encoder, ids: Int32Array, attentionMask: Float32Array | null = null): Float64Array[] {
  const T = ids.length;
  const run = () => inferenceScope(enc, () => { enc.hiddenStates({ ids, B: 1, T, attentionMask }); });
  const layers: Float64Array[] = [];
  const items: EncoderLayer[] = enc.trunk.layers.items;
  const nh = enc.config.nHead, hs = enc.config.nEmbd / nh;
  // The run takes the encoder's inference path (layers.ts `forwardPacked`): x (T, C) holds the
  // sequence's rows packed, its real tokens (the keys) first, then its padding; `order` maps a
  // packed row back to its position (null: already in order).
  recordLayerInputs(items, (i, args) => {
    const x = args[0] as Tensor, seq = args[1] as PackedBatch; // (T, C) packed rows
    const layer = items[i]!;
    const q = heads(layer.query.forward(x).data, T, nh, hs), k = heads(layer.key.forward(x).data, T, nh, hs);
    const keyMask = Float32Array.from({ length: T }, (_, r) => (r < seq.nKeys[0]! ? 1 : 0)); // (T) over packed rows
    const packed = headAveragedAttention(q, k, T, nh, nh, hs, { causal: false, keyMask }); // (T, T) in packed order
    layers.push(seq.order ? unpackRows(packed, seq.order, T) : packed);
  }, run, 'forwardPacked');
  return layers;
}

/** A (T, T) matrix over packed rows -> the same over positions: entry (r, s) goes to (order[r], order[s]). */
function unpackRows(packed: Float64Array, order: Int32Array, T: number): Float64Array {
  const out = new Float64Array(T * T);
  for (let r = 0; r < T; r++) for (let s = 0; s < T; s++) out[order[r]! * T + order[s]!] = packed[r * T + s]!;
  return out;
}

/** Token weights -> word weights over the decoded text of the non-special tokens (see the module comment). */
export function wordWeights(tokenizer: AnyTokenizer, ids: readonly number[], weights: ArrayLike<number>): { text: string; weight: number }[] {
  const special = new Set(Object.values(tokenizer.specialIds).filter((x): x is number => typeof x === 'number'));
  const keep = ids.map((id, t) => ({ id, w: weights[t]! })).filter((x) => !special.has(x.id));
  const total = keep.reduce((a, x) => a + x.w, 0) || 1;
  const text = tokenizer.decode(keep.map((x) => x.id));
  const words = [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index!, end: m.index! + m[0].length, weight: 0 }));
  if (words.length === 0) return [];
  let end = 0;
  keep.forEach((x, t) => {
    end = Math.min(text.length, Math.max(end, tokenizer.decode(keep.slice(0, t + 1).map((y) => y.id)).length));
    // the token's last character picks its word; a token of spaces goes to the word after it
    const word = words.find((w) => end - 1 < w.end && (end - 1 >= w.start || end <= w.start)) ?? words.at(-1)!;
    word.weight += x.w / total;
  });
  return words.map((w) => ({ text: w.text, weight: w.weight }));
}

/** Rollout weights of one text with a decoder classifier (its ids as `classify` reads them). */
function explainClassifier(m: ClassifierTaskModel, text: string): AttentionExplanation {
  const ctx = m.model.config.blockSize;
  const ids = Int32Array.from(m.tokenizer.encode(text).slice(0, ctx));
  const T = ids.length;
  const head = m.model.head as unknown as { pooling?: Pooling; padId?: number };
  const pool = poolingWeights({ ids, B: 1, T }, head.pooling ?? 'last', head.padId).data; // (1, 1, T)
  const layers = decoderAttention(m.model.base as Decoder, ids);
  return explanation(m.tokenizer, text, Array.from(ids), attentionRollout(layers, T, pool));
}

/** Rollout weights of one text with a BERT sequence classifier, read at [CLS]. */
function explainEncoder(m: EncoderTaskModel, text: string): AttentionExplanation {
  const enc = m.model as unknown as Encoder;
  const batch = encodeTexts(m.tokenizer, [text], enc.config.blockSize); // (1, T)
  const T = batch.T;
  const layers = encoderAttention(enc, batch.ids, batch.attentionMask);
  const cls = new Float32Array(T);
  cls[0] = 1;
  return explanation(m.tokenizer, text, Array.from(batch.ids), attentionRollout(layers, T, cls));
}

function explanation(tokenizer: AnyTokenizer, text: string, ids: number[], weights: ArrayLike<number>): AttentionExplanation {
  return { sentences: [{ text, weight: 1, words: wordWeights(tokenizer, ids, weights) }] };
}

/** True when `m` is a Transformer classifier this file can explain (a decoder trunk with a head, or a BERT with a sequence head). */
export function canExplainTransformer(m: { kind: string; model: unknown; labels?: unknown }): boolean {
  if (m.kind === 'classifier') return (m as ClassifierTaskModel).model.base instanceof Decoder;
  return m.kind === 'encoder' && m.labels !== null && m.model instanceof Encoder;
}

/** The attention explanation of `text` under a Transformer classifier (`canExplainTransformer`). */
export function explainTransformer(m: ClassifierTaskModel | EncoderTaskModel, text: string): AttentionExplanation {
  return m.kind === 'classifier' ? explainClassifier(m, text) : explainEncoder(m, text);
}

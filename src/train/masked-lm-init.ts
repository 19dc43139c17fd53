/**
 * Local-attention initialisation of a BERT encoder for masked-LM pretraining
 * (`--attentionInit=local`). With the usual N(0, 0.02) weights, attention starts uniform:
 * a [MASK] position sees the mean of its window, and a small encoder stays for hundreds of
 * steps on the unigram and then the bag-of-words plateau (bert-mini: ~14% masked-token
 * accuracy after 800 steps) before attending to its neighbours. This init starts each head
 * on one neighbour instead, in the weights of an unchanged HF `BertModel` (learned
 * absolute positions, post-LayerNorm), so training leaves the plateau within ~200 steps:
 *
 * - position p's embedding is C/2 (cos, sin) pairs of random frequencies,
 *   `std * (cos(w_k p), sin(w_k p))` with w_k ~ N(0, 1 / sigma^2): the dot product of two
 *   positions is a Gaussian kernel of their distance (random Fourier features);
 * - in every layer the query weights are N(0, qkStd) and head h's key rows are its query
 *   rows times R_d, the rotation of every (cos, sin) pair by w_k * d, d = offsets[h mod n]:
 *   R_d turns position j's features into position j + d's, so query i scores key j by the
 *   kernel of i - (j + d): head h attends mostly to position i - d (d = +1: the token on the
 *   left, -1: on the right, ...).
 *
 * Everything else keeps the model's own init. The same seed gives the same weights.
 *
 * @example
 * const model = createModel(bertConfig({ vocabSize: 8192, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 256 }), { seed: 1337 });
 * initLocalAttention(model, { seed: 1337 }); // head 0 of each layer now looks at the token on the left
 */
import type { AnyModel } from '../models/registry.ts';
import type { Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';

/** Settings of `initLocalAttention`; the defaults are the bert-* presets'. */
export interface LocalAttentionInit {
  seed: number;
  /** Offset d of the key each head starts on (head h: offsets[h mod length]); default +1, -1, +2, -2. */
  offsets?: readonly number[];
  /** Width of the position kernel in tokens (default 1: neighbours 1 apart score e^-0.5 of an exact match). */
  sigma?: number;
  /** Scale of each position feature (default 0.04; word embeddings are N(0, 0.02)). */
  positionStd?: number;
  /** Std of the query weights (default 0.08: sharp enough that a head puts most of its weight on its offset). */
  qkStd?: number;
}

/** The attention's weights of a BERT encoder, by HF name; an E_CONFIG error for any other model. */
function encoderWeights(model: AnyModel): { positions: Tensor; layers: { query: Tensor; key: Tensor }[]; nHead: number } {
  const params = new Map(model.namedParameters());
  const positions = params.get('bert.embeddings.position_embeddings.weight');
  if (model.config.arch !== 'bert' || !positions) {
    throw new LlmtsError('E_CONFIG', `attentionInit 'local' initialises a BERT encoder's attention, not a ${model.config.arch} model`, {
      where: 'attentionInit', hint: "use it with --objective mlm on a bert preset, or leave attentionInit at 'default'" });
  }
  const layers = Array.from({ length: model.config.nLayer }, (_, l) => ({
    query: params.get(`bert.encoder.layer.${l}.attention.self.query.weight`)!, // (C, C), HF's (out, in)
    key: params.get(`bert.encoder.layer.${l}.attention.self.key.weight`)!, // (C, C)
  }));
  return { positions, layers, nHead: model.config.nHead };
}

/** Rewrites the position embeddings and the query / key weights of `model` in place; see the module comment. */
export function initLocalAttention(model: AnyModel, o: LocalAttentionInit): void {
  const offsets = o.offsets ?? [1, -1, 2, -2];
  const sigma = o.sigma ?? 1, std = o.positionStd ?? 0.04, qkStd = o.qkStd ?? 0.08;
  const { positions, layers, nHead } = encoderWeights(model);
  const [T, C] = positions.shape as [number, number];
  if (C % 2 !== 0) throw new LlmtsError('E_CONFIG', `attentionInit 'local' pairs the ${C} hidden features, which must be even`, { where: 'nEmbd', hint: 'use an even nEmbd' });
  const rng = new Rng(hash32(o.seed, 0x6c6f6361));
  const freq = Float64Array.from({ length: C / 2 }, () => rng.normal() / sigma); // (C/2) frequencies w_k
  for (let p = 0; p < T; p++) {
    for (let k = 0; k < C / 2; k++) {
      positions.data[p * C + 2 * k] = std * Math.cos(freq[k]! * p); // (T, C) position features
      positions.data[p * C + 2 * k + 1] = std * Math.sin(freq[k]! * p);
    }
  }
  const dh = C / nHead;
  for (const { query, key } of layers) {
    for (let i = 0; i < query.data.length; i++) query.data[i] = qkStd * rng.normal(); // (C, C)
    for (let h = 0; h < nHead; h++) {
      const d = offsets[h % offsets.length]!;
      for (let row = h * dh; row < (h + 1) * dh; row++) {
        for (let k = 0; k < C / 2; k++) {
          // key = query @ R_d: R_d maps the pair (cos w j, sin w j) to (cos w (j + d), sin w (j + d))
          const c = Math.cos(freq[k]! * d), s = Math.sin(freq[k]! * d);
          const q0 = query.data[row * C + 2 * k]!, q1 = query.data[row * C + 2 * k + 1]!;
          key.data[row * C + 2 * k] = q0 * c + q1 * s;
          key.data[row * C + 2 * k + 1] = q1 * c - q0 * s;
        }
      }
    }
  }
}

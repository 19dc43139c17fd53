/**
 * The encoder-decoder Transformer (see config.ts) with Hugging Face's names
 * (`BartForConditionalGeneration`): model.shared (or model.{encoder,decoder}.embed_tokens),
 * model.{encoder,decoder}.{embed_positions, layers.{i}.*, layernorm_embedding},
 * final_logits_bias (frozen, as HF's buffer), lm_head (when untied).
 *
 * Three ways in:
 * - `forwardSeq2Seq(batch)`: source (with its padding mask) and teacher-forced decoder
 *   input -> logits (rows, T, V) and the mean cross-entropy over the labels (the seq2seq
 *   training objective's model);
 * - `forward(ids, B, T)`: the `LanguageModel` contract, as HF's model does when given only
 *   input_ids: the encoder reads ids, the decoder reads them shifted right (decoderStartId
 *   first); next-token targets are refused (the encoder would read them);
 * - decoding (decode.ts): `startDecoding` encodes the source once and computes every
 *   decoder layer's cross keys/values once, `decodeStep` runs one new token per row with
 *   the self-attention KV cache, `reorderRows` moves cache rows for beam search.
 *
 * @example
 * const bart = createModel(bartConfig({ vocabSize: 320, nLayer: 2, nHead: 4, nEmbd: 32 }));
 * const { logits, loss } = bart.forwardSeq2Seq(seq2seqBatch(pairs, { S: 16, T: 16, padId: 1, startId: 2, endId: 2 }));
 */
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import type { KVCache } from '../../nn/kv-cache.ts';
import { Linear } from '../../nn/linear.ts';
import { Module, ModuleList } from '../../nn/module.ts';
import { LayerNorm } from '../../nn/norm.ts';
import { Parameter } from '../../nn/parameter.ts';
import { add, crossEntropy, linear, reshape, scale, type Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { DecodePlan } from '../decode-plan.ts';
import type { InfoOptions, LanguageModel, LMOutput, ModelInfo, TokenInput } from '../model.ts';
import { validateSeq2SeqConfig, type Seq2SeqConfig } from './config.ts';
import { seq2seqInfo } from './info.ts';
import { decodeAll, decodeStep, reorderRows, startDecoding, type Seq2SeqDecodeState, type StartDecodingOptions } from './decode.ts';
import { DecoderLayer, EncoderLayer, floatMask, type KeyValues, type SourceBatch } from './layers.ts';

/** The teacher-forced batch `forwardSeq2Seq` reads (the seq2seq objective's `Seq2SeqBatch`). */
export interface TeacherForcedBatch {
  source: Int32Array;
  sourceMask: Uint8Array;
  S: number;
  decoderIds: Int32Array;
  labels: Int32Array;
  T: number;
  rows: number;
}

/** HF's BartEncoder / BartDecoder: token table (own or shared), positions (offset 2), `n` blocks, layernorm_embedding. */
class Stack<L extends Module> extends Module {
  readonly tokens: Embedding;
  readonly positions: Embedding;
  readonly layers: ModuleList<L>;
  readonly normEmbedding: LayerNorm;
  readonly drop: Dropout;

  constructor(c: Seq2SeqConfig, shared: Embedding | null, n: number, makeLayer: () => L, rng: Rng) {
    super();
    this.tokens = shared ?? this.addModule('embed_tokens', new Embedding(c.vocabSize, c.nEmbd, { std: 0.02, rng }));
    this.positions = this.addModule('embed_positions', new Embedding(c.blockSize + 2, c.nEmbd, { std: 0.02, rng }));
    this.layers = this.addModule('layers', new ModuleList<L>(Array.from({ length: n }, () => makeLayer())));
    this.normEmbedding = this.addModule('layernorm_embedding', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.drop = this.addModule('dropout', new Dropout(c.dropout, { seed: rng.nextUint32() }));
  }
}

/** HF's `model` submodule: the shared table, the encoder and the decoder. */
class Trunk extends Module {
  readonly shared: Embedding | null;
  readonly encoder: Stack<EncoderLayer>;
  readonly decoder: Stack<DecoderLayer>;

  constructor(c: Seq2SeqConfig, rng: Rng) {
    super();
    this.shared = c.shareEmbeddings ? this.addModule('shared', new Embedding(c.vocabSize, c.nEmbd, { std: 0.02, rng })) : null;
    this.encoder = this.addModule('encoder', new Stack(c, this.shared, c.nLayer, () => new EncoderLayer(c, rng), rng));
    this.decoder = this.addModule('decoder', new Stack(c, this.shared, c.nDecoderLayer, () => new DecoderLayer(c, rng), rng));
  }
}

/** See the module comment. */
export class EncoderDecoder extends Module implements LanguageModel<Seq2SeqConfig> {
  readonly config: Seq2SeqConfig;
  readonly trunk: Trunk;
  readonly trunkName = 'model';
  readonly finalLogitsBias: Tensor;
  readonly lmHead: Linear | null;
  private readonly positionIds: Int32Array;

  /** Builds the model; all weights come from Rng(seed) in construction order. */
  constructor(config: Seq2SeqConfig, opts: { seed?: number } = {}) {
    super();
    this.config = validateSeq2SeqConfig(config);
    const rng = new Rng(opts.seed ?? 1337);
    this.trunk = this.addModule('model', new Trunk(config, rng));
    this.finalLogitsBias = this.addParameter('final_logits_bias', Parameter.zeros([1, config.vocabSize]));
    this.lmHead = config.tieEmbeddings ? null : this.addModule('lm_head', new Linear(config.nEmbd, config.vocabSize, { bias: false, std: 0.02, rng }));
    this.freeze('final_logits_bias'); // HF's buffer: loaded and saved, never trained
    this.positionIds = Int32Array.from({ length: config.blockSize }, (_, i) => i + 2); // BART's learned positions start at row 2
  }

  /** Width of the hidden states (nEmbd). */
  get hiddenSize(): number {
    return this.config.nEmbd;
  }

  /** Token + position embeddings, scaled as configured, layernorm_embedding, dropout: (B, T, C). */
  private embed(stack: Trunk['encoder'] | Trunk['decoder'], ids: Int32Array, B: number, T: number, pos: number, where: string): Tensor {
    if (ids.length !== B * T) throw new LlmtsError('E_SHAPE', `${where}: ${ids.length} ids for B=${B}, T=${T}`, { where, hint: 'pass B*T ids' });
    if (pos + T > this.config.blockSize) {
      throw new LlmtsError('E_SHAPE', `${where}: ${pos + T} positions is more than blockSize ${this.config.blockSize}`, { where, hint: 'cut the sequence to blockSize tokens' });
    }
    let x = stack.tokens.forward(ids, [B, T]); // (B, T, C)
    if (this.config.scaleEmbedding) x = scale(x, Math.sqrt(this.config.nEmbd)); // (B, T, C)
    x = add(x, stack.positions.forward(this.positionIds.subarray(pos, pos + T), [T])); // (B, T, C)
    return stack.drop.forward(stack.normEmbedding.forward(x)); // (B, T, C)
  }

  /** The encoder: source (B, S) -> hidden states (B, S, C); padding (mask 0) is never attended to. */
  encode(src: SourceBatch): Tensor {
    const mask = floatMask(src.mask);
    let x = this.embed(this.trunk.encoder, src.ids, src.B, src.S, 0, 'encode'); // (B, S, C)
    for (const layer of this.trunk.encoder.layers.items) x = layer.forward(x, mask); // (B, S, C)
    return x;
  }

  /** Every decoder layer's cross keys/values of `memory` (B, S, C): (B, nh, S, hs) each. */
  crossKeyValues(memory: Tensor): KeyValues[] {
    return this.trunk.decoder.layers.items.map((l) => l.crossAttn.keyValues(memory));
  }

  /**
   * The decoder: ids (B, T) over the source's cross keys/values -> final hidden states
   * (B, T, C). With a cache (noGrad), the T ids continue after cache.length, which advances.
   */
  decode(ids: Int32Array, B: number, T: number, cross: KeyValues[], sourceMask: Float32Array | null, cache?: KVCache | null): Tensor {
    const pos = cache ? cache.length : 0;
    let x = this.embed(this.trunk.decoder, ids, B, T, pos, 'decode'); // (B, T, C)
    this.trunk.decoder.layers.items.forEach((layer, i) => {
      x = layer.forward(x, { cross: cross[i]!, sourceMask, cache, layer: i }); // (B, T, C)
    });
    if (cache) cache.advance(T);
    return x;
  }

  /** hidden (..., C) -> logits (..., V): the output projection plus final_logits_bias. */
  logits(hidden: Tensor): Tensor {
    const w = this.lmHead ? this.lmHead.weight : this.trunk.decoder.tokens.weight; // (V, C)
    return add(linear(hidden, w), reshape(this.finalLogitsBias, [this.config.vocabSize])); // (..., V)
  }

  /** Teacher forcing: logits (rows, T, V) and the mean cross-entropy over labels that are not -100. */
  forwardSeq2Seq(b: TeacherForcedBatch): { logits: Tensor; loss: Tensor | null } {
    const mask = floatMask(b.sourceMask);
    const memory = this.encode({ ids: b.source, B: b.rows, S: b.S, mask }); // (rows, S, C)
    const h = this.decode(b.decoderIds, b.rows, b.T, this.crossKeyValues(memory), mask); // (rows, T, C)
    const logits = this.logits(h); // (rows, T, V)
    return { logits, loss: crossEntropy(logits, b.labels) };
  }

  /** ids (B, T) -> HF's decoder input when only input_ids are given: decoderStartId, then ids shifted right. */
  shiftRight(ids: Int32Array, B: number, T: number): Int32Array {
    const out = new Int32Array(B * T); // (B, T)
    for (let b = 0; b < B; b++) {
      out[b * T] = this.config.decoderStartId;
      for (let t = 1; t < T; t++) out[b * T + t] = ids[b * T + t - 1]!;
    }
    return out;
  }

  /** The `LanguageModel` contract: the decoder's hidden states for `ids` as source and (shifted) target. */
  hiddenStates(input: TokenInput): Tensor {
    if (input.cache) throw this.noCache('hiddenStates');
    const { ids, B, T } = input;
    const memory = this.encode({ ids, B, S: T }); // (B, T, C)
    return this.decode(this.shiftRight(ids, B, T), B, T, this.crossKeyValues(memory), null); // (B, T, C)
  }

  /**
   * See the module comment: logits (B, T, V) of the decoder over ids shifted right. Targets
   * are refused: next-token targets of ids are what the encoder reads, so a loss here would
   * score a model that sees its answers (a causal-LM eval or fine-tune of a bart model).
   */
  forward(ids: Int32Array, B: number, T: number, targets?: Int32Array | null, cache?: KVCache | null): LMOutput {
    if (cache) throw this.noCache('forward');
    if (targets) {
      throw new LlmtsError('E_MODEL', `${this.config.arch} is an encoder-decoder: its loss needs (source, target) pairs, not next-token targets of one sequence`, {
        where: `${this.config.arch}.forward`, hint: 'score it with forwardSeq2Seq / the seq2seq objective (src/train/objectives/seq2seq.ts)' });
    }
    return { logits: this.logits(this.hiddenStates({ ids, B, T })), loss: null }; // (B, T, V)
  }

  private noCache(where: string): LlmtsError {
    return new LlmtsError('E_MODEL', `${this.config.arch} is an encoder-decoder: ${where} takes no KV cache`, {
      where: `${this.config.arch}.${where}`, hint: 'decode with generateSeq2Seq (src/infer/seq2seq-generate.ts), which caches self- and cross-attention' });
  }

  /** Not for encoder-decoders: decoding state comes from `startDecoding` (decode.ts). */
  newCache(): KVCache {
    throw this.noCache('newCache');
  }

  /** Not for encoder-decoders: the fast decoder-only step cannot run cross-attention. */
  decodePlan(): DecodePlan {
    throw new LlmtsError('E_MODEL', `${this.config.arch} is an encoder-decoder: it has no decoder-only decode plan`, {
      where: `${this.config.arch}.decodePlan`, hint: 'decode with generateSeq2Seq (src/infer/seq2seq-generate.ts)' });
  }

  /** Encodes the source once, computes the cross keys/values once, makes an empty self-attention cache (decode.ts). */
  startDecoding(src: SourceBatch, o?: StartDecodingOptions): Seq2SeqDecodeState {
    return startDecoding(this, src, o);
  }

  /** One token per decoder row -> logits (rows, V) of the next one; the cache advances (decode.ts). */
  decodeStep(st: Seq2SeqDecodeState, ids: Int32Array): Float32Array {
    return decodeStep(this, st, ids);
  }

  /** The whole prefix (rows, T) without the cache -> logits (rows, V) of the next token (decode.ts). */
  decodeAll(st: Seq2SeqDecodeState, ids: Int32Array, T: number): Float32Array {
    return decodeAll(this, st, ids, T);
  }

  /** Row r of the self-attention cache takes row parents[r] (beam search; decode.ts). */
  reorderRows(st: Seq2SeqDecodeState, parents: Int32Array): void {
    reorderRows(st, parents);
  }

  /** Parameters, FLOPs and memory (see info.ts). */
  info(o?: InfoOptions): ModelInfo {
    return seq2seqInfo(this.config, o);
  }
}

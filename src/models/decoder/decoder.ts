/**
 * The decoder-only Transformer, GPT-2 or Llama by config (see config.ts), with Hugging
 * Face tensor names:
 * - GPT-2: transformer.wte, transformer.wpe, transformer.h.{i}.{ln_1, attn.c_attn,
 *   attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, transformer.ln_f (lm_head tied to wte)
 * - Llama: model.embed_tokens, model.layers.{i}.{input_layernorm, self_attn.{q,k,v,o}_proj,
 *   post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm, lm_head
 * Linear weights are (out, in) as in torch.nn.Linear (GPT-2's HF Conv1D stores the
 * transpose; export maps it).
 *
 * @example
 * Code outside this folder builds it through the registry (`createModel(config)`) and
 * holds it as a `LanguageModel` (../model.ts).
 *
 * @example
 * const model = new Decoder(getPreset('shakespeare-char').model, { seed: 1337 });
 * const { loss } = model.forward(ids, B, T, targets); // ids, targets Int32Array(B*T)
 * loss!.backward();
 */
import { Attention } from '../../nn/attention.ts';
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import { KVCache } from '../../nn/kv-cache.ts';
import { Linear } from '../../nn/linear.ts';
import { MLP } from '../../nn/mlp.ts';
import { Module, ModuleList } from '../../nn/module.ts';
import { LayerNorm, RMSNorm } from '../../nn/norm.ts';
import { add, crossEntropy, linear, type Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { InfoOptions, LanguageModel, LMOutput, ModelInfo, TokenInput } from '../model.ts';
import type { DecodePlan } from '../decode-plan.ts';
import { ropeSettingsOf, validateConfig, type DecoderConfig } from './config.ts';
import { decoderDecodePlan } from './decode-plan.ts';
import { decoderInfo } from './info.ts';

/** One Transformer block: pre-norm attention and MLP, each added to the residual stream. */
export class Block extends Module {
  readonly norm1: LayerNorm | RMSNorm;
  readonly attn: Attention;
  readonly norm2: LayerNorm | RMSNorm;
  readonly mlp: MLP;

  constructor(c: DecoderConfig, rng: Rng) {
    super();
    const gpt2 = c.arch === 'gpt2';
    const norm = () => (gpt2 ? new LayerNorm(c.nEmbd, { eps: c.normEps }) : new RMSNorm(c.nEmbd, { eps: c.normEps }));
    // GPT-2 scales the init of residual projections by 1/sqrt(2 * nLayer)
    const outStd = gpt2 ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02;
    this.norm1 = this.addModule(gpt2 ? 'ln_1' : 'input_layernorm', norm());
    this.attn = this.addModule(gpt2 ? 'attn' : 'self_attn', new Attention({
      dim: c.nEmbd, nHead: c.nHead, nKvHead: c.nKvHead, causal: true, bias: c.bias, fused: gpt2,
      rope: ropeSettingsOf(c),
      dropout: c.dropout, std: 0.02, outStd, rng,
    }));
    this.norm2 = this.addModule(gpt2 ? 'ln_2' : 'post_attention_layernorm', norm());
    this.mlp = this.addModule('mlp', new MLP(c.nEmbd, c.intermediateSize, {
      kind: gpt2 ? 'gelu' : 'swiglu', bias: c.bias, std: 0.02, outStd, rng,
    }));
  }

  /** x (B, T, C) -> (B, T, C). */
  forward(x: Tensor, cache: KVCache | null, layer: number): Tensor {
    const a = this.attn.forward(this.norm1.forward(x), { cache, layer }); // (B, T, C)
    const h = add(x, a); // (B, T, C)
    return add(h, this.mlp.forward(this.norm2.forward(h))); // (B, T, C)
  }
}

/** The embeddings, blocks and final norm (HF's `transformer` / `model` submodule). */
export class Trunk extends Module {
  readonly tokens: Embedding;
  readonly positions: Embedding | null;
  readonly drop: Dropout;
  readonly blocks: ModuleList<Block>;
  readonly normF: LayerNorm | RMSNorm;

  constructor(c: DecoderConfig, rng: Rng) {
    super();
    const gpt2 = c.arch === 'gpt2';
    this.tokens = this.addModule(gpt2 ? 'wte' : 'embed_tokens', new Embedding(c.vocabSize, c.nEmbd, { std: 0.02, rng }));
    this.positions = gpt2 ? this.addModule('wpe', new Embedding(c.blockSize, c.nEmbd, { std: 0.02, rng })) : null;
    this.drop = this.addModule('drop', new Dropout(c.dropout, { seed: rng.nextUint32() }));
    const blocks = Array.from({ length: c.nLayer }, () => new Block(c, rng));
    this.blocks = this.addModule(gpt2 ? 'h' : 'layers', new ModuleList(blocks));
    this.normF = this.addModule(gpt2 ? 'ln_f' : 'norm',
      gpt2 ? new LayerNorm(c.nEmbd, { eps: c.normEps }) : new RMSNorm(c.nEmbd, { eps: c.normEps }));
  }
}

/** Output of `Decoder.forward`. */
export type DecoderOutput = LMOutput;

/** See the module comment. */
export class Decoder extends Module implements LanguageModel<DecoderConfig> {
  readonly config: DecoderConfig;
  readonly trunk: Trunk;
  /** Untied output projection (null when tied to the token embedding). */
  readonly lmHead: Linear | null;
  private readonly positionIds: Int32Array;

  /** Builds the model; all weights come from Rng(seed) in construction order. */
  constructor(config: DecoderConfig, opts: { seed?: number } = {}) {
    super();
    this.config = validateConfig(config);
    const rng = new Rng(opts.seed ?? 1337);
    this.trunk = this.addModule(this.trunkName, new Trunk(config, rng));
    this.lmHead = config.tieEmbeddings ? null
      : this.addModule('lm_head', new Linear(config.nEmbd, config.vocabSize, { bias: false, std: 0.02, rng }));
    this.positionIds = Int32Array.from({ length: config.blockSize }, (_, i) => i);
  }

  /**
   * ids (B, T) as Int32Array(B*T) -> logits (B, T, V), and the loss when targets
   * (Int32Array(B*T), -100 = ignore) are given. With a cache (inference, inside noGrad),
   * the T tokens continue after cache.length and the cache advances by T.
   */
  forward(ids: Int32Array, B: number, T: number, targets?: Int32Array | null, cache?: KVCache | null): DecoderOutput {
    const x = this.hiddenStates({ ids, B, T, cache }); // (B, T, C)
    const logits = this.lmHead ? this.lmHead.forward(x) : linear(x, this.trunk.tokens.weight); // (B, T, V)
    const loss = targets ? crossEntropy(logits, targets) : null; // ()
    return { logits, loss };
  }

  /** The trunk's HF name: 'transformer' (GPT-2) or 'model' (Llama). */
  get trunkName(): string {
    return this.config.arch === 'gpt2' ? 'transformer' : 'model';
  }

  /** Width of the hidden states (nEmbd). */
  get hiddenSize(): number {
    return this.config.nEmbd;
  }

  /**
   * ids (B, T) -> the final hidden states (B, T, C): the trunk and its final norm, without
   * the lm_head (what `forward` feeds to it; used for embeddings). Cache as in `forward`.
   */
  hiddenStates(input: TokenInput): Tensor {
    const { ids, B, T, cache } = input;
    const c = this.config;
    const pos = cache ? cache.length : 0;
    if (ids.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `Decoder.forward: ${ids.length} ids for B=${B}, T=${T}`, { where: 'Decoder.forward', hint: 'pass B*T ids' });
    }
    if (this.trunk.positions && pos + T > c.blockSize) {
      throw new LlmtsError('E_SHAPE', `sequence of ${pos + T} positions is longer than blockSize ${c.blockSize}`, {
        where: 'Decoder.forward', hint: 'crop the input to the last blockSize tokens' });
    }
    let x = this.trunk.tokens.forward(ids, [B, T]); // (B, T, C)
    if (this.trunk.positions) {
      const p = this.trunk.positions.forward(this.positionIds.subarray(pos, pos + T), [T]); // (T, C)
      x = add(x, p); // (B, T, C)
    }
    x = this.trunk.drop.forward(x);
    this.trunk.blocks.items.forEach((block, i) => {
      x = block.forward(x, cache ?? null, i); // (B, T, C)
    });
    if (cache) cache.advance(T);
    return this.trunk.normF.forward(x); // (B, T, C)
  }

  /** An empty KV cache for batch B (capacity defaults to blockSize). */
  newCache(B = 1, capacity = this.config.blockSize): KVCache {
    const c = this.config;
    return new KVCache(c.nLayer, B, c.nKvHead, capacity, c.nEmbd / c.nHead);
  }

  /** Parameters, FLOPs and memory (see info.ts). */
  info(o?: InfoOptions): ModelInfo {
    return decoderInfo(this.config, o);
  }

  /** The live weights as the typed plan the fast decode step runs (see decode-plan.ts). */
  decodePlan(): DecodePlan {
    return decoderDecodePlan(this);
  }
}

/**
 * Configuration of the encoder-decoder Transformer (Hugging Face's
 * `BartForConditionalGeneration`): token embeddings shared by encoder and decoder (or one
 * table each), learned positions with BART's offset of 2, `layernorm_embedding`,
 * post-LayerNorm blocks (the decoder's with cross-attention over the encoder's output),
 * exact (erf) GELU, an output projection tied to the embeddings (or its own), and
 * `final_logits_bias`. The special ids drive training batches and decoding.
 *
 * @example
 * const c = bartConfig({ vocabSize: 8000, nLayer: 3, nHead: 4, nEmbd: 256 }); // 3 + 3 layers
 */
import { LlmtsError } from '../../util/errors.ts';
import { parseConfigFields, type ConfigSchema } from '../model.ts';

export interface Seq2SeqConfig {
  arch: 'bart';
  vocabSize: number;
  /** Longest source or target (HF's max_position_embeddings; the position tables hold blockSize + 2 rows). */
  blockSize: number;
  /** Encoder blocks (HF's encoder_layers). */
  nLayer: number;
  /** Decoder blocks (HF's decoder_layers). */
  nDecoderLayer: number;
  /** Attention heads of every attention (HF's encoder/decoder_attention_heads). */
  nHead: number;
  /** Hidden width (HF's d_model). */
  nEmbd: number;
  /** MLP hidden width (HF's encoder/decoder_ffn_dim). */
  intermediateSize: number;
  /** 'gelu' (exact, erf; BART) or 'gelu_new' (tanh form). */
  hiddenAct: 'gelu' | 'gelu_new';
  /** LayerNorm epsilon (1e-5, torch's default, as BART). */
  normEps: number;
  /** Dropout on embeddings and sublayer outputs (train mode). */
  dropout: number;
  /** Multiply token embeddings by sqrt(nEmbd) (HF's scale_embedding). */
  scaleEmbedding: boolean;
  /** One token table for encoder and decoder (`model.shared`, as BART); else one each. */
  shareEmbeddings: boolean;
  /** Output projection = the decoder's token table (HF's tie_word_embeddings); else `lm_head`. */
  tieEmbeddings: boolean;
  padId: number;
  bosId: number;
  eosId: number;
  /** First decoder input (BART: the eos id, 2). */
  decoderStartId: number;
}

/** The architectures of this family. */
export const SEQ2SEQ_ARCHS: readonly 'bart'[] = ['bart'];

type Seq2SeqConfigInput = Pick<Seq2SeqConfig, 'vocabSize' | 'nLayer' | 'nHead' | 'nEmbd'> & Partial<Seq2SeqConfig>;

const ID = { kind: 'int', min: 0, max: (1 << 22) - 1 } as const;

/** Every field of a Seq2SeqConfig: kind, meaning, bounds. */
export const SEQ2SEQ_SCHEMA: ConfigSchema = {
  arch: { kind: SEQ2SEQ_ARCHS, doc: 'model family: bart (post-LayerNorm encoder-decoder)', required: true },
  vocabSize: { kind: 'int', min: 1, max: 1 << 22, doc: 'token ids (embedding rows)', required: true },
  blockSize: { kind: 'int', min: 1, max: 1 << 20, doc: 'longest source or target (default 1024)' },
  nLayer: { kind: 'int', min: 1, max: 1024, doc: 'encoder blocks', required: true },
  nDecoderLayer: { kind: 'int', min: 1, max: 1024, doc: 'decoder blocks (default nLayer)' },
  nHead: { kind: 'int', min: 1, max: 1024, doc: 'attention heads', required: true },
  nEmbd: { kind: 'int', min: 1, max: 1 << 16, doc: 'hidden width', required: true },
  intermediateSize: { kind: 'int', min: 1, max: 1 << 18, doc: 'MLP hidden width (default 4 * nEmbd)' },
  hiddenAct: { kind: ['gelu', 'gelu_new'], doc: "MLP activation: 'gelu' (exact, erf) or 'gelu_new' (tanh form)" },
  normEps: { kind: 'number', min: 0, max: 1, doc: 'LayerNorm epsilon (default 1e-5)' },
  dropout: { kind: 'number', min: 0, max: 0.999, doc: 'dropout probability in [0, 1) (train mode)' },
  scaleEmbedding: { kind: 'boolean', doc: 'scale token embeddings by sqrt(nEmbd) (default false)' },
  shareEmbeddings: { kind: 'boolean', doc: 'one token table for encoder and decoder (default true)' },
  tieEmbeddings: { kind: 'boolean', doc: 'output projection tied to the decoder token table (default true)' },
  padId: { ...ID, doc: 'padding id (default 1)' },
  bosId: { ...ID, doc: 'beginning-of-sequence id (default 0)' },
  eosId: { ...ID, doc: 'end-of-sequence id (default 2)' },
  decoderStartId: { ...ID, doc: 'first decoder input id (default eosId, as BART)' },
};

function defaults(c: Seq2SeqConfigInput): Seq2SeqConfig {
  const eosId = c.eosId ?? 2;
  return {
    arch: 'bart', blockSize: 1024, nDecoderLayer: c.nLayer, intermediateSize: 4 * c.nEmbd, hiddenAct: 'gelu', normEps: 1e-5, dropout: 0,
    scaleEmbedding: false, shareEmbeddings: true, tieEmbeddings: true, padId: 1, bosId: 0, eosId, decoderStartId: eosId, ...c,
  };
}

/** A BART config; unspecified fields get BART's values (see the module comment). */
export function bartConfig(c: Seq2SeqConfigInput): Seq2SeqConfig {
  return validateSeq2SeqConfig(defaults(c));
}

/** A plain object -> a checked Seq2SeqConfig (kinds, bounds, defaults, shape rules); errors name `${where}.${field}`. */
export function parseSeq2SeqConfig(raw: unknown, where = 'model'): Seq2SeqConfig {
  const f = parseConfigFields(raw, SEQ2SEQ_SCHEMA, where) as unknown as Seq2SeqConfigInput;
  return validateSeq2SeqConfig(defaults(f), where);
}

/** Checks every field and the shape rules; throws `E_CONFIG` naming `${where}.${field}`. */
export function validateSeq2SeqConfig(c: Seq2SeqConfig, where = 'config'): Seq2SeqConfig {
  parseConfigFields(c, SEQ2SEQ_SCHEMA, where);
  if (c.nEmbd % c.nHead !== 0) {
    throw new LlmtsError('E_CONFIG', `${where}: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`, { where: `${where}.nEmbd`, hint: 'choose nEmbd = nHead * head size' });
  }
  for (const key of ['padId', 'bosId', 'eosId', 'decoderStartId'] as const) {
    if (c[key] >= c.vocabSize) {
      throw new LlmtsError('E_CONFIG', `${where}.${key} ${c[key]} is not below vocabSize ${c.vocabSize}`, { where: `${where}.${key}`, hint: 'special ids must be token ids of the vocabulary' });
    }
  }
  return c;
}

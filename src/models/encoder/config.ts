/**
 * Configuration of the BERT-style encoder (Hugging Face's `BertModel` and its heads):
 * word + position + token-type embeddings, post-LayerNorm blocks, exact (erf) GELU,
 * bidirectional attention with a padding mask, an optional pooler (dense + tanh over
 * [CLS]), and one head: masked LM (`BertForMaskedLM` / `BertLMHeadModel`), sequence
 * classification (`BertForSequenceClassification`), token classification
 * (`BertForTokenClassification`) or none (`BertModel`).
 *
 * @example
 * const c = bertConfig({ vocabSize: 30522, nLayer: 4, nHead: 4, nEmbd: 256 }); // bert-mini
 */
import { LlmtsError } from '../../util/errors.ts';
import { parseConfigFields, type ConfigSchema } from '../model.ts';

/** The heads an encoder carries (HF's model classes). */
export const ENCODER_HEADS = ['mlm', 'none', 'sequence', 'token'] as const;
export type EncoderHead = (typeof ENCODER_HEADS)[number];

export interface EncoderConfig {
  arch: 'bert';
  vocabSize: number;
  /** Longest sequence (the position table: HF's max_position_embeddings). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Hidden width (HF's hidden_size). */
  nEmbd: number;
  /** MLP hidden width (HF's intermediate_size; BERT: 4 * nEmbd). */
  intermediateSize: number;
  /** Segment ids (HF's type_vocab_size; 2). */
  typeVocabSize: number;
  /** LayerNorm epsilon (HF's layer_norm_eps; 1e-12). */
  normEps: number;
  /** 'gelu' (exact, erf) or 'gelu_new' (tanh form). */
  hiddenAct: 'gelu' | 'gelu_new';
  /** Dropout on embeddings, attention output and MLP output (HF's hidden_dropout_prob; train mode). */
  dropout: number;
  /** 'mlm' (cls.predictions), 'sequence' / 'token' (classifier), 'none' (the bare BertModel). */
  head: EncoderHead;
  /** Labels of a classification head. */
  numLabels: number;
  /** The pooler (dense + tanh over the first token): HF's add_pooling_layer. */
  pooler: boolean;
}

/** The architectures of this family. */
export const ENCODER_ARCHS: readonly 'bert'[] = ['bert'];

type EncoderConfigInput = Pick<EncoderConfig, 'vocabSize' | 'nLayer' | 'nHead' | 'nEmbd'> & Partial<EncoderConfig>;

/** Every field of an EncoderConfig: kind, meaning, bounds. */
export const ENCODER_SCHEMA: ConfigSchema = {
  arch: { kind: ENCODER_ARCHS, doc: 'model family: bert (post-LayerNorm bidirectional encoder)', required: true },
  vocabSize: { kind: 'int', min: 1, max: 1 << 22, doc: 'token ids (embedding rows)', required: true },
  blockSize: { kind: 'int', min: 1, max: 1 << 20, doc: 'longest sequence (position table size; default 512)' },
  nLayer: { kind: 'int', min: 1, max: 1024, doc: 'Transformer blocks', required: true },
  nHead: { kind: 'int', min: 1, max: 1024, doc: 'attention heads', required: true },
  nEmbd: { kind: 'int', min: 1, max: 1 << 16, doc: 'hidden width', required: true },
  intermediateSize: { kind: 'int', min: 1, max: 1 << 18, doc: 'MLP hidden width (default 4 * nEmbd)' },
  typeVocabSize: { kind: 'int', min: 1, max: 1 << 16, doc: 'token type (segment) ids (default 2)' },
  normEps: { kind: 'number', min: 0, max: 1, doc: 'LayerNorm epsilon (default 1e-12)' },
  hiddenAct: { kind: ['gelu', 'gelu_new'], doc: "MLP activation: 'gelu' (exact, erf) or 'gelu_new' (tanh form)" },
  dropout: { kind: 'number', min: 0, max: 0.999, doc: 'dropout probability in [0, 1) (train mode)' },
  head: { kind: ENCODER_HEADS, doc: "head: 'mlm' (masked LM), 'sequence' / 'token' (classification) or 'none' (BertModel)" },
  numLabels: { kind: 'int', min: 1, max: 1 << 16, doc: 'labels of a classification head (default 2)' },
  pooler: { kind: 'boolean', doc: "pooler (dense + tanh over [CLS]); default: with the 'none' and 'sequence' heads, as HF" },
};

function defaults(c: EncoderConfigInput): EncoderConfig {
  const head = c.head ?? 'mlm';
  return {
    arch: 'bert', blockSize: 512, intermediateSize: 4 * c.nEmbd, typeVocabSize: 2, normEps: 1e-12, hiddenAct: 'gelu', dropout: 0,
    head, numLabels: 2, pooler: head === 'none' || head === 'sequence', ...c,
  };
}

/** A BERT config; unspecified fields get BERT's values (see the module comment). */
export function bertConfig(c: EncoderConfigInput): EncoderConfig {
  return validateEncoderConfig(defaults(c));
}

/** A plain object -> a checked EncoderConfig (kinds, bounds, defaults, shape rules); errors name `${where}.${field}`. */
export function parseEncoderConfig(raw: unknown, where = 'model'): EncoderConfig {
  const f = parseConfigFields(raw, ENCODER_SCHEMA, where) as unknown as EncoderConfigInput;
  return validateEncoderConfig(defaults(f), where);
}

/** Checks every field and the shape rules; throws `E_CONFIG` naming `${where}.${field}`. */
export function validateEncoderConfig(c: EncoderConfig, where = 'config'): EncoderConfig {
  parseConfigFields(c, ENCODER_SCHEMA, where);
  if (c.nEmbd % c.nHead !== 0) {
    throw new LlmtsError('E_CONFIG', `${where}: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`, { where: `${where}.nEmbd`, hint: 'choose nEmbd = nHead * head size' });
  }
  if (c.head === 'sequence' && !c.pooler) {
    throw new LlmtsError('E_CONFIG', `${where}: the 'sequence' head classifies the pooler's output, but pooler is false`, { where: `${where}.pooler`, hint: 'set pooler: true (as BertForSequenceClassification)' });
  }
  return c;
}

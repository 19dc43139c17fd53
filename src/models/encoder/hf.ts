/**
 * Hugging Face `transformers` layout of a BERT checkpoint, both ways:
 * - config.json: `BertConfig`'s fields; `architectures` picks the head (BertModel: none,
 *   BertForMaskedLM / BertLMHeadModel: mlm, BertForSequenceClassification: sequence,
 *   BertForTokenClassification: token) and whether the pooler exists (as HF's
 *   add_pooling_layer); the labels come from id2label (else num_labels).
 * - model.safetensors: our names are HF's. A `BertModel` file has no `bert.` prefix; the
 *   tied `cls.predictions.decoder.{weight, bias}`, the `position_ids` buffer, an unused
 *   pooler of an MLM checkpoint and BertForPreTraining's next-sentence head are dropped;
 *   TF-converted `LayerNorm.gamma` / `.beta` read as weight / bias.
 *
 * @example
 * const cfg = bertHf.fromConfig(JSON.parse(readFileSync('bert/config.json', 'utf8')), 'bert/config.json');
 */
import type { StateEntry } from '../../nn/module.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { HfMapping, Json } from '../model.ts';
import { renameEntries } from '../hf-names.ts';
import { ENCODER_SCHEMA, validateEncoderConfig, type EncoderConfig, type EncoderHead } from './config.ts';

const CLASS_OF: Record<EncoderHead, string> = { none: 'BertModel', mlm: 'BertForMaskedLM', sequence: 'BertForSequenceClassification', token: 'BertForTokenClassification' };
const HEAD_OF: Record<string, EncoderHead> = {
  BertModel: 'none', BertForMaskedLM: 'mlm', BertLMHeadModel: 'mlm', BertForPreTraining: 'mlm',
  BertForSequenceClassification: 'sequence', BertForTokenClassification: 'token',
};

/** HF config field -> our field (bounds apply under the HF name). */
const HF_FIELDS: Record<string, keyof EncoderConfig> = {
  vocab_size: 'vocabSize', hidden_size: 'nEmbd', num_hidden_layers: 'nLayer', num_attention_heads: 'nHead', intermediate_size: 'intermediateSize',
  max_position_embeddings: 'blockSize', type_vocab_size: 'typeVocabSize', layer_norm_eps: 'normEps', hidden_act: 'hiddenAct',
  hidden_dropout_prob: 'dropout', id2label: 'numLabels', label2id: 'numLabels', architectures: 'head',
};

/** The HF config.json fields for `c`. */
export function toHfConfig(c: EncoderConfig): Json {
  const labels = c.head === 'sequence' || c.head === 'token'
    ? { id2label: Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [String(i), `LABEL_${i}`])),
      label2id: Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [`LABEL_${i}`, i])) }
    : {};
  return {
    architectures: [CLASS_OF[c.head]], model_type: 'bert',
    vocab_size: c.vocabSize, hidden_size: c.nEmbd, num_hidden_layers: c.nLayer, num_attention_heads: c.nHead, intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct, hidden_dropout_prob: c.dropout, attention_probs_dropout_prob: 0, max_position_embeddings: c.blockSize,
    type_vocab_size: c.typeVocabSize, layer_norm_eps: c.normEps, initializer_range: 0.02, pad_token_id: 0,
    position_embedding_type: 'absolute', ...labels, torch_dtype: 'float32',
  };
}

/** Reads an HF BERT config.json object; every size is checked under its HF name; errors name `path` and the field. */
export function fromHfConfig(json: Json, path: string): EncoderConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    const spec = ENCODER_SCHEMA[HF_FIELDS[key]!];
    if (typeof v !== 'number' || !Number.isFinite(v) || (spec && ((spec.kind === 'int' && !Number.isInteger(v)) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)))) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(json[key])} is not plausible (expected ${spec?.kind === 'int' ? 'an integer' : 'a number'} in [${spec?.min}, ${spec?.max ?? 'inf'}])`, {
        where: `${path}: ${key}`, hint: 'the config.json is corrupt or not for this model; use the one saved with the weights' });
    }
    return v;
  };
  const unsupported = (key: string, want: string): never => {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(json[key])} is not supported`, { where: `${path}: ${key}`, hint: `llm.ts runs ${want}` });
  };
  const act = json.hidden_act ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_new') unsupported('hidden_act', "BERT with 'gelu' or 'gelu_new'");
  if ((json.position_embedding_type ?? 'absolute') !== 'absolute') unsupported('position_embedding_type', 'BERT with absolute positions');
  if (json.is_decoder === true) unsupported('is_decoder', 'BERT as a bidirectional encoder (is_decoder false)');
  const archs = json.architectures;
  const arch = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : 'BertModel';
  const head = HEAD_OF[arch];
  if (!head) unsupported('architectures', `the BERT classes ${Object.keys(HEAD_OF).join(', ')}`);
  const id2label = json.id2label;
  const numLabels = id2label && typeof id2label === 'object' ? Object.keys(id2label).length : num('num_labels', 2);
  return validateEncoderConfig({
    arch: 'bert', vocabSize: num('vocab_size'), blockSize: num('max_position_embeddings', 512), nLayer: num('num_hidden_layers'),
    nHead: num('num_attention_heads'), nEmbd: num('hidden_size'), intermediateSize: num('intermediate_size'), typeVocabSize: num('type_vocab_size', 2),
    normEps: num('layer_norm_eps', 1e-12), hiddenAct: act as 'gelu' | 'gelu_new', dropout: 0, head: head!, numLabels,
    pooler: head === 'none' || head === 'sequence',
  }, path);
}

/** Our name of an HF tensor, or null for the tied, buffer and unused tensors we drop. */
function ourName(c: EncoderConfig, raw: string): string | null {
  let name = /^(embeddings|encoder|pooler)\./.test(raw) ? `bert.${raw}` : raw;
  name = name.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
  if (/^cls\.predictions\.decoder\.(weight|bias)$/.test(name) || name.endsWith('.position_ids') || name.startsWith('cls.seq_relationship.')) return null;
  if (!c.pooler && name.startsWith('bert.pooler.')) return null;
  return name;
}

/** Our named parameters -> the tensors HF's class saves (BertModel: without the `bert.` prefix). */
export function toHfTensors(c: EncoderConfig, params: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  if (c.head !== 'none') return new Map(params);
  return new Map([...params].map(([n, t]) => [n.replace(/^bert\./, ''), t]));
}

/** HF tensors -> our names (see the module comment). */
export function fromHfTensors(c: EncoderConfig, tensors: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  return renameEntries(tensors, (raw) => ourName(c, raw));
}

/** HF tensor shapes -> our names and shapes, reading no data. */
export function fromHfShapes(c: EncoderConfig, shapes: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  return renameEntries(shapes, (raw) => ourName(c, raw), (s) => [...s]);
}

/** The encoder family's HF mapping. */
export const encoderHf: HfMapping<EncoderConfig> = {
  modelTypes: ['bert'],
  fieldNames: HF_FIELDS,
  toConfig: toHfConfig,
  fromConfig: fromHfConfig,
  toTensors: toHfTensors,
  fromTensors: fromHfTensors,
  fromShapes: fromHfShapes,
};

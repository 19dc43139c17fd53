/**
 * Hugging Face `transformers` layout of a BART checkpoint (`BartForConditionalGeneration`),
 * both ways:
 * - config.json: `BartConfig`'s fields. One head count and MLP width for both stacks (the
 *   encoder's and decoder's must agree), LayerNorm eps 1e-5 (BART has no field for it);
 *   mBART's extra norms (`add_final_layer_norm`, `normalize_before`), no `layernorm_embedding`
 *   and sinusoidal positions are refused by name.
 *   A model with separate encoder / decoder token tables has no HF form (saved in ours).
 * - model.safetensors: our names are HF's. Older files also hold the tied copies
 *   `model.{encoder,decoder}.embed_tokens.weight` and `lm_head.weight`: dropped when tied.
 *
 * @example
 * const cfg = seq2seqHf.fromConfig(JSON.parse(readFileSync('bart/config.json', 'utf8')), 'bart/config.json');
 */
import type { StateEntry } from '../../nn/module.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { HfMapping, Json } from '../model.ts';
import { renameEntries } from '../hf-names.ts';
import { SEQ2SEQ_SCHEMA, validateSeq2SeqConfig, type Seq2SeqConfig } from './config.ts';

/** HF config field -> our field (bounds apply under the HF name). */
const HF_FIELDS: Record<string, keyof Seq2SeqConfig> = {
  vocab_size: 'vocabSize', d_model: 'nEmbd', encoder_layers: 'nLayer', decoder_layers: 'nDecoderLayer',
  encoder_attention_heads: 'nHead', decoder_attention_heads: 'nHead', encoder_ffn_dim: 'intermediateSize', decoder_ffn_dim: 'intermediateSize',
  max_position_embeddings: 'blockSize', activation_function: 'hiddenAct', dropout: 'dropout', scale_embedding: 'scaleEmbedding',
  tie_word_embeddings: 'tieEmbeddings', pad_token_id: 'padId', bos_token_id: 'bosId', eos_token_id: 'eosId', decoder_start_token_id: 'decoderStartId',
};

/** The HF config.json fields for `c`, or null when HF cannot express it (separate token tables, another LayerNorm eps). */
export function toHfConfig(c: Seq2SeqConfig): Json | null {
  if (!c.shareEmbeddings || c.normEps !== 1e-5) return null;
  return {
    architectures: ['BartForConditionalGeneration'], model_type: 'bart', is_encoder_decoder: true,
    vocab_size: c.vocabSize, d_model: c.nEmbd, encoder_layers: c.nLayer, decoder_layers: c.nDecoderLayer,
    encoder_attention_heads: c.nHead, decoder_attention_heads: c.nHead, encoder_ffn_dim: c.intermediateSize, decoder_ffn_dim: c.intermediateSize,
    max_position_embeddings: c.blockSize, activation_function: c.hiddenAct, dropout: c.dropout, attention_dropout: 0, activation_dropout: 0,
    scale_embedding: c.scaleEmbedding, tie_word_embeddings: c.tieEmbeddings,
    pad_token_id: c.padId, bos_token_id: c.bosId, eos_token_id: c.eosId, decoder_start_token_id: c.decoderStartId,
    torch_dtype: 'float32',
  };
}

/** Reads an HF BART config.json object; every size is checked under its HF name; errors name `path` and the field. */
export function fromHfConfig(json: Json, path: string): Seq2SeqConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    const spec = SEQ2SEQ_SCHEMA[HF_FIELDS[key]!];
    if (typeof v !== 'number' || !Number.isFinite(v) || (spec && ((spec.kind === 'int' && !Number.isInteger(v)) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)))) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(json[key])} is not plausible (expected ${spec?.kind === 'int' ? 'an integer' : 'a number'} in [${spec?.min}, ${spec?.max ?? 'inf'}])`, {
        where: `${path}: ${key}`, hint: 'the config.json is corrupt or not for this model; use the one saved with the weights' });
    }
    return v;
  };
  const unsupported = (key: string, want: string): never => {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(json[key])} is not supported`, { where: `${path}: ${key}`, hint: `llm.ts runs ${want}` });
  };
  const act = json.activation_function ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_new') unsupported('activation_function', "BART with 'gelu' or 'gelu_new'");
  if (json.add_final_layer_norm === true) unsupported('add_final_layer_norm', 'BART without the final stack norms (mBART has them)');
  if (json.normalize_before === true) unsupported('normalize_before', 'post-LayerNorm BART blocks');
  if (json.normalize_embedding === false) unsupported('normalize_embedding', 'BART with layernorm_embedding');
  if (json.static_position_embeddings === true) unsupported('static_position_embeddings', 'BART with learned positions');
  const nHead = num('encoder_attention_heads', 16);
  if (num('decoder_attention_heads', 16) !== nHead) unsupported('decoder_attention_heads', 'the same head count in encoder and decoder');
  const ffn = num('encoder_ffn_dim', 4096);
  if (num('decoder_ffn_dim', 4096) !== ffn) unsupported('decoder_ffn_dim', 'the same MLP width in encoder and decoder');
  const bool = (key: string, fallback: boolean): boolean => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'boolean') throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(v)} must be true or false`, { where: `${path}: ${key}`, hint: 'the config.json is corrupt' });
    return v;
  };
  const eosId = num('eos_token_id', 2);
  return validateSeq2SeqConfig({
    arch: 'bart', vocabSize: num('vocab_size'), blockSize: num('max_position_embeddings', 1024), nLayer: num('encoder_layers', 12),
    nDecoderLayer: num('decoder_layers', 12), nHead, nEmbd: num('d_model', 1024), intermediateSize: ffn, hiddenAct: act as 'gelu' | 'gelu_new',
    normEps: 1e-5, dropout: 0, scaleEmbedding: bool('scale_embedding', false), shareEmbeddings: true, tieEmbeddings: bool('tie_word_embeddings', true),
    padId: num('pad_token_id', 1), bosId: num('bos_token_id', 0), eosId, decoderStartId: num('decoder_start_token_id', eosId),
  }, path);
}

/** Our name of an HF tensor, or null for a tied copy we drop. */
function ourName(c: Seq2SeqConfig, name: string): string | null {
  if (c.shareEmbeddings && /^model\.(encoder|decoder)\.embed_tokens\.weight$/.test(name)) return null;
  if (c.tieEmbeddings && name === 'lm_head.weight') return null;
  return name;
}

/** Our named parameters -> the tensors HF's class saves (the same names). */
export function toHfTensors(_c: Seq2SeqConfig, params: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  return new Map(params);
}

/** HF tensors -> our names (see the module comment). */
export function fromHfTensors(c: Seq2SeqConfig, tensors: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  return renameEntries(tensors, (raw) => ourName(c, raw));
}

/** HF tensor shapes -> our names and shapes, reading no data. */
export function fromHfShapes(c: Seq2SeqConfig, shapes: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  return renameEntries(shapes, (raw) => ourName(c, raw), (s) => [...s]);
}

/** The seq2seq family's HF mapping. */
export const seq2seqHf: HfMapping<Seq2SeqConfig> = {
  modelTypes: ['bart'],
  fieldNames: HF_FIELDS,
  toConfig: toHfConfig,
  fromConfig: fromHfConfig,
  toTensors: toHfTensors,
  fromTensors: fromHfTensors,
  fromShapes: fromHfShapes,
};

/**
 * Generation with an encoder-decoder (`Seq2SeqLM`, src/models/seq2seq): the source is
 * encoded once and every decoder layer's cross keys/values are computed once; the decoder
 * then runs one token per step against its self-attention KV cache. Three ways to choose
 * the next token, as Hugging Face's `generate` does for BART:
 * - greedy (numBeams 1, no sampling): the argmax of the processed logits (min_length,
 *   no_repeat_ngram_size); finished rows are padded until all end or maxLength;
 * - sampling (`sample` options: temperature, topK, topP, seed; src/infer/sampling.ts);
 * - beam search (numBeams > 1; src/infer/beam.ts): beams reuse cache rows by reordering them.
 * `recompute: true` runs the decoder over the whole prefix at every step instead of the
 * cache (the tests' reference for the cached path).
 *
 * @example
 * const out = generateSeq2Seq(model, [tok.encode('Where is the station?', { addSpecialTokens: true })], { numBeams: 4, maxLength: 40 });
 * out[0].ids; // [2, ..., 2]: decoder start id first, end id last
 */
import type { Seq2SeqDecodeState, Seq2SeqLM } from '../models/seq2seq/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { banTokens, beamSearch, checkBeamOptions, type BeamHypothesis, type BeamStepper } from './beam.ts';
import { argmax, Sampler, type SamplingOptions } from './sampling.ts';

/** Options of `generateSeq2Seq` (HF's generation_config names in camelCase). */
export interface Seq2SeqGenerateOptions {
  /** Longest output, decoder start id included (HF's max_length). Default min(blockSize, 128). */
  maxLength?: number;
  /** No end id before the output has this many ids (start id included). Default 0. */
  minLength?: number;
  /** 1 = greedy or sampling; > 1 = beam search. Default 1. */
  numBeams?: number;
  /** Beam scores: sum logprob / length ** lengthPenalty. Default 1. */
  lengthPenalty?: number;
  /** Beam search stopping (see beam.ts). Default false. */
  earlyStopping?: boolean | 'never';
  /** Ban repeated n-grams of this size (0 = off). Default 0. */
  noRepeatNgramSize?: number;
  /** Sample instead of taking the argmax (numBeams 1 only). */
  sample?: SamplingOptions | null;
  /** Recompute the whole prefix each step instead of using the KV cache (tests). Default false. */
  recompute?: boolean;
}

/** One output per source. */
export interface Seq2SeqOutput {
  /** Decoder start id, the generated ids, and the end id when it ended. */
  ids: number[];
  /** Beam search: the length-normalised log-probability (HF's sequences_scores); null otherwise. */
  score: number | null;
}

/** The steps of a search over a decoding state: with the KV cache (reorder = move rows) or recomputing every prefix. */
export function seq2seqStepper(model: Seq2SeqLM, st: Seq2SeqDecodeState, recompute = false): BeamStepper {
  const V = model.config.vocabSize;
  if (recompute) {
    return {
      vocabSize: V,
      step: (seqs) => {
        const T = seqs[0]!.length;
        return model.decodeAll(st, Int32Array.from(seqs.flat()), T); // (rows, V)
      },
      reorder: () => {}, // the prefixes carry the whole history
    };
  }
  return {
    vocabSize: V,
    step: (seqs) => model.decodeStep(st, Int32Array.from(seqs, (s) => s[s.length - 1]!)), // (rows, V)
    reorder: (parents) => model.reorderRows(st, parents),
  };
}

/** Sources -> a padded batch (padId) and its mask; an empty or out-of-range source is an error. */
function sourceBatch(model: Seq2SeqLM, sources: readonly (readonly number[])[]): { ids: Int32Array; mask: Float32Array; B: number; S: number } {
  const c = model.config;
  const B = sources.length;
  if (B === 0) throw new LlmtsError('E_INPUT', 'no source to generate from', { where: 'generateSeq2Seq', hint: 'pass at least one source' });
  const S = Math.max(...sources.map((s) => s.length));
  if (S === 0 || S > c.blockSize) {
    throw new LlmtsError('E_INPUT', `sources must hold 1 to ${c.blockSize} ids, got one of ${S === 0 ? 0 : S}`, { where: 'generateSeq2Seq', hint: 'cut long sources to the model\'s blockSize' });
  }
  const ids = new Int32Array(B * S).fill(c.padId); // (B, S)
  const mask = new Float32Array(B * S); // (B, S)
  sources.forEach((s, b) => s.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
      throw new LlmtsError('E_INPUT', `source ${b}: id ${id} at ${i} is outside [0, ${c.vocabSize})`, { where: `sources[${b}][${i}]`, hint: 'encode the text with the model\'s tokenizer' });
    }
    ids[b * S + i] = id;
    mask[b * S + i] = 1;
  }));
  return { ids, mask, B, S };
}

/** Generates one output per source (see the module comment). */
export function generateSeq2Seq(model: Seq2SeqLM, sources: readonly (readonly number[])[], o: Seq2SeqGenerateOptions = {}): Seq2SeqOutput[] {
  const c = model.config;
  const numBeams = o.numBeams ?? 1;
  const maxLength = o.maxLength ?? Math.min(c.blockSize, 128);
  const beam = { numBeams, maxLength, minLength: o.minLength ?? 0, lengthPenalty: o.lengthPenalty ?? 1, earlyStopping: o.earlyStopping ?? false, noRepeatNgramSize: o.noRepeatNgramSize ?? 0, startId: c.decoderStartId, eosId: c.eosId };
  checkBeamOptions(beam);
  if (maxLength > c.blockSize) {
    throw new LlmtsError('E_RANGE', `maxLength ${maxLength} is more than the model's blockSize ${c.blockSize}`, { where: 'maxLength', hint: `use maxLength <= ${c.blockSize}` });
  }
  if (numBeams > 1 && o.sample) throw new LlmtsError('E_RANGE', 'beam search does not sample', { where: 'sample', hint: 'use numBeams 1 to sample, or drop the sampling options' });
  const src = sourceBatch(model, sources);
  const st = model.startDecoding({ ids: src.ids, B: src.B, S: src.S, mask: src.mask }, { expand: numBeams, capacity: maxLength });
  const stepper = seq2seqStepper(model, st, o.recompute ?? false);
  if (numBeams > 1) return beamSearch(stepper, src.B, beam).map((h: BeamHypothesis) => ({ ids: h.ids, score: h.score }));
  return pickEachStep(stepper, src.B, beam, o.sample ?? null);
}

/** Greedy or sampled decoding of B rows until every row ended or maxLength. */
function pickEachStep(stepper: BeamStepper, B: number, o: { maxLength: number; minLength: number; noRepeatNgramSize: number; startId: number; eosId: number }, sample: SamplingOptions | null): Seq2SeqOutput[] {
  const V = stepper.vocabSize;
  const samplers = sample ? Array.from({ length: B }, (_, b) => new Sampler({ ...sample, seed: (sample.seed ?? 1337) + b })) : null;
  const seqs = Array.from({ length: B }, () => [o.startId]);
  const ended = new Array<boolean>(B).fill(false);
  const lengths = new Array<number>(B).fill(0);
  while (seqs[0]!.length < o.maxLength && !ended.every((e) => e)) {
    const logits = stepper.step(seqs);
    for (let b = 0; b < B; b++) {
      if (ended[b]) {
        seqs[b]!.push(o.eosId); // finished rows are fed a filler the output drops
        continue;
      }
      const row = logits.slice(b * V, (b + 1) * V);
      banTokens(row, seqs[b]!, o.eosId, o.minLength, o.noRepeatNgramSize);
      const id = samplers ? samplers[b]!.sample(row, seqs[b]!, 1) : argmax(row);
      seqs[b]!.push(id);
      if (id === o.eosId) {
        ended[b] = true;
        lengths[b] = seqs[b]!.length;
      }
    }
  }
  return seqs.map((s, b) => ({ ids: ended[b] ? s.slice(0, lengths[b]) : s, score: null }));
}

/** The tokenizer side of `generateTexts`. */
export interface Seq2SeqTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: ArrayLike<number>, opts?: { skipSpecialTokens?: boolean }): string;
}

/**
 * Texts in, texts out (translation, summaries): each text encoded with the tokenizer's
 * template (BART: <s> text </s>), cut to the model's blockSize (the end id kept), decoded
 * in batches of `batchSize`; an output is its generated ids without the start and end ids.
 */
export function generateTexts(model: Seq2SeqLM, tokenizer: Seq2SeqTokenizer, texts: readonly string[], o: Seq2SeqGenerateOptions & { batchSize?: number } = {}): string[] {
  const { blockSize, eosId, decoderStartId } = model.config;
  const batchSize = o.batchSize ?? 16;
  const sources = texts.map((t) => {
    const ids = tokenizer.encode(t, { addSpecialTokens: true });
    if (ids.length <= blockSize) return ids;
    const cut = ids.slice(0, blockSize);
    if (ids[ids.length - 1] === eosId) cut[blockSize - 1] = eosId;
    return cut;
  });
  const out: string[] = [];
  for (let i = 0; i < sources.length; i += batchSize) {
    for (const r of generateSeq2Seq(model, sources.slice(i, i + batchSize), o)) {
      let ids = r.ids[0] === decoderStartId ? r.ids.slice(1) : r.ids;
      if (ids[ids.length - 1] === eosId) ids = ids.slice(0, -1);
      out.push(tokenizer.decode(ids, { skipSpecialTokens: true }));
    }
  }
  return out;
}

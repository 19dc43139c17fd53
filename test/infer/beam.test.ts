/**
 * Seq2seq decoding against Hugging Face transformers on the tiny random BART fixture
 * (test/fixtures/hf-bart/make-fixture.py): greedy and beam search (num_beams 3-4,
 * length_penalty 2 / 1 / 0.5 / -1, early_stopping true / false / 'never',
 * no_repeat_ngram_size, min_length, max_length) give transformers' `generate` ids, one
 * source at a time and as a padded batch, and its sequences_scores within 1e-4. Beam search
 * with the KV cache (rows reordered) gives what recomputing every prefix gives; sampling
 * repeats with its seed; the processors ban what HF bans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { banTokens, beamSearch, type BeamStepper } from '../../src/infer/beam.ts';
import { generateSeq2Seq, seq2seqStepper, type Seq2SeqGenerateOptions } from '../../src/infer/seq2seq-generate.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { asSeq2Seq } from '../../src/models/seq2seq/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'test/fixtures/hf-bart';
interface HfSettings { num_beams: number; max_length: number; length_penalty?: number; early_stopping?: boolean | 'never'; no_repeat_ngram_size?: number; min_length?: number }
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  sourceIds: number[][];
  generate: { settings: HfSettings; single: { ids: number[]; score?: number }[]; batch: number[][] }[];
};
const model = asSeq2Seq(loadCheckpoint(join(DIR, 'model')).model, 'beam test');

function options(s: HfSettings): Seq2SeqGenerateOptions {
  return { numBeams: s.num_beams, maxLength: s.max_length, lengthPenalty: s.length_penalty, earlyStopping: s.early_stopping, noRepeatNgramSize: s.no_repeat_ngram_size, minLength: s.min_length };
}

/** HF pads a batch's shorter outputs with pad_token_id after their end id. */
function unpad(ids: number[]): number[] {
  const end = ids.indexOf(2, 1);
  return end < 0 ? ids : ids.slice(0, end + 1);
}

for (const g of expected.generate) {
  const name = JSON.stringify(g.settings);
  test(`generate ${name} equals transformers, one source at a time`, () => {
    expected.sourceIds.forEach((src, i) => {
      const [out] = generateSeq2Seq(model, [src], options(g.settings));
      assert.deepEqual(out!.ids, g.single[i]!.ids, `source ${i}`);
      if (g.settings.num_beams > 1) assert.ok(Math.abs(out!.score! - g.single[i]!.score!) < 1e-4, `score ${out!.score} vs ${g.single[i]!.score}`);
      else assert.equal(out!.score, null);
    });
  });

  test(`generate ${name} equals transformers on a padded batch of 3 sources`, () => {
    const outs = generateSeq2Seq(model, expected.sourceIds, options(g.settings));
    assert.deepEqual(outs.map((o) => o.ids), g.batch.map(unpad));
  });
}

test('beam search with the KV cache (rows reordered, cross keys/values computed once) equals recomputing every prefix', () => {
  for (const g of expected.generate.filter((x) => x.settings.num_beams > 1)) {
    const cached = generateSeq2Seq(model, expected.sourceIds, options(g.settings));
    const full = generateSeq2Seq(model, expected.sourceIds, { ...options(g.settings), recompute: true });
    assert.deepEqual(cached.map((o) => o.ids), full.map((o) => o.ids));
    cached.forEach((o, i) => assert.ok(Math.abs(o.score! - full[i]!.score!) < 1e-5, `${o.score} vs ${full[i]!.score}`));
  }
});

test('reorderRows moves cache rows: stepping reordered rows gives the logits of the parents\' prefixes', () => {
  const src = expected.sourceIds[1]!;
  const st = model.startDecoding({ ids: Int32Array.from(src), B: 1, S: src.length }, { expand: 3, capacity: 8 });
  const ref = model.startDecoding({ ids: Int32Array.from(src), B: 1, S: src.length }, { expand: 3, capacity: 8 });
  const prefixes = [[2, 40], [2, 41], [2, 42]];
  model.decodeStep(st, Int32Array.of(2, 2, 2));
  model.decodeStep(st, Int32Array.of(40, 41, 42));
  model.reorderRows(st, Int32Array.of(2, 0, 0)); // rows now continue [2, 42], [2, 40], [2, 40]
  const next = model.decodeStep(st, Int32Array.of(7, 8, 9));
  const want = model.decodeAll(ref, Int32Array.from([...prefixes[2]!, 7, ...prefixes[0]!, 8, ...prefixes[0]!, 9]), 3);
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(next[i]! - want[i]!));
  assert.ok(d < 1e-5, `max |diff| ${d}`);
  assert.throws(() => model.reorderRows(st, Int32Array.of(0, 1, 3)), (e: unknown) => e instanceof LlmtsError && e.code === 'E_RANGE');
});

test('sampling repeats with its seed and differs across seeds; greedy ignores nothing it should not', () => {
  const src = [expected.sourceIds[2]!];
  const a = generateSeq2Seq(model, src, { maxLength: 16, sample: { temperature: 1.5, seed: 7 } });
  const b = generateSeq2Seq(model, src, { maxLength: 16, sample: { temperature: 1.5, seed: 7 } });
  assert.deepEqual(a, b);
  const outs = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(generateSeq2Seq(model, src, { maxLength: 16, sample: { temperature: 1.5, seed } })[0]!.ids)));
  assert.ok(outs.size > 1, 'different seeds give different samples');
  const greedy = generateSeq2Seq(model, src, { maxLength: 16 })[0]!.ids;
  assert.deepEqual(generateSeq2Seq(model, src, { maxLength: 16, sample: { temperature: 0 } })[0]!.ids, greedy, 'temperature 0 is greedy');
});

test('processors: min_length bans the end id, no_repeat_ngram_size bans what would repeat an n-gram', () => {
  const s = new Float64Array(10);
  banTokens(s, [2, 5, 6, 5], 2, 5, 2); // length 4 < 5: end id banned; bigram (5, 6) seen, last id 5 -> 6 banned
  assert.deepEqual([...s].map((x) => x === -Infinity), [false, false, true, false, false, false, true, false, false, false]);
  const t = new Float64Array(10);
  banTokens(t, [2, 5, 6, 7, 5, 6], 2, 0, 3); // trigram (5, 6, 7) seen, last two ids 5 6 -> 7 banned
  assert.deepEqual([...t].map((x) => x === -Infinity), [false, false, false, false, false, false, false, true, false, false]);
});

test('a hand-made stepper: the best finished hypothesis by sum logprob / length ** penalty, as HF scores it', () => {
  // V = 3, eos = 2. Step 1: ids 0 (p .6), 2 (p .3); then from [s, 0]: eos with p .9
  const probs = (seq: readonly number[]): number[] => (seq.length === 1 ? [0.6, 0.1, 0.3] : seq[seq.length - 1] === 0 ? [0.05, 0.05, 0.9] : [0.2, 0.2, 0.6]);
  const stepper: BeamStepper = {
    vocabSize: 3,
    step: (seqs) => Float32Array.from(seqs.flatMap((s) => probs(s).map(Math.log))),
    reorder: () => {},
  };
  const short = Math.log(0.3) / 1, long = (Math.log(0.6) + Math.log(0.9)) / 2;
  const [h1] = beamSearch(stepper, 1, { numBeams: 2, maxLength: 5, startId: 2, eosId: 2, lengthPenalty: 1 });
  assert.deepEqual(h1!.ids, long > short ? [2, 0, 2] : [2, 2]);
  assert.ok(Math.abs(h1!.score - Math.max(short, long)) < 1e-6);
  const [h0] = beamSearch(stepper, 1, { numBeams: 2, maxLength: 5, startId: 2, eosId: 2, lengthPenalty: 0, earlyStopping: 'never' });
  assert.ok(Math.abs(h0!.score - Math.max(Math.log(0.3), Math.log(0.6) + Math.log(0.9))) < 1e-6, 'penalty 0: plain sum');
  assert.throws(() => beamSearch(stepper, 1, { numBeams: 0, maxLength: 5, startId: 2, eosId: 2 }), /numBeams must be an integer >= 1/);
});

test('bad generation options and sources are errors naming the field; a stepper comes from any decoding state', () => {
  assert.throws(() => generateSeq2Seq(model, [[0, 5, 2]], { maxLength: 1000 }), /maxLength 1000 is more than the model's blockSize 64/);
  assert.throws(() => generateSeq2Seq(model, [[0, 5, 2]], { numBeams: 2, sample: { temperature: 1 } }), /beam search does not sample/);
  assert.throws(() => generateSeq2Seq(model, [[0, 5000]]), /id 5000 at 1 is outside \[0, 321\)/);
  assert.throws(() => generateSeq2Seq(model, []), /no source/);
  assert.equal(typeof seq2seqStepper(model, model.startDecoding({ ids: Int32Array.of(0, 2), B: 1, S: 2 })).step, 'function');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { backend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import { DecodeStep } from '../../src/infer/decode-step.ts';
import { generate } from '../../src/infer/engine.ts';
import { readGguf, writeGguf } from '../../src/io/gguf.ts';
import { modelToGguf } from '../../src/io/gguf-model.ts';
import { saveAdapter } from '../../src/io/peft.ts';
import { applyLora } from '../../src/nn/lora.ts';
import { loadModel } from '../../src/io/load-model.ts';
import type { DecodeMatrix, DecodePlan, DecodeWeightFormat } from '../../src/models/decode-plan.ts';
import { decodePlanOf, decodeWeightsOf, packMatrix, parseDecodeWeightFormat, setDecodeWeights } from '../../src/models/decode-weights.ts';
import { gpt2Config, llamaConfig } from '../../src/models/decoder/config.ts';
import type { LanguageModel } from '../../src/models/model.ts';
import { createModel } from '../../src/models/registry.ts';
import type { KVCache } from '../../src/nn/kv-cache.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { llmts as runCli } from '../cli-run.ts';

const DIR = 'data/llama2c-stories260k';
const BIN = path.join(DIR, 'stories260K.bin'), TOK = path.join(DIR, 'tok512.bin');
const tmp = mkdtempSync(path.join(tmpdir(), 'llmts-quant-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** stories260K written as a GGUF file of `type` and loaded back. */
function ggufStories(type: 'q8_0' | 'bf16'): { file: string; model: LanguageModel } {
  const src = loadModel(BIN, TOK);
  const file = path.join(tmp, `stories.${type}.gguf`);
  writeGguf(file, modelToGguf(src.model, src.tokenizer, type));
  return { file, model: loadModel(file).model as LanguageModel };
}
const q8 = ggufStories('q8_0');
const bf = ggufStories('bf16');

/** Every projection matrix of a plan (lm_head last) with its (out, in). */
function matrices(p: DecodePlan): { m: DecodeMatrix; out: number; in: number }[] {
  const out: { m: DecodeMatrix; out: number; in: number }[] = [];
  for (const l of p.layers) {
    const lins = [
      ...(l.attention.kind === 'fused' ? [l.attention.qkv] : [l.attention.q, l.attention.k, l.attention.v]),
      l.out,
      ...(l.mlp.kind === 'gelu' ? [l.mlp.up, l.mlp.down] : [l.mlp.gate, l.mlp.up, l.mlp.down]),
    ];
    for (const lin of lins) out.push({ m: lin.matrix, out: lin.out, in: lin.in });
  }
  out.push({ m: p.lmHeadMatrix, out: p.vocabSize, in: p.hiddenSize });
  return out;
}

/** Teacher-forced next-token log-probabilities of ids[1..] through the decode step. */
function teacherForced(m: LanguageModel, ids: number[]): { logprobs: number[]; logits: Float32Array[] } {
  const step = new DecodeStep(m);
  const cache = m.newCache(1, ids.length);
  const V = m.config.vocabSize;
  const logprobs: number[] = [], logits: Float32Array[] = [];
  for (let t = 0; t + 1 < ids.length; t++) {
    const l = new Float32Array(V);
    step.run(ids[t]!, cache, l);
    let max = -Infinity;
    for (const v of l) max = Math.max(max, v);
    let sum = 0;
    for (const v of l) sum += Math.exp(v - max);
    logprobs.push(l[ids[t + 1]!]! - max - Math.log(sum));
    logits.push(l);
  }
  return { logprobs, logits };
}

test('a Q8_0 / BF16 GGUF load decodes in its format; matrices with K % 32 != 0 stay fp32', () => {
  assert.equal(decodeWeightsOf(q8.model), 'q8_0');
  assert.equal(decodeWeightsOf(bf.model), 'bf16');
  const qm = matrices(decodePlanOf(q8.model));
  // stories260K: dim 64 (whole blocks), MLP hidden 172 (not): w2 (down) stays fp32
  for (const { m, in: K } of qm) assert.equal(m.format, K % 32 === 0 ? 'q8_0' : 'fp32', `K = ${K}`);
  assert.ok(qm.some((x) => x.m.format === 'fp32') && qm.some((x) => x.m.format === 'q8_0'));
  for (const { m } of matrices(decodePlanOf(bf.model))) assert.equal(m.format, 'bf16');
  // the model's own plan (what forward-side code sees) stays fp32
  for (const { m } of matrices(q8.model.decodePlan())) assert.equal(m.format, 'fp32');
  const fp = loadModel(BIN, TOK).model;
  assert.equal(decodeWeightsOf(fp), 'fp32');
  for (const { m } of matrices(decodePlanOf(fp))) assert.equal(m.format, 'fp32');
});

test('the packed Q8_0 blocks and bf16 bits are the GGUF file\'s own bytes', () => {
  for (const { file, model } of [q8, bf]) {
    const g = readGguf(file);
    const p = decodePlanOf(model);
    const pairs: [string, DecodeMatrix][] = [];
    p.layers.forEach((l, i) => {
      if (l.attention.kind !== 'separate' || l.mlp.kind !== 'swiglu') throw new Error('stories260K is a Llama');
      pairs.push([`blk.${i}.attn_q.weight`, l.attention.q.matrix], [`blk.${i}.attn_k.weight`, l.attention.k.matrix],
        [`blk.${i}.attn_v.weight`, l.attention.v.matrix], [`blk.${i}.attn_output.weight`, l.out.matrix],
        [`blk.${i}.ffn_gate.weight`, l.mlp.gate.matrix], [`blk.${i}.ffn_up.weight`, l.mlp.up.matrix]);
    });
    pairs.push(['token_embd.weight', p.lmHeadMatrix]); // tied embeddings
    for (const [name, m] of pairs) {
      const t = g.tensors.find((x) => x.name === name)!;
      assert.notEqual(m.format, 'fp32', name);
      const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      assert.deepEqual(bytes, new Uint8Array(t.data), `${path.basename(file)}: ${name}`);
    }
  }
});

test('Q8_0 decoding tracks the dequantised fp32 model: greedy tokens equal where logit gaps allow', () => {
  const fp = loadModel(q8.file, undefined, { quantize: 'fp32' }).model as LanguageModel; // same weights, fp32 products
  assert.equal(decodeWeightsOf(fp), 'fp32');
  const N = 48;
  const greedy = generate(fp, [1], { maxTokens: N, temperature: 0 }).ids;
  const ids = [1, ...greedy];
  const a = teacherForced(fp, ids), b = teacherForced(q8.model, ids);
  let maxDiff = 0, decided = 0;
  for (let t = 0; t < a.logits.length; t++) {
    const la = a.logits[t]!, lb = b.logits[t]!;
    for (let v = 0; v < la.length; v++) maxDiff = Math.max(maxDiff, Math.abs(la[v]! - lb[v]!));
    const sorted = [...la].sort((x, y) => y - x);
    if (sorted[0]! - sorted[1]! > 0.5) { // a clear winner: Q8_0 must pick it too
      decided++;
      assert.equal(lb.indexOf(Math.max(...lb)), ids[t + 1], `position ${t}`);
    }
  }
  assert.ok(maxDiff > 0, 'Q8_0 products differ from fp32 ones (the int8 path runs)');
  assert.ok(maxDiff < 0.25, `max logit difference ${maxDiff}`);
  assert.ok(decided >= N / 2, `${decided} of ${N} positions had a clear winner`);
  // and generation from the Q8_0 model gives the fp32 model's tokens at the start
  const qIds = generate(q8.model, [1], { maxTokens: N, temperature: 0 }).ids;
  const same = qIds.findIndex((id, i) => id !== greedy[i]);
  assert.ok(same === -1 || same >= 16, `tokens agree for ${same} positions`);
});

test('teacher-forced perplexity on TinyStories text: Q8_0 within +0.5% of fp32, bf16 within +0.5%', () => {
  const { model: fp, tokenizer } = loadModel(BIN, TOK);
  const text = readFileSync('data/tinystories/tinystories_val_head.txt', 'utf8').slice(0, 2400);
  const ids = [1, ...tokenizer.encode(text)].slice(0, 500);
  assert.ok(ids.length >= 400);
  const ppl = (m: LanguageModel) => {
    const lp = teacherForced(m, ids).logprobs;
    return Math.exp(-lp.reduce((s, x) => s + x, 0) / lp.length);
  };
  const p32 = ppl(fp as LanguageModel), p8 = ppl(q8.model), p16 = ppl(bf.model);
  assert.ok(p8 !== p32 && p16 !== p32, 'the quantised paths run');
  assert.ok(p8 <= p32 * 1.005, `Q8_0 perplexity ${p8} vs fp32 ${p32}`);
  assert.ok(p16 <= p32 * 1.005, `bf16 perplexity ${p16} vs fp32 ${p32}`);
});

/** Caches of stories260K prefilled with prompts of different lengths. */
function prefilled(m: LanguageModel, lengths: number[]): KVCache[] {
  return lengths.map((n, i) => {
    const c = m.newCache(1);
    const step = new DecodeStep(m), l = new Float32Array(m.config.vocabSize);
    for (let t = 0; t < n; t++) step.run((7 * t + 3 * i + 1) % m.config.vocabSize, c, l);
    return c;
  });
}

for (const [name, be] of [['native', () => backend()], ['reference', () => referenceBackend()]] as const) {
  test(`batched quantised decoding equals lone steps bit for bit (${name} backend)`, () => {
    const saved = backend();
    setBackend(be());
    try {
      for (const format of ['q8_0', 'bf16'] as DecodeWeightFormat[]) {
        const m = loadModel(BIN, TOK, { quantize: format }).model as LanguageModel;
        assert.equal(decodeWeightsOf(m), format);
        const V = m.config.vocabSize;
        const lens = [3, 1, 6, 2, 5, 4, 7, 2, 3, 1]; // 10 rows
        const step = new DecodeStep(m);
        const lone = prefilled(m, lens), caches = prefilled(m, lens);
        const ids = lens.map((_, i) => (11 * i + 5) % V);
        const logits = new Float32Array(lens.length * V);
        step.runBatch(ids, caches, logits);
        ids.forEach((id, b) => {
          const l = new Float32Array(V);
          step.run(id, lone[b]!, l);
          assert.deepEqual(logits.subarray(b * V, (b + 1) * V), l, `${format} row ${b}`);
        });
      }
    } finally {
      setBackend(saved);
    }
  });
}

test('setDecodeWeights: fp32 drops the copies; the packed plan is a snapshot re-made on request', () => {
  const m = createModel(llamaConfig({ vocabSize: 40, blockSize: 16, nLayer: 1, nHead: 2, nKvHead: 1, nEmbd: 32, intermediateSize: 48 }), { seed: 2 }) as LanguageModel;
  m.eval();
  setDecodeWeights(m, 'q8_0');
  const before = decodePlanOf(m).layers[0]!.out.matrix;
  assert.equal(before.format, 'q8_0');
  const w = m.decodePlan().layers[0]!.out.weight;
  w[0] = w[0]! + 1;
  setDecodeWeights(m, 'q8_0');
  assert.notDeepEqual(decodePlanOf(m).layers[0]!.out.matrix.data, before.data);
  assert.deepEqual(decodePlanOf(m).layers[0]!.out.matrix, packMatrix(w, 32, 32, 'q8_0'));
  setDecodeWeights(m, 'fp32');
  assert.equal(decodeWeightsOf(m), 'fp32');
  assert.equal(decodePlanOf(m).layers[0]!.out.matrix.data, w);
  assert.throws(() => parseDecodeWeightFormat('int4', '--quantize'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_QUANT' && /--quantize must be one of fp32, bf16, q8_0/.test(e.message));
});

test('llmts generate --quantize q8_0 decodes with Q8_0 copies; a wrong value is one E_QUANT line', () => {
  const llmts = (args: string[]) => runCli(['generate', '--model', BIN, '--tokenizer', TOK, ...args], { timeoutMs: 60_000 });
  const greedy = ['--prompt', 'The cat', '--temperature', '0', '--max-tokens', '60']; // fp32 and Q8_0 part at token 39
  const q = llmts([...greedy, '--quantize', 'q8_0']), f = llmts(greedy);
  assert.equal(q.stderr, '');
  assert.equal(q.code, 0);
  assert.notEqual(q.stdout, f.stdout);
  const text = (format: DecodeWeightFormat) => {
    const m = loadModel(BIN, TOK, { quantize: format });
    const prompt = m.tokenizer.encode('The cat', { addSpecialTokens: true });
    const ids = generate(m.model as LanguageModel, prompt, { maxTokens: 60, temperature: 0 }).ids;
    return m.tokenizer.decode([...prompt, ...ids].slice(1)).trim(); // after BOS
  };
  assert.equal(q.stdout.trim(), text('q8_0'));
  assert.equal(f.stdout.trim(), text('fp32'));
  const bad = llmts([...greedy, '--quantize', 'int4']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /E_QUANT.*--quantize must be one of fp32, bf16, q8_0/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('GPT-2 (fused qkv with biases, GELU MLP, learned positions) decodes in Q8_0 and bf16 close to fp32; batched = lone', () => {
  const m = createModel(gpt2Config({ vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 64 }), { seed: 5 }) as LanguageModel;
  m.eval();
  for (const [n, p] of m.stateDict()) if (n.endsWith('.bias')) p.data.forEach((_, i) => { p.data[i] = 0.02 * ((i % 7) - 3); });
  const V = m.config.vocabSize, ids = [3, 17, 42, 8, 29];
  const run = (format: DecodeWeightFormat): Float32Array[] => {
    setDecodeWeights(m, format);
    const step = new DecodeStep(m), cache = m.newCache(1);
    return ids.map((id) => { const l = new Float32Array(V); step.run(id, cache, l); return l; });
  };
  const fp = run('fp32');
  for (const format of ['q8_0', 'bf16'] as DecodeWeightFormat[]) {
    const got = run(format);
    assert.ok(matrices(decodePlanOf(m)).every(({ m: x }) => x.format === format));
    let maxDiff = 0, scale = 0;
    got.forEach((l, t) => l.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - fp[t]![i]!)); scale = Math.max(scale, Math.abs(fp[t]![i]!)); }));
    assert.ok(maxDiff > 0 && maxDiff < 0.03 * scale, `${format}: max diff ${maxDiff} of logits up to ${scale}`);
    const step = new DecodeStep(m);
    const lone = [m.newCache(1), m.newCache(1), m.newCache(1)], batch = [m.newCache(1), m.newCache(1), m.newCache(1)];
    const scratch = new Float32Array(V);
    [lone, batch].forEach((cs) => cs.forEach((c, b) => { for (let t = 0; t <= b; t++) step.run(ids[t]!, c, scratch); })); // positions 1, 2, 3
    const logits = new Float32Array(3 * V);
    step.runBatch([5, 6, 7], batch, logits);
    [5, 6, 7].forEach((id, b) => { step.run(id, lone[b]!, scratch); assert.deepEqual(logits.subarray(b * V, (b + 1) * V), scratch, `${format} row ${b}`); });
  }
  setDecodeWeights(m, 'fp32');
});

test('an adapter merged into a Q8_0 GGUF load is in the packed copies too (they are re-made after the merge)', () => {
  const base = loadModel(q8.file, undefined, { quantize: 'fp32' }).model;
  applyLora(base, { r: 4, alpha: 8, targetModules: ['q_proj'] });
  for (const [name, p] of base.namedParameters()) if (name.includes('lora_B')) p.data.forEach((_, i) => { p.data[i] = 0.05 * Math.sin(i + 1); });
  const dir = path.join(tmp, 'adapter');
  saveAdapter(base, dir);
  const merged = loadModel(q8.file, undefined, { adapter: dir }).model as LanguageModel;
  assert.equal(decodeWeightsOf(merged), 'q8_0');
  const q = decodePlanOf(merged).layers[0]!.attention, plain = decodePlanOf(q8.model).layers[0]!.attention;
  if (q.kind !== 'separate' || plain.kind !== 'separate') throw new Error('stories260K is a Llama');
  assert.deepEqual(q.q.matrix, packMatrix(q.q.weight, q.q.out, q.q.in, 'q8_0'), 'packed from the merged weights');
  assert.notDeepEqual(q.q.matrix.data, plain.q.matrix.data, 'the adapter changed them');
});

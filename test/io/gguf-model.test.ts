import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate } from '../../src/infer/engine.ts';
import { ggufBytes, parseGguf, readGguf, writeGguf, metaNumber, metaString, metaArray, type GgufContent } from '../../src/io/gguf.ts';
import { ggufModelPath, loadGgufModel } from '../../src/io/gguf-load.ts';
import { modelFromGguf, modelToGguf, permuteToInterleaved, type GgufFileType } from '../../src/io/gguf-model.ts';
import { tokenizerFromGguf, tokenizerToGguf } from '../../src/io/gguf-tokenizer.ts';
import { loadModel, type LoadedModel } from '../../src/io/load-model.ts';
import { quantizeQ8_0 } from '../../src/io/quant.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const STORIES = ['data/llama2c-stories260k/stories260K.bin', 'data/llama2c-stories260k/tok512.bin'] as const;
const HF_GPT2 = 'test/fixtures/hf-models/hf-gpt2-float32';
const HF_LLAMA = 'test/fixtures/hf-models/hf-llama-float32';
const IDS = Int32Array.from([1, 403, 407, 261, 378, 5, 77, 300]);
const TEXTS = ['Once upon a time, there was a little girl named Lily.', 'héllo  wörld!\n\n  "quoted" 1234 — ok', ''];

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-gguf-'));
}

function logits(m: LoadedModel['model']): Float32Array {
  return noGrad(() => m.forward(IDS, 1, IDS.length).logits.data.slice()); // (1, T, V)
}

function maxDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return { diff, scale };
}

/** Exports `src` as `type`, writes it, and loads it back through loadModel (the --model path). */
function roundTrip(src: LoadedModel, type: GgufFileType): { file: string; back: LoadedModel; content: GgufContent } {
  const file = path.join(tmp(), `m.${type}.gguf`);
  const content = modelToGguf(src.model, src.tokenizer, type, 'test');
  writeGguf(file, content);
  return { file, back: loadModel(file), content };
}

test('stories260K (llama2.c) -> f32 GGUF -> load: identical logits, config, tokenizer ids and llama.cpp metadata', () => {
  const src = loadModel(...STORIES);
  const { file, back } = roundTrip(src, 'f32');
  assert.equal(back.format, 'gguf');
  assert.deepEqual(back.model.config, src.model.config);
  assert.deepEqual(logits(back.model), logits(src.model));
  for (const t of TEXTS) assert.deepEqual(back.tokenizer.encode(t, { addSpecialTokens: true }), src.tokenizer.encode(t, { addSpecialTokens: true }), t);
  const g = readGguf(file);
  assert.equal(metaString(g, 'general.architecture'), 'llama');
  assert.equal(metaNumber(g, 'llama.context_length'), 512);
  assert.equal(metaNumber(g, 'llama.attention.head_count_kv'), 4);
  assert.equal(metaNumber(g, 'llama.rope.dimension_count'), 8);
  assert.equal(metaNumber(g, 'llama.attention.layer_norm_rms_epsilon'), 1e-5);
  assert.equal(metaString(g, 'tokenizer.ggml.model'), 'llama');
  const tokens = metaArray(g, 'tokenizer.ggml.tokens', ['string'])!;
  assert.deepEqual(tokens.slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
  assert.ok(tokens.includes('\u2581the'), 'spaces are stored as U+2581');
  assert.deepEqual(metaArray(g, 'tokenizer.ggml.token_type', ['int32'])!.slice(0, 4), [2, 3, 3, 6]);
  assert.ok(!g.tensors.some((t) => t.name === 'output.weight'), 'tied classifier: no output.weight');
});

test('GPT-2 (HF checkpoint) -> f32 GGUF -> load: identical logits; BPE tokenizer as gpt2 / gpt-2 with merges', () => {
  const src = loadModel(HF_GPT2);
  const { file, back } = roundTrip(src, 'f32');
  assert.deepEqual(back.model.config, src.model.config);
  assert.deepEqual(logits(back.model), logits(src.model));
  for (const t of TEXTS) assert.deepEqual(back.tokenizer.encode(t), src.tokenizer.encode(t), t);
  const g = readGguf(file);
  assert.equal(metaString(g, 'tokenizer.ggml.model'), 'gpt2');
  assert.equal(metaString(g, 'tokenizer.ggml.pre'), 'gpt-2');
  assert.ok(metaArray(g, 'tokenizer.ggml.merges', ['string'])!.length > 700);
  assert.deepEqual(g.tensors.slice(0, 4).map((t) => [t.name, t.dims]), [
    ['token_embd.weight', [32, 1024]], ['position_embd.weight', [32, 64]], ['blk.0.attn_norm.weight', [32]], ['blk.0.attn_norm.bias', [32]],
  ]);
  assert.equal(metaNumber(g, 'gpt2.attention.layer_norm_epsilon'), 1e-5);
});

test('HF Llama (half-split RoPE, GQA) -> f32 GGUF: q/k rows permuted to pairs; the loaded interleaved model gives the same logits', () => {
  const src = loadModel(HF_LLAMA);
  const srcConfig = src.model.config;
  assert.ok(srcConfig.arch === 'llama');
  assert.equal(srcConfig.ropeInterleaved, false);
  const { content, back } = roundTrip(src, 'f32');
  const backConfig = back.model.config;
  assert.ok(backConfig.arch === 'llama');
  assert.equal(backConfig.ropeInterleaved, true);
  const { diff } = maxDiff(logits(src.model), logits(back.model));
  assert.ok(diff < 1e-5, `max |diff| ${diff}`);
  // the permutation itself: head 0 row 1 (pair 0, second half) comes from HF row hs/2
  const q = src.model.stateDict().get('model.layers.0.self_attn.q_proj.weight')!;
  const hs = 32 / 4;
  const stored = new Float32Array(content.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.data.slice().buffer);
  assert.deepEqual(stored.subarray(32, 64), q.data.subarray((hs / 2) * 32, (hs / 2 + 1) * 32));
  assert.deepEqual(permuteToInterleaved(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 2, 8, 1), Float32Array.from([0, 2, 1, 3, 4, 6, 5, 7]));
});

test('f16 / bf16 / q8_0 exports load with logits close to the fp32 source; stories260K q8_0 decodes the same 40 greedy tokens', () => {
  const bounds: Record<GgufFileType, number> = { f32: 0, f16: 0.005, bf16: 0.02, q8_0: 0.05 }; // x max |logit|
  for (const [name, src] of [['stories', loadModel(...STORIES)], ['gpt2', loadModel(HF_GPT2)], ['llama', loadModel(HF_LLAMA)]] as const) {
    const ref = logits(src.model);
    for (const type of ['f16', 'bf16', 'q8_0'] as const) {
      const { back } = roundTrip(src, type);
      const { diff, scale } = maxDiff(ref, logits(back.model));
      assert.ok(diff > 0 && diff <= bounds[type] * scale, `${name} ${type}: max |diff| ${diff} vs max |logit| ${scale}`);
      if (name === 'stories' && type === 'q8_0') {
        const prompt = [1, 403, 407, 261, 378];
        assert.deepEqual(generate(back.model, prompt, { temperature: 0, maxTokens: 40 }).ids, generate(src.model, prompt, { temperature: 0, maxTokens: 40 }).ids);
      }
    }
  }
});

test('tensor types follow llama.cpp\'s convert script: 1-D and position table F32, Q8_0 blocks exact, rows not /32 fall back to F16', () => {
  const src = loadModel(...STORIES);
  const { content } = roundTrip(src, 'q8_0');
  const type = (n: string) => content.tensors.find((t) => t.name === n)!.type;
  assert.equal(type('token_embd.weight'), 'Q8_0');
  assert.equal(type('blk.0.attn_norm.weight'), 'F32');
  assert.equal(type('blk.0.ffn_down.weight'), 'F16'); // rows of 172
  assert.equal(type('blk.0.ffn_up.weight'), 'Q8_0');
  const wq = src.model.stateDict().get('model.layers.0.self_attn.v_proj.weight')!;
  assert.deepEqual(content.tensors.find((t) => t.name === 'blk.0.attn_v.weight')!.data, quantizeQ8_0(wq.data));
  const gpt2 = roundTrip(loadModel(HF_GPT2), 'bf16').content;
  assert.deepEqual(gpt2.tensors.filter((t) => t.type === 'F32').map((t) => t.name).filter((n) => !n.endsWith('.bias') && !n.includes('norm')), ['position_embd.weight']);
  assert.equal(metaNumber(parseGguf(ggufBytes(gpt2)), 'general.file_type'), 32);
});

test('the built-in GPT-2 tokenizer (tiktoken ranks, no merges list) round-trips with derived merges; a larger or foreign tokenizer is refused', () => {
  const tok = loadTokenizer('gpt2');
  const back = tokenizerFromGguf(parseGguf(ggufBytes({ metadata: tokenizerToGguf(tok, 50257), tensors: [] }), 'gpt2.gguf'));
  for (const t of TEXTS) assert.deepEqual(back.encode(t), tok.encode(t), t);
  assert.equal(back.tokenToId('<|endoftext|>'), 50256);
  const exportErr = (re: RegExp) => (e: unknown) => e instanceof LlmtsError && e.code === 'E_GGUF_EXPORT' && re.test(e.message);
  assert.throws(() => tokenizerToGguf(tok, 1024), exportErr(/50257 ids/));
  assert.throws(() => tokenizerToGguf(loadTokenizer('bert-base-uncased'), 40000), exportErr(/no llama\.cpp form/));
});

function withTensors(content: GgufContent, edit: (t: GgufContent['tensors']) => GgufContent['tensors']): Uint8Array {
  return ggufBytes({ metadata: content.metadata, tensors: edit(content.tensors.slice()) });
}

function expectGguf(bytes: Uint8Array, field: RegExp): void {
  assert.throws(() => modelFromGguf(parseGguf(bytes, 'm.gguf')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_GGUF' && field.test(e.message), `expected E_GGUF matching ${field}`);
}

test('malformed models: missing / misshapen / extra tensors and unsupported keys are E_GGUF naming them', () => {
  const { content } = roundTrip(loadModel(...STORIES), 'f32');
  expectGguf(withTensors(content, (t) => t.filter((x) => x.name !== 'blk.3.ffn_up.weight')), /blk\.3\.ffn_up\.weight: tensor is missing/);
  expectGguf(withTensors(content, (t) => [...t, { name: 'extra.weight', dims: [1], type: 'F32', data: new Uint8Array(4) }]), /extra\.weight: unexpected tensor/);
  expectGguf(withTensors(content, (t) => t.map((x) => (x.name === 'blk.0.attn_k.weight' ? { ...x, dims: [32, 64], data: x.data } : x))), /blk\.0\.attn_k\.weight: dims \[32, 64\]/);
  const meta = (key: string, v: GgufContent['metadata'] extends Map<string, infer V> ? V | undefined : never) => {
    const m = new Map(content.metadata);
    if (v === undefined) m.delete(key);
    else m.set(key, v);
    return ggufBytes({ metadata: m, tensors: content.tensors });
  };
  expectGguf(meta('general.architecture', { type: 'string', value: 'falcon' }), /general\.architecture: "falcon" is not supported/);
  expectGguf(meta('llama.block_count', undefined), /llama\.block_count: is missing/);
  expectGguf(meta('llama.embedding_length', { type: 'string', value: '64' }), /llama\.embedding_length: has type string/);
  expectGguf(meta('llama.rope.dimension_count', { type: 'uint32', value: 4 }), /llama\.rope\.dimension_count/);
  expectGguf(meta('llama.attention.head_count', { type: 'uint32', value: 7 }), /llama\.attention\.head_count: 7 heads/);
  expectGguf(meta('llama.attention.head_count_kv', { type: 'uint32', value: 3 }), /hyper-parameters: .*nKvHead/);
  const tokErr = (m: Uint8Array, field: RegExp) => assert.throws(() => tokenizerFromGguf(parseGguf(m, 'm.gguf')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_GGUF' && field.test(e.message));
  tokErr(meta('tokenizer.ggml.model', { type: 'string', value: 'bert' }), /tokenizer\.ggml\.model/);
  tokErr(meta('tokenizer.ggml.scores', undefined), /tokenizer\.ggml\.scores: is missing/);
});

test('GGUF paths: a .gguf file, or a directory holding model.gguf; a --tokenizer overrides the embedded one', () => {
  const src = loadModel(...STORIES);
  const dir = tmp();
  writeGguf(path.join(dir, 'model.gguf'), modelToGguf(src.model, src.tokenizer, 'bf16'));
  assert.equal(ggufModelPath(dir), path.join(dir, 'model.gguf'));
  assert.equal(ggufModelPath(STORIES[0]), undefined);
  const viaDir = loadModel(dir);
  assert.equal(viaDir.format, 'gguf');
  const withTok = loadGgufModel(path.join(dir, 'model.gguf'), STORIES[1]);
  assert.equal(withTok.tokenizer.vocabSize, 512);
  assert.throws(() => loadGgufModel(path.join(dir, 'model.gguf'), HF_GPT2), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TOKENIZER_MISMATCH');
});

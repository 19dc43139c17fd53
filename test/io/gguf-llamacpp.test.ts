// Parity with llama.cpp itself (node-llama-cpp 3.21.1, a dev dependency with its CPU build):
// our GGUF exports load in llama.cpp, and its greedy tokens equal ours (on the same file)
// from the same prompt ids (KV cache in F32 on both sides) on the llama2.c stories260K
// model, a GPT-2 and an HF Llama (GQA, half-split RoPE permuted on export). f32: all equal.
// f16 / bf16: llama.cpp rounds the activations to 16 bits in those matmuls and we do not,
// so a token may differ only where our two candidates are a near-tie (within 1% of the
// largest logit); the tiny random-weight Llama has one such step. Q8_0 (activations
// rounded to 8 bits by llama.cpp) is loaded and its agreement reported, not asserted.
// llama.cpp's tokenizer on the exported vocabulary (SPM with scores; byte-level BPE with
// merges and pre "gpt-2", GPT-2's own vocabulary with merges derived from its tiktoken
// ranks) gives our ids for the same texts.
// Without node-llama-cpp the test is skipped with one line; with LLMTS_REQUIRE_LLAMACPP=1
// (.ci/run) it must be present.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate } from '../../src/infer/engine.ts';
import { writeGguf } from '../../src/io/gguf.ts';
import { loadGgufModel } from '../../src/io/gguf-load.ts';
import { modelToGguf, type GgufFileType } from '../../src/io/gguf-model.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { createModel, gpt2Config } from '../../src/models/index.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { noGrad } from '../../src/tensor/index.ts';

/** The part of node-llama-cpp's API this test uses. */
interface Sequence { evaluate(tokens: number[], o: { temperature: number; yieldEogToken: boolean }): AsyncGenerator<number> }
interface Context { getSequence(): Sequence; dispose(): Promise<void> }
interface Model {
  createContext(o: { contextSize: number; threads: number; experimentalKvCacheKeyType: string; experimentalKvCacheValueType: string }): Promise<Context>;
  tokenize(text: string): number[];
  dispose(): Promise<void>;
}
interface Llama { loadModel(o: { modelPath: string }): Promise<Model>; dispose(): Promise<void> }
interface NodeLlamaCpp { getLlama(o: { gpu: false; build: 'never'; logLevel: string }): Promise<Llama> }

const N = 32;
const TEXTS = ['Once upon a time, there was a little girl named Lily.', 'héllo  wörld!\n\n  "quoted" 1234 — ok 🙂', ' leading space', 'tab\tand\nnewline'];
const MODELS: [string, () => ReturnType<typeof loadModel>, number[] | null][] = [
  ['stories260K', () => loadModel('data/llama2c-stories260k/stories260K.bin', 'data/llama2c-stories260k/tok512.bin'), [1, 403, 407, 261, 378]],
  ['gpt2', () => loadModel('test/fixtures/hf-models/hf-gpt2-float32'), null],
  ['hf-llama', () => loadModel('test/fixtures/hf-models/hf-llama-float32'), null],
];

async function llamaCpp(): Promise<Llama | string> {
  const name = 'node-llama-cpp';
  try {
    const mod = (await import(name)) as NodeLlamaCpp;
    return await mod.getLlama({ gpu: false, build: 'never', logLevel: 'error' });
  } catch (err) {
    return `node-llama-cpp is not usable here (${(err as Error).message.split('\n')[0]}); run npm install to get the dev dependency`;
  }
}

/**
 * Runs `body` with llama.cpp and a scratch folder; without node-llama-cpp skips `t` with
 * one line (fails when LLMTS_REQUIRE_LLAMACPP=1, as .ci/run sets it).
 */
async function withLlamaCpp(t: TestContext, body: (llama: Llama, dir: string) => Promise<void>): Promise<void> {
  const llama = await llamaCpp();
  if (typeof llama === 'string') {
    assert.notEqual(process.env.LLMTS_REQUIRE_LLAMACPP, '1', `LLMTS_REQUIRE_LLAMACPP=1 but ${llama}`);
    t.skip(llama);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-llamacpp-'));
  try {
    await body(llama, dir);
  } finally {
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** llama.cpp's greedy continuation of `prompt` on `file`, and its ids for each of TEXTS. */
async function llamaCppRun(llama: Llama, file: string, prompt: number[]): Promise<{ greedy: number[]; ids: number[][] }> {
  const model = await llama.loadModel({ modelPath: file });
  const ids = TEXTS.map((t) => [...model.tokenize(t)]);
  const ctx = await model.createContext({ contextSize: 128, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  const greedy: number[] = [];
  for await (const t of ctx.getSequence().evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
    greedy.push(t);
    if (greedy.length >= N) break;
  }
  await ctx.dispose();
  await model.dispose();
  return { greedy, ids };
}

test('llama.cpp greedy tokens equal ours on our GGUF exports (f32, f16, bf16), its tokenizer gives our ids (GPT-2\'s vocabulary too); Q8_0 loads', async (t) => {
  await withLlamaCpp(t, async (llama, dir) => {
    for (const [name, load, promptIds] of MODELS) {
      const src = load();
      const prompt = promptIds ?? src.tokenizer.encode('Once upon a time, there was a little');
      for (const type of ['f32', 'f16', 'bf16', 'q8_0'] as GgufFileType[]) {
        const file = path.join(dir, `${name}.${type}.gguf`);
        writeGguf(file, modelToGguf(src.model, src.tokenizer, type, name));
        const { model, tokenizer } = loadGgufModel(file);
        const ours = generate(model, prompt, { temperature: 0, maxTokens: N }).ids;
        const { greedy: theirs, ids } = await llamaCppRun(llama, file, prompt);
        if (type === 'f32') TEXTS.forEach((text, i) => assert.deepEqual(ids[i], tokenizer.encode(text), `${name}: llama.cpp's ids for ${JSON.stringify(text)}`));
        assert.equal(theirs.length, N, `${name} ${type}: llama.cpp generated ${theirs.length} tokens`);
        const at = theirs.findIndex((id, i) => id !== ours[i]);
        if (at < 0) {
          t.diagnostic(`${name} ${type}: all ${N} greedy tokens equal llama.cpp's`);
          continue;
        }
        // our logits where the two first differ: how far apart were the two choices?
        const ctx = Int32Array.from([...prompt, ...ours.slice(0, at)]);
        const V = model.config.vocabSize;
        const row = noGrad(() => model.forward(ctx, 1, ctx.length).logits.data.slice((ctx.length - 1) * V, ctx.length * V)); // (V)
        const gap = row[ours[at]!]! - row[theirs[at]!]!;
        const scale = row.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        t.diagnostic(`${name} ${type}: ${at} of ${N} greedy tokens equal llama.cpp's, then ours ${ours[at]} vs ${theirs[at]} (logit gap ${gap.toFixed(4)} of ${scale.toFixed(2)})`);
        if (type === 'f32') assert.deepEqual(theirs, ours, `${name} f32`);
        if (type === 'f16' || type === 'bf16') assert.ok(gap <= 0.01 * scale, `${name} ${type}: token ${at} differs with a logit gap of ${gap} (not a near-tie)`);
      }
    }
    // the built-in GPT-2 vocabulary (tiktoken ranks, merges derived on export)
    const tok = loadTokenizer('gpt2');
    const file = path.join(dir, 'gpt2-vocab.gguf');
    const model = createModel(gpt2Config({ vocabSize: 50257, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32 }), { seed: 1 });
    writeGguf(file, modelToGguf(model, tok, 'f16', 'gpt2-vocab'));
    const lm = await llama.loadModel({ modelPath: file });
    for (const text of [...TEXTS, " it's   what's  ", 'CamelCaseWords and 2024-12-06 12:34\n  \n']) {
      assert.deepEqual([...lm.tokenize(text)], tok.encode(text), JSON.stringify(text));
    }
    await lm.dispose();
  });
});

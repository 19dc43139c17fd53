import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { encodePrompt, generate, InferenceEngine, stopTokenIds, type TokenEvent } from '../../src/infer/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'data/llama2c-stories260k';
const { model, tokenizer } = loadModel(path.join(DIR, 'stories260K.bin'), path.join(DIR, 'tok512.bin'));
const prompts = ['Once upon a time', 'The cat', 'Lily and Tom went to the park', 'A big dog'].map((p) => encodePrompt(tokenizer, p));

test('engine: concurrent greedy requests give the ids and text of generate()', async () => {
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: 3 });
  const handles = prompts.map((prompt, i) => engine.submit({ prompt, maxTokens: 20 + 5 * i, temperature: 0 }));
  assert.equal(engine.active + engine.queued, 4);
  const streamed = await Promise.all(handles.map(async (h) => {
    let text = '';
    const ids: number[] = [];
    for await (const ev of h) {
      text += ev.text;
      if (ev.id >= 0) ids.push(ev.id);
    }
    return { text, ids };
  }));
  for (let i = 0; i < prompts.length; i++) {
    const want = generate(model, prompts[i]!, { temperature: 0, maxTokens: 20 + 5 * i, stopTokens: stopTokenIds(tokenizer) }, tokenizer);
    const got = await handles[i]!.result;
    assert.deepEqual(got.ids, want.ids, `request ${i}`);
    assert.equal(got.text, want.text);
    assert.equal(got.finishReason, want.finishReason);
    assert.equal(got.promptTokens, prompts[i]!.length);
    assert.equal(got.completionTokens, want.ids.length);
    assert.deepEqual(streamed[i]!.ids, got.ids);
    assert.equal(streamed[i]!.text, got.text);
  }
  assert.equal(engine.active, 0);
  await engine.close();
});

test('engine: a cancelled request ends "aborted" and frees its slot at once', async () => {
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: 1 });
  const a = engine.submit({ prompt: prompts[0]!, maxTokens: 200, temperature: 0, stopTokens: [] });
  const b = engine.submit({ prompt: prompts[1]!, maxTokens: 5, temperature: 0, stopTokens: [] });
  const seen: TokenEvent[] = [];
  for await (const ev of a) {
    seen.push(ev);
    if (seen.length === 3) {
      assert.equal(engine.queued, 1);
      a.cancel();
      assert.equal(engine.active, 0); // freed synchronously
    }
  }
  const ra = await a.result;
  assert.equal(ra.finishReason, 'aborted');
  assert.equal(ra.completionTokens, 3);
  const rb = await b.result;
  assert.equal(rb.finishReason, 'length');
  assert.equal(rb.completionTokens, 5);
  await engine.close();
});

test('engine: leaving a for-await loop early cancels the request and frees its slot', async () => {
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: 1 });
  const a = engine.submit({ prompt: prompts[0]!, maxTokens: 200, temperature: 0, stopTokens: [] });
  let n = 0;
  for await (const ev of a) {
    assert.ok(ev.id >= 0);
    if (++n === 4) break;
  }
  assert.equal(engine.active, 0);
  const r = await a.result;
  assert.equal(r.finishReason, 'aborted');
  assert.equal(r.completionTokens, 4);
  await engine.close();
});

test('engine: AbortSignal aborts, and a signal aborted before submit ends at once', async () => {
  const engine = new InferenceEngine(model, tokenizer);
  const ac = new AbortController();
  const h = engine.submit({ prompt: prompts[0]!, maxTokens: 200, temperature: 0, stopTokens: [], signal: ac.signal });
  let n = 0;
  for await (const ev of h) if (ev.id >= 0 && ++n === 4) ac.abort();
  const r = await h.result;
  assert.equal(r.finishReason, 'aborted');
  assert.equal(r.completionTokens, 4);
  assert.equal(engine.active, 0);
  const pre = new AbortController();
  pre.abort();
  const r2 = await engine.submit({ prompt: prompts[0]!, signal: pre.signal }).result;
  assert.equal(r2.finishReason, 'aborted');
  assert.equal(r2.completionTokens, 0);
  await engine.close();
});

test('engine: validation errors, queue limit and context length', async () => {
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: 1, maxQueue: 2 });
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof LlmtsError);
      return e.code;
    }
    return 'none';
  };
  assert.equal(code(() => engine.submit({ prompt: [] })), 'E_PROMPT');
  assert.equal(code(() => engine.submit({ prompt: [1, 9999] })), 'E_PROMPT');
  assert.equal(code(() => engine.submit({ prompt: new Array<number>(engine.contextLength + 1).fill(5) })), 'E_PROMPT');
  assert.equal(code(() => engine.submit({ prompt: [1], temperature: -1 })), 'E_SAMPLING');
  assert.equal(code(() => engine.submit({ prompt: [1], presencePenalty: 3 })), 'E_SAMPLING');
  assert.equal(code(() => engine.submit({ prompt: [1], frequencyPenalty: Number.NaN })), 'E_SAMPLING');
  assert.equal(code(() => engine.submit({ prompt: [1], logprobs: 21 })), 'E_SAMPLING');
  assert.equal(code(() => engine.submit({ prompt: [1], maxTokens: 1.5 })), 'E_SAMPLING');
  const hs = [1, 2].map(() => engine.submit({ prompt: [1], maxTokens: 3 }));
  assert.equal(code(() => engine.submit({ prompt: [1] })), 'E_QUEUE_FULL');
  await Promise.all(hs.map((h) => h.result));
  // prompt + output stops at the context length
  const ctx = engine.contextLength;
  const long = [1, ...new Array<number>(ctx - 5).fill(300)];
  const r = await engine.submit({ prompt: long, maxTokens: 100, temperature: 0, stopTokens: [] }).result;
  assert.equal(r.finishReason, 'length');
  assert.equal(r.promptTokens + r.completionTokens, ctx);
  await engine.close();
  assert.equal(code(() => engine.submit({ prompt: [1] })), 'E_CLOSED');
});

test('engine: a GPT-2 model (learned positions, fused qkv) with a byte-level BPE tokenizer, batched', async () => {
  const tok = loadTokenizer('gpt2');
  const m = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 48, nLayer: 2, nHead: 2, nEmbd: 16 }), { seed: 5 });
  const engine = new InferenceEngine(m, tok, { maxBatch: 8 });
  const texts = ['Hello world', 'The quick brown fox', 'A', 'One two three four', 'x y', 'Once upon', 'The end', 'Why?'];
  const hs = texts.map((t, i) => engine.submit({ prompt: encodePrompt(tok, t), maxTokens: 10 + i, temperature: 0 }));
  const rs = await Promise.all(hs.map((h) => h.result));
  texts.forEach((t, i) => {
    const want = generate(m, encodePrompt(tok, t), { temperature: 0, maxTokens: 10 + i, stopTokens: stopTokenIds(tok) }, tok);
    assert.deepEqual(rs[i]!.ids, want.ids);
    assert.equal(rs[i]!.text, want.text);
  });
  await engine.close();
});

test('engine: the event loop turns between decode steps', async () => {
  const engine = new InferenceEngine(model, tokenizer);
  let ticks = 0;
  let done = false;
  const tick = (): void => {
    ticks++;
    if (!done) setImmediate(tick);
  };
  const h = engine.submit({ prompt: prompts[0]!, maxTokens: 50, temperature: 0, stopTokens: [] });
  setImmediate(tick);
  const r = await h.result;
  done = true;
  assert.equal(r.completionTokens, 50);
  assert.ok(ticks >= 40, `${ticks} event-loop turns during 50 tokens`);
  await engine.close();
});

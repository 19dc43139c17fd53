import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateText, scoreIds } from '../../src/eval/perplexity.ts';
import { generate } from '../../src/infer/engine.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { llmts as runCli } from '../cli-run.ts';

const TEXT = 'To be, or not to be, that is the question:\nWhether \'tis nobler in the mind to suffer\n';

/** -log p(ids[t+1] | ids[s..t]) summed, from one full forward per window, in float64. */
function manualNats(m: AnyModel, ids: number[], T: number): number {
  let total = 0;
  for (let s = 0; s < ids.length - 1; s += T) {
    const len = Math.min(T, ids.length - 1 - s);
    const logits = noGrad(() => m.forward(Int32Array.from(ids.slice(s, s + len)), 1, len).logits.data.slice());
    const V = m.config.vocabSize;
    for (let t = 0; t < len; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = Math.max(...row);
      let z = 0;
      for (const x of row) z += Math.exp(x - max);
      total += Math.log(z) + max - row[ids[s + t + 1]!]!;
    }
  }
  return total;
}

test('scoreIds: windows and batches give the sum of next-token losses, whatever the batch size', () => {
  const tok = CharTokenizer.fromText(TEXT);
  const m = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 2 });
  const ids = tok.encode(TEXT);
  const want = manualNats(m, ids, 16);
  for (const batchSize of [1, 3, 8]) {
    const r = scoreIds(m, ids, { batchSize });
    assert.equal(r.tokens, ids.length - 1);
    assert.ok(Math.abs(r.totalNats - want) < 1e-3 * want, `batch ${batchSize}: ${r.totalNats} vs ${want}`);
  }
  const short = scoreIds(m, ids, { blockSize: 5, maxTokens: 23 });
  assert.equal(short.tokens, 23);
  assert.ok(Math.abs(short.totalNats - manualNats(m, ids.slice(0, 24), 5)) < 1e-3 * short.totalNats);
  assert.throws(() => scoreIds(m, [1]), /at least two tokens/);
});

test('evaluateText on stories260K: BOS first, bits per byte = nats / (ln 2 * bytes); greedy text scores low', () => {
  const { model, tokenizer } = loadModel('data/llama2c-stories260k/stories260K.bin', 'data/llama2c-stories260k/tok512.bin');
  const text = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';
  const r = evaluateText(model, tokenizer, text);
  assert.equal(r.tokens, tokenizer.encode(text).length, 'every token of the text is scored (BOS is the context of the first)');
  assert.equal(r.bytes, Buffer.byteLength(text));
  assert.ok(Math.abs(r.perplexity - Math.exp(r.loss)) < 1e-9);
  assert.ok(Math.abs(r.bitsPerByte - r.totalNats / (Math.LN2 * r.bytes)) < 1e-12);
  const scrambled = evaluateText(model, tokenizer, text.split(' ').reverse().join(' '));
  assert.ok(r.loss < 1 && scrambled.loss > r.loss + 1, `model text ${r.loss} vs scrambled ${scrambled.loss}`);
});

test('llmts eval and llmts generate read a checkpoint directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-eval-'));
  const tok = CharTokenizer.fromText(TEXT);
  const m = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 4 });
  const ck = path.join(dir, 'checkpoints', 'step-1');
  saveCheckpoint(ck, { model: m, tokenizer: tok });
  const file = path.join(dir, 'text.txt');
  fs.writeFileSync(file, TEXT);
  const want = evaluateText(m, tok, TEXT, { batchSize: 2 });
  const run = (args: string[]) => runCli([...args], { timeoutMs: 60_000 });
  const ev = run(['eval', '--model', ck, '--file', file, '--json', '--batch-size', '2']);
  assert.equal(ev.code, 0, ev.stderr);
  const got = JSON.parse(ev.stdout) as { tokens: number; bytes: number; loss: number; perplexity: number; bitsPerByte: number };
  assert.equal(got.tokens, TEXT.length - 1, 'char tokenizer has no start token: the first char is context only');
  assert.equal(got.bytes, Buffer.byteLength(TEXT));
  assert.ok(Math.abs(got.loss - want.loss) < 1e-6);
  assert.ok(Math.abs(got.bitsPerByte - want.bitsPerByte) < 1e-6);
  const gen = run(['generate', '--model', dir, '--prompt', 'To be', '--temperature', '0', '--max-tokens', '30']);
  assert.equal(gen.code, 0, gen.stderr);
  const ids = [...tok.encode('To be'), ...generate(m, tok.encode('To be'), { maxTokens: 30, temperature: 0 }).ids];
  assert.equal(gen.stdout, tok.decode(ids) + '\n', 'a run directory resolves to its newest checkpoint; same greedy text as the library');
});

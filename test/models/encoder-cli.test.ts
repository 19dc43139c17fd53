/**
 * `llmts fill-mask` and `llmts embed` on the BERT fixtures (test/fixtures/hf-bert): the
 * same ids, order and scores (within 1e-4) as transformers' fill-mask pipeline, the same
 * sentence embeddings as the masked mean / [CLS] of transformers' hidden states, and the
 * errors a user can cause. Also the masking statistics of the masked-LM objective.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskTokens } from '../../src/train/objectives/masked-lm.ts';
import { IGNORE } from '../../src/train/objectives/causal-lm.ts';
import { Rng } from '../../src/util/rng.ts';
import { llmts as runCli } from '../cli-run.ts';

const llmts = (...args: string[]) => runCli([...args], { timeoutMs: 120_000 });
const DIR = 'test/fixtures/hf-bert';
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  sentences: string[];
  fill_mask: { text: string; masks: { token: string; id: number; score: number }[][] }[];
  embed: { mean: number[][]; cls: number[][] };
};

test('llmts fill-mask --json: the ids, order and scores of transformers\' fill-mask pipeline (one and two masks)', () => {
  for (const f of expected.fill_mask) {
    const r = llmts('fill-mask', '--model', join(DIR, 'mlm'), '--text', f.text, '--top-k', '5', '--json');
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { token: string; id: number; score: number }[][];
    assert.equal(got.length, f.masks.length, 'one array per [MASK]');
    got.forEach((preds, m) => {
      assert.deepEqual(preds.map((p) => p.id), f.masks[m]!.map((p) => p.id), `${f.text}: mask ${m} ids`);
      assert.deepEqual(preds.map((p) => p.token), f.masks[m]!.map((p) => p.token), `${f.text}: mask ${m} tokens`);
      preds.forEach((p, k) => assert.ok(Math.abs(p.score - f.masks[m]![k]!.score) < 1e-4, `${p.score} vs ${f.masks[m]![k]!.score}`));
    });
  }
  const text = llmts('fill-mask', '--model', join(DIR, 'mlm'), '--text', expected.fill_mask[0]!.text, '--top-k', '2');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^mask 1 of 1:\n {2}0\.1495 {2}a {2}\(id 49\)\n {2}0\.0976 {2}\[MASK\] {2}\(id 4\)\n$/);
});

test('llmts embed: masked mean (default) and [CLS] pooling equal transformers\' hidden states pooled, L2-normalised', () => {
  const root = mkdtempSync(join(tmpdir(), 'llmts-embed-'));
  try {
    const file = join(root, 'texts.txt');
    writeFileSync(file, `${expected.sentences.join('\n')}\n\n`);
    for (const [pooling, want] of [['mean', expected.embed.mean], ['cls', expected.embed.cls]] as const) {
      const r = llmts('embed', '--model', join(DIR, 'base'), '--file', file, '--pooling', pooling);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as number[]);
      assert.equal(lines.length, 2, 'one line per non-empty line of the file');
      lines.forEach((e, i) => {
        assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5, 'unit length');
        e.forEach((v, k) => assert.ok(Math.abs(v - want[i]![k]!) < 1e-4, `${pooling} text ${i} dim ${k}: ${v} vs ${want[i]![k]}`));
      });
    }
    const one = llmts('embed', '--model', join(DIR, 'base'), '--text', expected.sentences[1]!);
    assert.deepEqual(JSON.parse(one.stdout) as number[], JSON.parse(llmts('embed', '--model', join(DIR, 'base'), '--file', file).stdout.trim().split('\n')[1]!) as number[],
      'a text alone embeds as it does padded in a batch');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fill-mask / embed (and eval / generate given an encoder): user errors are one line with a code', () => {
  const cases: [string[], RegExp][] = [
    [['fill-mask', '--model', join(DIR, 'mlm'), '--text', 'no mask here'], /E_INPUT: the text has no \[MASK\]/],
    [['fill-mask', '--model', join(DIR, 'base'), '--text', 'a [MASK]'], /E_MODEL: fill-mask needs a masked-LM head; this bert model's head is 'none'/],
    [['fill-mask', '--model', join(DIR, 'mlm'), '--text', 'a [MASK]', '--top-k', '0'], /E_FLAG: --top-k must be an integer >= 1/],
    [['fill-mask', '--model', 'test/fixtures/hf-models/hf-gpt2-float32', '--text', 'a [MASK]'], /E_MODEL: --model: the model is a gpt2 decoder, not an encoder/],
    [['embed', '--model', join(DIR, 'base')], /E_USAGE: llmts embed needs --text or --file/],
    [['eval', '--model', join(DIR, 'mlm'), '--file', join(DIR, 'SOURCE.txt')], /E_EVAL: a bert encoder has no next-token perplexity/],
    [['generate', '--model', join(DIR, 'mlm'), '--prompt', 'the'], /E_MODEL: bert is an encoder: it does not generate text/],
    [['embed', '--model', join(DIR, 'base'), '--text', 'a', '--pooling', 'max'], /E_FLAG: --pooling must be mean or cls/],
  ];
  for (const [args, re] of cases) {
    const r = llmts(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('masking statistics: 15% of non-special tokens chosen, 80 / 10 / 10 of them [MASK] / random / kept, specials never', () => {
  const specials = new Set([0, 1, 2]); // e.g. [PAD], [CLS], [SEP]
  const maskId = 3, vocabSize = 1000;
  const rng = new Rng(42);
  let eligible = 0, chosen = 0, masked = 0, random = 0, kept = 0;
  for (let draw = 0; draw < 400; draw++) {
    const ids = Int32Array.from({ length: 128 }, (_, i) => (i === 0 ? 1 : i === 127 ? 2 : i > 120 ? 0 : 4 + ((draw * 131 + i * 7) % 996)));
    const m = maskTokens(ids, { maskId, vocabSize, specialIds: specials }, rng);
    ids.forEach((id, i) => {
      if (specials.has(id)) {
        assert.equal(m.targets[i], IGNORE, 'a special token is never chosen');
        assert.equal(m.ids[i], id);
        return;
      }
      eligible++;
      if (m.targets[i] === IGNORE) { assert.equal(m.ids[i], id, 'not chosen: unchanged'); return; }
      chosen++;
      assert.equal(m.targets[i], id, 'the target is the original id');
      if (m.ids[i] === maskId) masked++;
      else if (m.ids[i] === id) kept++;
      else random++;
    });
  }
  // eligible ~ 47,600: the binomial sd of the 15% rate is ~0.16 points; of 80/10/10 ~0.5 / 0.4 points
  assert.ok(Math.abs(chosen / eligible - 0.15) < 0.006, `chosen ${chosen / eligible}`);
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.02, `[MASK] ${masked / chosen}`);
  assert.ok(Math.abs(random / chosen - 0.1) < 0.015, `random ${random / chosen} (a random id equal to the original counts as kept)`);
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.015, `kept ${kept / chosen}`);
});

test('whole-word masking: a word\'s ## pieces are chosen with it, never alone', () => {
  // ids 10.. are word starts, 50.. are ## pieces: words of 1 to 3 ids
  const continues = (id: number) => id >= 50;
  const rng = new Rng(7);
  let words = 0, chosenWords = 0;
  for (let draw = 0; draw < 200; draw++) {
    const ids: number[] = [1];
    for (let w = 0; w < 30; w++) {
      ids.push(10 + ((draw + w) % 40));
      for (let p = 0; p < (draw + w) % 3; p++) ids.push(50 + p);
    }
    ids.push(2);
    const m = maskTokens(Int32Array.from(ids), { maskId: 3, vocabSize: 100, specialIds: new Set([1, 2]), continuesWord: continues }, rng);
    for (let i = 1; i < ids.length - 1; i++) {
      if (continues(ids[i]!)) continue;
      let end = i + 1;
      while (continues(ids[end]!)) end++;
      const picked = [...m.targets.subarray(i, end)].map((t) => t !== IGNORE);
      assert.ok(picked.every((p) => p === picked[0]), `word at ${i}: all or none of its pieces (${picked})`);
      words++;
      if (picked[0]) chosenWords++;
    }
  }
  assert.ok(Math.abs(chosenWords / words - 0.15) < 0.02, `words chosen ${chosenWords / words}`);
});

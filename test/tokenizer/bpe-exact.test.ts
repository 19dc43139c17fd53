/** Byte-level BPE exactness: ids equal tiktoken's on every shared test vector. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { get_encoding } from 'tiktoken';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';
import { loadTiktoken } from '../../src/tokenizer/tiktoken-file.ts';
import type { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { corpusSample, devRankFile, readExpectedJson, readLlamaCppGpt2, readTestPlans } from './bpe-helpers.ts';

const plans = readTestPlans();

function checkPlans(encoding: string, tok: BpeTokenizer): number {
  const cases = plans.filter((c) => c.encoding === encoding);
  for (const c of cases) {
    assert.deepEqual(tok.encode(c.sample), c.ids, `${encoding}: ${JSON.stringify(c.sample)}`);
    assert.equal(tok.decode(c.ids), c.sample, `${encoding} round trip: ${JSON.stringify(c.sample)}`);
  }
  return cases.length;
}

test('r50k (gpt2 built-in) matches every gpt-tokenizer test plan case', () => {
  assert.equal(checkPlans('r50k_base', builtinTokenizer('gpt2')), 64);
});

test('cl100k built-in matches every gpt-tokenizer test plan case', () => {
  assert.equal(checkPlans('cl100k_base', builtinTokenizer('cl100k')), 64);
});

test('p50k_base and o200k_base ranks (from the gpt-tokenizer dev dependency) match their test plans', (t) => {
  const p50k = devRankFile('p50k_base');
  const o200k = devRankFile('o200k_base');
  if (p50k === undefined || o200k === undefined) {
    t.skip('gpt-tokenizer rank files not installed');
    return;
  }
  const p = loadTiktoken(p50k, { pattern: 'r50k', specialTokens: { '<|endoftext|>': 50256 } });
  assert.equal(checkPlans('p50k_base', p), 64);
  assert.equal(checkPlans('p50k_edit', p), 64); // same ranks and pattern; only extra specials differ
  const o = loadTiktoken(o200k, { pattern: 'o200k', specialTokens: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 } });
  assert.equal(checkPlans('o200k_base', o), 57);
});

test('llama.cpp GPT-2 vocab test: all 46 inputs give the expected ids and round-trip', () => {
  const tok = builtinTokenizer('gpt2');
  const cases = readLlamaCppGpt2();
  assert.equal(cases.length, 46);
  for (const c of cases) {
    assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text));
    assert.equal(tok.decode(tok.encode(c.text)), c.text);
  }
});

test('gpt2-cl100k-expected.json: every case for both encodings (special tokens allowed)', () => {
  const g = builtinTokenizer('gpt2');
  const c = builtinTokenizer('cl100k');
  const cases = readExpectedJson();
  assert.equal(cases.length, 14);
  for (const k of cases) {
    assert.deepEqual(g.encode(k.text, { allowedSpecial: 'all' }), k.r50k_base, `r50k ${k.source}`);
    assert.deepEqual(c.encode(k.text, { allowedSpecial: 'all' }), k.cl100k_base, `cl100k ${k.source}`);
    assert.equal(g.decode(k.r50k_base), k.text);
    assert.equal(c.decode(k.cl100k_base), k.text);
  }
});

test('ids equal the tiktoken npm package (WASM) on a 150 KB mixed en/fr/zh corpus sample', () => {
  // Whitespace where Rust's \s (tiktoken) and JS's \s disagree: U+0085 is White_Space, U+FEFF is not.
  const ws = ['x  \u0085\u0085 y', 'a\u0085\u0085b', 'a \ufeff\ufeffb', 'a\ufeff \ufeff', '  \ufeff', 'a\u0085 \u0085 b', 'x\u0085\u0085 y', ' \u0085 \ufeff x\u00a0y \u3000z'];
  const text = corpusSample(150_000) + ws.join('\n') + ' \r\n\r\n  \t end  ';
  for (const [name, tok] of [['gpt2', builtinTokenizer('gpt2')], ['cl100k_base', builtinTokenizer('cl100k')]] as const) {
    const enc = get_encoding(name);
    try {
      const ref = Array.from(enc.encode(text));
      const ours = tok.encode(text);
      assert.equal(ours.length, ref.length, name);
      assert.deepEqual(ours, ref, name);
      assert.equal(tok.decode(ours), text);
    } finally {
      enc.free();
    }
  }
});

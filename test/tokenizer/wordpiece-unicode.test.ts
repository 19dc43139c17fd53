// BERT normalizer and pre-tokenizer vs Hugging Face `tokenizers` on every Unicode code point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import hf from 'tokenizers';
import { bertNormalize, bertPreTokenize, type BertNormalizerOptions } from '../../src/tokenizer/bert-pretokenizer.ts';

/** All code points except surrogates, in chunks, each char followed by a space and 'a'. */
function* chunks(size: number): Generator<string> {
  let parts: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    parts.push(String.fromCodePoint(cp) + 'a ');
    if (parts.length === size) { yield parts.join(''); parts = []; }
  }
  if (parts.length) yield parts.join('');
}

const configs: BertNormalizerOptions[] = [
  { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true },
  { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: false },
  { cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false },
];

for (const cfg of configs) {
  test(`bertNormalize equals HF BertNormalizer on every code point ${JSON.stringify(cfg)}`, () => {
    const ref = hf.bertNormalizer({
      cleanText: cfg.cleanText, handleChineseChars: cfg.handleChineseChars,
      lowercase: cfg.lowercase, ...(cfg.stripAccents === null ? {} : { stripAccents: cfg.stripAccents }),
    });
    let n = 0;
    for (const text of chunks(8192)) {
      const want = ref.normalizeString(text);
      const got = bertNormalize(text, cfg);
      if (got !== want) {
        // Find the first differing code point for a readable failure.
        const cps = [...text.matchAll(/(.)a /gsu)].map((m) => m[1]);
        for (const c of cps) {
          const w = ref.normalizeString(c + 'a ');
          assert.equal(bertNormalize(c + 'a ', cfg), w, `U+${c.codePointAt(0)!.toString(16)}`);
        }
        assert.equal(got, want);
      }
      n++;
    }
    assert.ok(n > 100);
  });
}

test('bertPreTokenize equals HF BertPreTokenizer on every code point', () => {
  const ref = hf.bertPreTokenizer();
  for (const text of chunks(8192)) {
    const want = ref.preTokenizeString(text).map((p) => p[0]);
    assert.deepEqual(bertPreTokenize(text), want);
  }
});

test('lone surrogates are dropped like U+FFFD, in HF as in ours', () => {
  const ref = hf.bertNormalizer({ lowercase: true });
  for (const s of ['a\ud800b', '\udc00', 'x\ud83dy\ude00z', '\ud83d\ude00\ud83d']) {
    assert.equal(bertNormalize(s), ref.normalizeString(s));
  }
  assert.equal(bertNormalize('a\ud800b'), 'ab');
});

test('word-final capital sigma lowercases char by char (as Rust), not to final sigma', () => {
  assert.equal(bertNormalize('ΟΔΟΣ', { stripAccents: false }), 'οδοσ');
  assert.equal(hf.bertNormalizer({ stripAccents: false, lowercase: true }).normalizeString('ΟΔΟΣ'), 'οδοσ');
});

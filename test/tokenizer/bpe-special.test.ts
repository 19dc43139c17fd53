/** Byte-level BPE: special tokens, streaming decode, the BpeSpec factory, nasty input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';
import { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { StreamingDecoder } from '../../src/tokenizer/streaming.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const gpt2 = builtinTokenizer('gpt2');
const cl100k = builtinTokenizer('cl100k');

test('special tokens are plain text by default and matched only when allowed', () => {
  const text = 'hi<|endoftext|>there';
  const plain = gpt2.encode(text);
  assert.ok(!plain.includes(50256));
  assert.deepEqual(plain, gpt2.encodeOrdinary(text));
  assert.equal(gpt2.decode(plain), text);
  assert.deepEqual(gpt2.encode(text, { allowedSpecial: 'all' }), [...gpt2.encode('hi'), 50256, ...gpt2.encode('there')]);
  assert.deepEqual(gpt2.encode(text, { allowedSpecial: ['<|endoftext|>'] }), gpt2.encode(text, { allowedSpecial: 'all' }));
  // Only the allowed ones match.
  const t2 = '<|fim_prefix|>a<|endoftext|>';
  const ids = cl100k.encode(t2, { allowedSpecial: new Set(['<|endoftext|>']) });
  assert.ok(!ids.includes(100258));
  assert.equal(ids[ids.length - 1], 100257);
  assert.throws(() => gpt2.encode('x', { allowedSpecial: ['<|nope|>'] }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BPE_SPECIAL');
  assert.equal(gpt2.decode([50256, 31373], { skipSpecialTokens: true }), 'hello');
  assert.equal(gpt2.decode([50256]), '<|endoftext|>');
  assert.equal(gpt2.tokenToId('<|endoftext|>'), 50256);
  assert.equal(gpt2.idToToken(50256), '<|endoftext|>');
  assert.equal(gpt2.tokenToId('Ġworld'), 995);
  assert.equal(gpt2.idToToken(995), 'Ġworld');
  assert.equal(gpt2.vocabSize, 50257);
  assert.equal(cl100k.vocabSize, 100277);
  assert.throws(() => gpt2.decode([50257]), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BPE_ID');
});

test('streaming decoder holds split UTF-8 sequences until they complete', () => {
  const text = 'a🦙b 你好, здравствуй 😶‍🌫️!';
  for (const tok of [gpt2, cl100k]) {
    const ids = tok.encode(text);
    const sd = new StreamingDecoder(tok);
    let out = '';
    const pieces: string[] = [];
    for (const id of ids) {
      const s = sd.push(id);
      pieces.push(s);
      out += s;
      assert.ok(!s.includes('\ufffd'), `no replacement char mid-stream: ${JSON.stringify(s)}`);
    }
    out += sd.flush();
    assert.equal(out, text);
    assert.ok(pieces.includes(''), 'some token ended inside a multi-byte character');
  }
  // A single emoji is 4 bytes; gpt2 splits it over several ids.
  const llama = gpt2.encode('🦙');
  assert.ok(llama.length > 1);
  const sd = new StreamingDecoder(gpt2);
  assert.equal(sd.push(llama[0]!), '');
  assert.equal(sd.flush(), '\ufffd'); // an unfinished sequence at the end is reported, not dropped
  // Non-streaming decode of a cut character replaces it.
  assert.equal(gpt2.decode(llama.slice(0, 1)), '\ufffd');
});

test('BpeSpec factory: a tiny merges vocabulary (the trainer API)', () => {
  const vocab: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const merges: [Uint8Array, Uint8Array][] = [[enc('h'), enc('i')], [enc(' '), enc('hi')]];
  vocab.push(enc('hi'), enc(' hi'));
  const tok = new BpeTokenizer({ vocab, merges, specialTokens: { '<|endoftext|>': 258 }, pattern: 'gpt2' });
  assert.deepEqual(tok.encode('hi hi hih'), [256, 257, 257, 104]); // ' hih' -> ' ' hi h -> ' hi' h
  assert.deepEqual(tok.encode('hi<|endoftext|>', { allowedSpecial: 'all' }), [256, 258]);
  assert.equal(tok.vocabSize, 259);
  assert.equal(tok.decode([256, 257, 258]), 'hi hi<|endoftext|>');
  // Without merges, the same vocabulary is read as tiktoken ranks.
  const ranks = new BpeTokenizer({ vocab, pattern: 'gpt2' });
  assert.deepEqual(ranks.encode('hi hi'), [256, 257]);
  assert.throws(() => new BpeTokenizer({ vocab: vocab.slice(1) }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BPE_VOCAB');
  assert.throws(() => new BpeTokenizer({ vocab, merges: [[enc('x'), enc('y')]] }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BPE_MERGE');
});

test('nasty input: empty, lone surrogates, 1 MB of one character, 8 MB without a newline', () => {
  for (const tok of [gpt2, cl100k]) {
    assert.deepEqual(tok.encode(''), []);
    assert.equal(tok.decode([]), '');
    // Lone surrogates are encoded as U+FFFD (as TextEncoder / tiktoken's JS binding do).
    const lone = 'a\ud800b\udfffc';
    assert.equal(tok.decode(tok.encode(lone)), 'a\ufffdb\ufffdc');
    assert.deepEqual(tok.encode(lone), tok.encode('a\ufffdb\ufffdc'));
  }
  // 1 MB of one letter is a single pre-token: quadratic merging would take minutes.
  const big = 'a'.repeat(1 << 20);
  let t = Date.now();
  const ids = gpt2.encode(big);
  assert.equal(gpt2.decode(ids), big);
  assert.ok(ids.length < big.length / 2);
  const idsCl = cl100k.encode(big);
  assert.equal(cl100k.decode(idsCl), big);
  // 1 MB of one CJK character: 3 MB of bytes in one piece.
  const han = '好'.repeat(1 << 20);
  assert.equal(cl100k.decode(cl100k.encode(han)), han);
  // 1 MB of spaces and of one digit.
  assert.equal(gpt2.decode(gpt2.encode(' '.repeat(1 << 20))), ' '.repeat(1 << 20));
  assert.equal(cl100k.decode(cl100k.encode('7'.repeat(1 << 20))), '7'.repeat(1 << 20));
  const tLong = Date.now() - t;
  // 8 MB of varied text without a newline.
  const words = 'the quick brown fox jumps over the lazy dog, 12345 voilà 你好世界 🦙 '.split(' ');
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < 8 << 20; i++) {
    const w = words[(i * 7919) % words.length]! + (i % 13 === 0 ? String(i) : '');
    parts.push(w);
    len += w.length + 1;
  }
  const line = parts.join(' ');
  t = Date.now();
  const lineIds = cl100k.encode(line);
  assert.equal(cl100k.decode(lineIds), line);
  const tLine = Date.now() - t;
  // Not a timing assertion on speed, only a guard against hangs (quadratic would be hours).
  assert.ok(tLong < 60_000 && tLine < 60_000, `long inputs took ${tLong} ms and ${tLine} ms`);
});

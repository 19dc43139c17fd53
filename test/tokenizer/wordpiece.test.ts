// WordPiece ids, pairs, truncation, padding and decoding vs Hugging Face `tokenizers`
// (npm, the Rust library) on the bert-base-uncased vocab, and vs llama.cpp's bge vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hf from 'tokenizers';
import { Rng } from '../../src/util/rng.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';

const VOCAB = 'data/bert-base-uncased/vocab.txt';
const ours = WordPieceTokenizer.fromVocabTxt(readFileSync(VOCAB, 'utf8'));

/** HF's BERT uncased pipeline built from the same vocab.txt, without added tokens. */
async function hfBert(): Promise<hf.Tokenizer> {
  const model = await hf.WordPiece.fromFile(VOCAB, { unkToken: '[UNK]' });
  const t = new hf.Tokenizer(model);
  t.setNormalizer(hf.bertNormalizer({ lowercase: true }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.setPostProcessor(hf.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
  t.setDecoder(hf.wordPieceDecoder());
  return t;
}
const refPromise = hfBert();

/** Random text from a palette that covers what BERT treats specially. */
function randomText(rng: Rng, n: number): string {
  const palette = [
    'the', 'Unaffable', 'runnings', "don't", 'café', 'naïve', 'Ångström', 'ÉCOLE', 'straße', 'ﬁne', 'Ⅻ',
    '東京', '世界', 'こんにちは', '한국어', 'ΟΔΟΣ', 'Москва', 'عربى', 'हिन्दी', '🤗', '🦙', '😶‍🌫️', '👍🏽', '🇫🇷',
    '.', ',', '!', '?', '...', '—', '«', '»', '¿', '$', '+', '=', '^', '`', '~', '|', '<', '>', '@', '#', '%', '&', '*',
    ' ', ' ', ' ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2028', '\u200b', '\ufeff', '\u0000', '\u0007', '\ufffd',
    'e\u0301', 'a\u0308\u0323', '\u0301', '3.14159', '1e-9', 'x'.repeat(100), 'y'.repeat(101), 'ab'.repeat(60),
    'https://example.com/a?b=c', '[CLS]', '[SEP]', '##ing', 'İstanbul', 'ǅ', '\ud800', '\udfff',
  ];
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    if (r < 0.6) s += palette[rng.int(palette.length)];
    else if (r < 0.8) s += String.fromCodePoint(0x20 + rng.int(0x2fff - 0x20));
    else if (r < 0.85) s += String.fromCodePoint(0x10000 + rng.int(0x20000));
    else s += ' ';
  }
  return s;
}

test('llama.cpp bge vectors: every input gives the expected ids (no [CLS]/[SEP]); HF agrees', async () => {
  const ref = await refPromise;
  const inputs = readFileSync('test/fixtures/llamacpp-bge/ggml-vocab-bert-bge.gguf.inp', 'utf8').split('\n__ggml_vocab_test__\n');
  const outputs = readFileSync('test/fixtures/llamacpp-bge/ggml-vocab-bert-bge.gguf.out', 'utf8').split('\n');
  inputs.pop(); // text after the last separator is empty
  assert.equal(inputs.length, 46);
  for (let i = 0; i < inputs.length; i++) {
    const want = outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number);
    assert.deepEqual(ours.encode(inputs[i]), want, `case ${i}: ${JSON.stringify(inputs[i])}`);
    assert.deepEqual((await ref.encode(inputs[i], null, { addSpecialTokens: false })).getIds(), want);
  }
});

test('ids equal HF on worked examples: accents, CJK, emoji, punctuation, long words', async () => {
  const ref = await refPromise;
  const cases = [
    'Unaffable!', 'Héllo, wörld! 你好 🤗', "I don't know, it's 3.5 o'clock .", 'ΟΔΟΣ ñandú Crème BRÛLÉE',
    'a'.repeat(100), 'a'.repeat(101), '😀'.repeat(100), '😀'.repeat(101), 'é'.repeat(101), 'supercalifragilisticexpialidocious',
    '東京タワーは333メートル。', '¿Qué? ¡Sí! «Ça va» — oui…', '\u0000\u0001hello\u007f\u200bworld\ufeff', '',
  ];
  for (const c of cases) {
    const want = (await ref.encode(c, null, { addSpecialTokens: false })).getIds();
    assert.deepEqual(ours.encode(c), want, JSON.stringify(c));
  }
  assert.deepEqual(ours.encode('Unaffable!'), [14477, 20961, 3468, 999]);
  assert.deepEqual(ours.encode('a'.repeat(101)), [100]);
});

test('ids equal HF on 3000 random mixed-script texts', async () => {
  const ref = await refPromise;
  const rng = new Rng(3);
  const texts = Array.from({ length: 3000 }, () => randomText(rng, 1 + rng.int(40)));
  const want = await ref.encodeBatch(texts, { addSpecialTokens: false });
  for (let i = 0; i < texts.length; i++) assert.deepEqual(ours.encode(texts[i]), want[i].getIds(), JSON.stringify(texts[i]));
});

test('tiny shakespeare (1.1 MB) as one string: same ids as HF', async () => {
  const ref = await refPromise;
  const text = readFileSync('data/tinyshakespeare/input.txt', 'utf8');
  const want = (await ref.encode(text, null, { addSpecialTokens: false })).getIds();
  const got = ours.encode(text);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
});

test('special tokens: plain text unless allowed; allowed ones match HF with added tokens', async () => {
  const refAdded = hf.Tokenizer.fromString(JSON.stringify(ours.toTokenizerJson()));
  const text = 'hello [CLS] world [SEP][MASK]x [PAD]';
  assert.deepEqual(ours.encode(text).slice(0, 4), [7592, 1031, 18856, 2015]); // '[' 'cl' '##s'
  const want = (await refAdded.encode(text, null, { addSpecialTokens: false })).getIds();
  assert.deepEqual(ours.encode(text, { allowedSpecial: 'all' }), want);
  assert.deepEqual(ours.encode(text, { allowedSpecial: ['[SEP]'] }).filter((id) => id >= 101 && id <= 103), [102]);
  assert.deepEqual([...ours.specialTokens()].sort((a, b) => a[1] - b[1]), [['[PAD]', 0], ['[UNK]', 100], ['[CLS]', 101], ['[SEP]', 102], ['[MASK]', 103]]);
});

test('[CLS] a [SEP] b [SEP]: ids and type ids equal HF, for single texts and pairs', async () => {
  const ref = await refPromise;
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const a = randomText(rng, 1 + rng.int(10)), b = randomText(rng, 1 + rng.int(10));
    const add = i % 2 === 0;
    const e1 = await ref.encode(a, null, { addSpecialTokens: add });
    const o1 = ours.encodePair(a, null, { addSpecialTokens: add });
    assert.deepEqual(o1.ids, e1.getIds());
    assert.deepEqual(o1.typeIds, e1.getTypeIds());
    assert.deepEqual(ours.encode(a, { addSpecialTokens: add }), e1.getIds());
    const e2 = await ref.encode(a, b, { addSpecialTokens: true });
    const o2 = ours.encodePair(a, b, { addSpecialTokens: true });
    assert.deepEqual(o2.ids, e2.getIds());
    assert.deepEqual(o2.typeIds, e2.getTypeIds());
    assert.deepEqual(o2.attentionMask, e2.getAttentionMask());
    assert.deepEqual(o2.specialTokensMask, e2.getSpecialTokensMask());
  }
});

test('truncation (longest_first, only_first, only_second; right and left) equals HF', async () => {
  const rng = new Rng(7);
  for (const strategy of ['longest_first', 'only_first', 'only_second'] as const) {
    for (const direction of ['right', 'left'] as const) {
      for (const maxLength of [5, 8, 13, 40]) {
        const ref = await hfBert();
        const hfStrategy = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[strategy];
        ref.setTruncation(maxLength, { strategy: hfStrategy as hf.TruncationStrategy, direction });
        for (let i = 0; i < 60; i++) {
          const a = randomText(rng, 1 + rng.int(25)), b = randomText(rng, 1 + rng.int(25));
          const add = i % 3 !== 0;
          let want: number[] | null = null, wantTypes: number[] = [];
          try {
            const e = await ref.encode(a, b, { addSpecialTokens: add });
            want = e.getIds(); wantTypes = e.getTypeIds();
          } catch { want = null; }
          const opts = { addSpecialTokens: add, truncation: { maxLength, strategy, direction } };
          if (want === null) {
            assert.throws(() => ours.encodePair(a, b, opts), /too short/);
          } else {
            const o = ours.encodePair(a, b, opts);
            assert.deepEqual(o.ids, want, `${strategy} ${direction} ${maxLength} ${JSON.stringify([a, b])}`);
            assert.deepEqual(o.typeIds, wantTypes);
          }
        }
      }
    }
  }
});

test('truncation grid: every strategy, direction and length pair up to 7 words equals HF', async () => {
  // Words of 1 and 3 pieces: HF first keeps the shortest run of whole words holding
  // max_length ids, then splits the budget; both steps show here.
  const ref = await hfBert();
  const words = (n: number, w: string) => Array<string>(n).fill(w).join(' ');
  const hfStrategy = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' } as const;
  let checked = 0;
  for (const [wa, wb] of [['a', 'b'], ['unaffable', 'b'], ['b', 'unaffable'], ['running', 'unaffable']]) {
    for (const direction of ['right', 'left'] as const) {
      for (const strategy of ['longest_first', 'only_first', 'only_second'] as const) {
        for (let maxLength = 4; maxLength <= 9; maxLength++) {
          ref.setTruncation(maxLength, { strategy: hfStrategy[strategy] as hf.TruncationStrategy, direction });
          for (const add of [false, true]) {
            for (let la = 0; la <= 7; la++) {
              for (let lb = 0; lb <= 7; lb++) {
                const a = words(la, wa), b = words(lb, wb);
                let want: number[] | 'error';
                try { want = (await ref.encode(a, b, { addSpecialTokens: add })).getIds(); } catch { want = 'error'; }
                let got: number[] | 'error';
                try { got = ours.encodePair(a, b, { addSpecialTokens: add, truncation: { maxLength, strategy, direction } }).ids; } catch { got = 'error'; }
                assert.deepEqual(got, want, `${wa}x${la} ${wb}x${lb} ${strategy} ${direction} ${maxLength} ${add}`);
                checked++;
              }
            }
          }
        }
      }
    }
  }
  assert.equal(checked, 18432);
});

test('batch padding (to longest, fixed, multiple of, left) equals HF', async () => {
  const rng = new Rng(11);
  const inputs: string[] = [];
  for (let i = 0; i < 12; i++) inputs.push(randomText(rng, 1 + rng.int(12)));
  const settings = [
    {}, { maxLength: 64 }, { padToMultipleOf: 8 }, { direction: 'left' as const }, { maxLength: 4 },
  ];
  for (const s of settings) {
    const ref = await hfBert();
    ref.setPadding({ padId: 0, padToken: '[PAD]', ...(s.maxLength ? { maxLength: s.maxLength } : {}),
      ...(s.padToMultipleOf ? { padToMultipleOf: s.padToMultipleOf } : {}), ...(s.direction ? { direction: 'left' } : {}) });
    const want = await ref.encodeBatch(inputs, { addSpecialTokens: true });
    const got = ours.encodeBatch(inputs, {
      addSpecialTokens: true, padding: { length: s.maxLength ?? 'longest', padToMultipleOf: s.padToMultipleOf, direction: s.direction } });
    for (let i = 0; i < inputs.length; i++) {
      assert.deepEqual(got[i].ids, want[i].getIds(), JSON.stringify(s));
      assert.deepEqual(got[i].attentionMask, want[i].getAttentionMask());
      assert.deepEqual(got[i].typeIds, want[i].getTypeIds());
    }
  }
  // Pairs in a batch: HF's npm encodeBatch takes only strings, so pad HF's pair encodings one by one.
  const ref = await refPromise;
  const pairs: [string, string][] = [['a b c', 'd'], ['hello there my friend', 'how are you doing today?'], ['x', 'y']];
  const got = ours.encodeBatch(pairs, { addSpecialTokens: true, padding: { length: 'longest' } });
  const target = Math.max(...got.map((e) => e.ids.length));
  for (let i = 0; i < pairs.length; i++) {
    const e = await ref.encode(pairs[i][0], pairs[i][1], { addSpecialTokens: true });
    e.pad(target, { padId: 0, padToken: '[PAD]' });
    assert.deepEqual(got[i].ids, e.getIds());
    assert.deepEqual(got[i].typeIds, e.getTypeIds());
    assert.deepEqual(got[i].attentionMask, e.getAttentionMask());
  }
});

test('decode equals HF WordPiece decoder (## joining, cleanup, skip special)', async () => {
  const refAdded = hf.Tokenizer.fromString(JSON.stringify(ours.toTokenizerJson()));
  const rng = new Rng(13);
  for (let i = 0; i < 300; i++) {
    const ids = i < 150 ? ours.encode(randomText(rng, 1 + rng.int(12)), { addSpecialTokens: true })
      : Array.from({ length: 1 + rng.int(12) }, () => rng.int(ours.vocabSize));
    for (const skip of [false, true]) {
      assert.deepEqual(ours.decode(ids, { skipSpecialTokens: skip }), await refAdded.decode(ids, skip), JSON.stringify(ids));
    }
  }
  // HF's cleanup runs token by token, so " ' " between pieces is not glued back.
  assert.equal(ours.decode(ours.encode("Unaffable! I don't know.")), "unaffable! i don ' t know.");
  assert.throws(() => ours.decode([30522]), /not in the vocabulary/);
});

test('tokenizer.json both ways: HF loads ours; we load what HF saves; same ids', async () => {
  const text = 'Héllo, wörld! 你好 🤗 [SEP] Unaffable ' + 'z'.repeat(120);
  const viaHf = hf.Tokenizer.fromString(JSON.stringify(ours.toTokenizerJson()));
  assert.deepEqual((await viaHf.encode(text, 'pair two', { addSpecialTokens: true })).getIds(),
    ours.encodePair(text, 'pair two', { addSpecialTokens: true, allowedSpecial: 'all' }).ids);
  const dir = mkdtempSync(join(tmpdir(), 'llmts-wp-'));
  try {
    const ref = await refPromise;
    ref.save(join(dir, 'tokenizer.json'));
    const back = WordPieceTokenizer.fromTokenizerJson(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
    assert.deepEqual(back.encode(text, { addSpecialTokens: true }), (await ref.encode(text, null, { addSpecialTokens: true })).getIds());
    assert.equal(back.vocabSize, 30522);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => WordPieceTokenizer.fromTokenizerJson({ model: { type: 'BPE', vocab: {} } }), /WordPiece/);
  assert.throws(() => WordPieceTokenizer.fromTokenizerJson({ model: { type: 'WordPiece', vocab: { a: 0 } }, normalizer: { type: 'NFKC' } }), /normalizer/);
});

test('vocab.txt round trip', () => {
  const text = readFileSync(VOCAB, 'utf8');
  assert.equal(ours.toVocabTxt(), text);
  assert.throws(() => WordPieceTokenizer.fromVocabTxt(''), /empty/);
});

test('nasty input: empty, lone surrogates, 1 MB of one char, 16 MB without a newline', async () => {
  const ref = await refPromise;
  assert.deepEqual(ours.encode(''), []);
  assert.deepEqual(ours.encode('', { addSpecialTokens: true }), [101, 102]);
  assert.deepEqual(ours.encode('\ud800a\udc00b'), ours.encode('ab'));
  // 1 MB of one letter is one word over 100 chars: one [UNK], found without scanning it quadratically.
  assert.deepEqual(ours.encode('a'.repeat(1 << 20)), [100]);
  assert.deepEqual(ours.encode('😀'.repeat(1 << 19)), [100]);
  // 1 MB of punctuation / CJK: one token per char.
  const commas = ours.encode(','.repeat(1 << 20));
  assert.equal(commas.length, 1 << 20);
  assert.ok(commas.every((id) => id === 1010));
  assert.equal(ours.encode('世'.repeat(1 << 20)).length, 1 << 20);
  // 16 MB of varied text without a newline. HF checks the repeated chunk; the big text is the
  // chunk doubled with spaces between, so its ids are the chunk's ids repeated.
  const rng = new Rng(17);
  const chunk = Array.from({ length: 1000 }, () => randomText(rng, 20)).join(' ').replace(/[\n\r\u2028]/g, ' ');
  const chunkIds = ours.encode(chunk);
  assert.deepEqual(chunkIds, (await ref.encode(chunk, null, { addSpecialTokens: false })).getIds());
  let big = chunk, copies = 1;
  while (big.length < 16 << 20) { big += ' ' + big; copies *= 2; }
  const bigIds = ours.encode(big);
  assert.equal(bigIds.length, chunkIds.length * copies);
  for (let c = 0; c < copies; c += 97) assert.deepEqual(bigIds.slice(c * chunkIds.length, (c + 1) * chunkIds.length), chunkIds);
});

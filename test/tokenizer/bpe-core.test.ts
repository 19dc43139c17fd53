/** The merge engine: the heap path and the flat-array path agree on every piece. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BytesTable, Merger, PairTable } from '../../src/tokenizer/bpe-core.ts';
import { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';
import { Rng } from '../../src/util/rng.ts';
import { corpusSample } from './bpe-helpers.ts';

test('heap merge (long pieces) equals flat-array merge on corpus words and random byte strings', () => {
  for (const name of ['gpt2', 'cl100k']) {
    const tok = builtinTokenizer(name);
    const vocab = tok.vocabBytes();
    const pairs = PairTable.fromRanks(vocab, new BytesTable(vocab));
    const heap = new Merger(pairs);
    heap.threshold = 1;
    const flat = new Merger(pairs);
    flat.threshold = 1 << 30;
    const byteId = (b: number): number => tok.tokenToId(tok.idToToken(b)!)!; // byte tokens are ids 0..255 here
    const rng = new Rng(3);
    const words = corpusSample(30_000).split(/(?=[ ,.，。])/u);
    const inputs: Uint8Array[] = words.map((w) => new TextEncoder().encode(w));
    // Runs of one byte and of byte pairs: equal-rank pairs side by side, where the leftmost must win.
    for (let b = 0; b < 256; b++) for (const len of [3, 5, 7, 60]) inputs.push(new Uint8Array(len).fill(b));
    for (let i = 0; i < 200; i++) inputs.push(Uint8Array.from({ length: 3 + rng.int(60) }, (_, k) => [rng.int(256), 32, 101][k % 3]!));
    for (let i = 0; i < 500; i++) inputs.push(Uint8Array.from({ length: 1 + rng.int(200) }, () => (rng.uniform() < 0.5 ? 97 + rng.int(4) : rng.int(256))));
    for (const bytes of inputs) {
      const a: number[] = [];
      const b: number[] = [];
      heap.merge(Int32Array.from(bytes, byteId), bytes.length, a);
      flat.merge(Int32Array.from(bytes, byteId), bytes.length, b);
      assert.deepEqual(a, b, `${name}: ${Array.from(bytes).join(',')}`);
    }
  }
});

test('character pre-merging gives the same ids as merging from bytes', () => {
  const rng = new Rng(11);
  // Han, kana, Hangul, Cyrillic, Greek, accented Latin, symbols, ASCII: 2- and 3-byte characters next to everything.
  const han = corpusSample(300_000).replace(/[^\p{Script=Han}]/gu, '');
  const extra = 'こんにちはカタカナ안녕하세요Привет мир αβγ éèàçœ€£¥©®±×÷—“”‘’…•→←↑↓√∞≈≠≤≥ａｂｃ１２３';
  const alphabet = [...new Set(han + extra)];
  const texts: string[] = [corpusSample(60_000)];
  for (let i = 0; i < 400; i++) {
    let s = '';
    const len = 1 + rng.int(40);
    for (let k = 0; k < len; k++) {
      const u = rng.uniform();
      s += u < 0.7 ? alphabet[rng.int(alphabet.length)]! : u < 0.85 ? ' ' : String.fromCharCode(33 + rng.int(94));
    }
    texts.push(s);
  }
  for (const name of ['gpt2', 'cl100k']) {
    const base = builtinTokenizer(name);
    const spec = base.toSpec();
    const on = new BpeTokenizer({ ...spec, charPremerge: true });
    const off = new BpeTokenizer({ ...spec, charPremerge: false });
    for (const t of texts) assert.deepEqual(on.encode(t), off.encode(t), `${name}: ${JSON.stringify(t)}`);
  }
});

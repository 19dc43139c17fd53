// Byte-level BPE trainer: exact CS336 reference merges and vocabulary, agreement with a
// naive full-recount trainer, options (special tokens, min frequency, max token length),
// determinism, and tokenizer.json / .tiktoken output that HF `tokenizers` loads.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tokenizers from 'tokenizers';
import { bytesToByteLevel } from '../../src/tokenizer/byte-level.ts';
import { saveTrainedBpe, trainBpe, trainBpeFromCounts } from '../../src/tokenizer/bpe-trainer.ts';
import { loadTiktoken, saveTiktoken } from '../../src/tokenizer/tiktoken-file.ts';
import { countWords } from '../../src/tokenizer/word-count.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const FIX = 'test/fixtures/cs336-bpe';
const EOT = '<|endoftext|>';

function mergeLines(merges: Array<[Uint8Array, Uint8Array]>): string[] {
  return merges.map(([a, b]) => `${bytesToByteLevel(a)} ${bytesToByteLevel(b)}`);
}

test('reproduces the CS336 reference merges and vocabulary exactly (corpus.en, vocab 500, <|endoftext|>)', async () => {
  const r = await trainBpe({ files: [join(FIX, 'corpus.en')] }, { vocabSize: 500, specialTokens: [EOT], threads: 1 });
  const ref = readFileSync(join(FIX, 'train-bpe-reference-merges.txt'), 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(ref.length, 243);
  assert.deepEqual(mergeLines(r.merges), ref);
  // Vocabulary: same strings with the same ids (the CS336 test only compares them as sets).
  const refVocab = JSON.parse(readFileSync(join(FIX, 'train-bpe-reference-vocab.json'), 'utf8')) as Record<string, number>;
  const ours: Record<string, number> = {};
  r.vocab.forEach((bytes, id) => (ours[id === 0 ? EOT : bytesToByteLevel(bytes)] = id));
  assert.deepEqual(ours, refVocab);
  assert.equal(r.tokenizer.vocabSize, 500);
  assert.equal(r.specialTokens.get(EOT), 0);
});

/**
 * The oracle: recounts every pair before every merge and takes Python's
 * max((count, (bytes_a, bytes_b))). Slow but obviously right.
 */
function naiveTrain(counts: Map<string, number>, merges: number): string[] {
  const enc = new TextEncoder();
  const words = [...counts].map(([w, c]) => ({ syms: [...enc.encode(w)].map((b) => String.fromCharCode(b)), c }));
  const out: string[] = [];
  for (let m = 0; m < merges; m++) {
    const pc = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) {
      const k = syms[i] + '\u0000' + syms[i + 1];
      pc.set(k, (pc.get(k) ?? 0) + c);
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [k, c] of pc) {
      if (c > bestCount || (c === bestCount && best !== undefined && pairGreater(k, best))) {
        best = k;
        bestCount = c;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    out.push(`${bytesToByteLevel(Uint8Array.from(a, (ch) => ch.charCodeAt(0)))} ${bytesToByteLevel(Uint8Array.from(b, (ch) => ch.charCodeAt(0)))}`);
    for (const w of words) {
      const next: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(w.syms[i]!);
      }
      w.syms = next;
    }
  }
  return out;
}

/** Compares "a\0b" pair keys (latin1 strings of bytes) as (bytes_a, bytes_b) tuples. */
function pairGreater(x: string, y: string): boolean {
  const [xa, xb] = x.split('\u0000') as [string, string];
  const [ya, yb] = y.split('\u0000') as [string, string];
  if (xa !== ya) return xa > ya;
  return xb > yb;
}

test('incremental pair counts give the same merges as a full recount per merge (overlaps, repeats, UTF-8)', () => {
  const verdict = readFileSync(join(FIX, 'tinystories_sample.txt'), 'utf8');
  const tricky = ['aaaa aaaaa aaa', 'abababab abab', 'ééé ééééé', '日本日本日本語 日本', '   \n\n\t\t x', 'zzzzzzzzzzzz', 'ab'.repeat(40)];
  const text = verdict + tricky.join(' ').repeat(7);
  const counts = countWords([text], { specialTokens: [EOT] });
  const r = trainBpeFromCounts(counts, { vocabSize: 257 + 400, specialTokens: [EOT] });
  const expected = naiveTrain(counts, 400);
  assert.ok(expected.length > 300);
  assert.deepEqual(mergeLines(r.merges), expected);
});

test('ties go to the lexicographically greatest pair of byte strings', () => {
  // Every pair occurs once: (a,b), (' ',c), (c,d); 'c' (0x63) is the greatest left byte.
  const r = trainBpeFromCounts(new Map([['ab', 1], [' cd', 1]]), { vocabSize: 257 });
  assert.deepEqual(mergeLines(r.merges), ['c d']);
  // Equal left tokens: the greater right token wins ('a'+'z' over 'a'+'b').
  const r2 = trainBpeFromCounts(new Map([['ab', 3], ['az', 3]]), { vocabSize: 258 });
  assert.deepEqual(mergeLines(r2.merges), ['a z', 'a b']);
  // A higher count beats any tie-break.
  const r3 = trainBpeFromCounts(new Map([['ab', 4], ['az', 3]]), { vocabSize: 257 });
  assert.deepEqual(mergeLines(r3.merges), ['a b']);
});

test('special tokens take the first ids and split the training text', () => {
  const text = 'xy<|endoftext|>xy<|endoftext|>xy<|pad|>xy';
  const r = trainBpeFromCounts(countWords([text], { specialTokens: [EOT, '<|pad|>'] }), { vocabSize: 270, specialTokens: [EOT, '<|pad|>'] });
  assert.deepEqual([...r.specialTokens], [[EOT, 0], ['<|pad|>', 1]]);
  assert.deepEqual(mergeLines(r.merges), ['x y']); // nothing spans 'y<' or '>x': the specials are gone
  assert.equal(r.vocab[2]![0], 0x21); // '!' is the first byte token
  assert.deepEqual(r.tokenizer.encode(text, { allowedSpecial: 'all' }), [258, 0, 258, 0, 258, 1, 258]);
});

test('minFrequency stops when the best pair is too rare; maxTokenLength caps token bytes', () => {
  const text = 'hello hello hello help help world';
  const all = trainBpeFromCounts(countWords([text]), { vocabSize: 400 });
  const frequent = trainBpeFromCounts(countWords([text]), { vocabSize: 400, minFrequency: 2 });
  // 'hel' occurs 5 times, 'lo' 3, 'help' 2: the rare pairs (count 1: 'world') are never merged.
  assert.ok(frequent.merges.length < all.merges.length);
  assert.ok(!mergeLines(frequent.merges).some((m) => m.includes('w')));
  assert.ok(mergeLines(all.merges).some((m) => m.includes('w')));
  const short = trainBpeFromCounts(countWords([readFileSync(join(FIX, 'corpus.en'), 'utf8')]), { vocabSize: 600, maxTokenLength: 3 });
  assert.equal(short.vocab.length, 600);
  assert.ok(short.vocab.every((b) => b.length <= 3));
});

test('bad options are reported as LlmtsError with the field at fault', () => {
  assert.throws(() => trainBpeFromCounts(new Map(), { vocabSize: 100 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BPE_TRAIN' && /vocabSize/.test(e.message));
  assert.throws(() => trainBpeFromCounts(new Map(), { vocabSize: 300, specialTokens: ['a', 'a'] }), LlmtsError);
  assert.throws(() => trainBpeFromCounts(new Map(), { vocabSize: 300, pattern: '(' }), LlmtsError);
});

test('training is deterministic: two runs, one thread or several, give the same merges', async () => {
  const texts = ['en.txt', 'fr.txt', 'zh.txt'].map((f) => readFileSync(join('test/fixtures/bpe-corpus', f), 'utf8'));
  const serial = await trainBpe(texts, { vocabSize: 3000, specialTokens: [EOT], threads: 1 });
  const again = await trainBpe(texts, { vocabSize: 3000, specialTokens: [EOT], threads: 1 });
  const parallel = await trainBpe(texts.slice().reverse(), { vocabSize: 3000, specialTokens: [EOT], threads: 3 });
  assert.equal(serial.merges.length, 3000 - 257);
  assert.deepEqual(again.mergeIds, serial.mergeIds);
  assert.deepEqual(parallel.mergeIds, serial.mergeIds);
});

test('our tokenizer.json loads in HF tokenizers and encodes identically; so does our .tiktoken', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bpe-'));
  try {
    const train = ['fr.txt', 'zh.txt'].map((f) => readFileSync(join('test/fixtures/bpe-corpus', f), 'utf8'));
    const r = await trainBpe(train, { vocabSize: 2000, specialTokens: [EOT, '<|pad|>'], threads: 1 });
    saveTrainedBpe(r, join(dir, 'tokenizer.json'));
    const hf = tokenizers.Tokenizer.fromFile(join(dir, 'tokenizer.json'));
    assert.equal(hf.getVocabSize(true), 2000);
    assert.equal(hf.tokenToId(EOT), 0);
    const sample = readFileSync(join(FIX, 'tinystories_sample.txt'), 'utf8') + readFileSync('test/fixtures/bpe-corpus/zh.txt', 'utf8').slice(0, 20000) + readFileSync('test/fixtures/bpe-corpus/en.txt', 'utf8').slice(0, 50000);
    const ours = r.tokenizer.encode(sample, { allowedSpecial: 'all' });
    const theirs = (await hf.encode(sample)).getIds();
    assert.ok(ours.length > 10000);
    assert.deepEqual(ours, theirs);
    assert.equal(r.tokenizer.decode(ours), sample);
    assert.equal(await hf.decode(ours, false), sample);

    // The same vocabulary as a .tiktoken rank file (ids = ranks) encodes the sample the same way.
    saveTiktoken(r.tokenizer, join(dir, 'trained.tiktoken'));
    const lines = readFileSync(join(dir, 'trained.tiktoken'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2000 - 2);
    const ranked = loadTiktoken(join(dir, 'trained.tiktoken'), { pattern: 'gpt2', specialTokens: r.specialTokens });
    assert.deepEqual(ranked.encode(sample, { allowedSpecial: 'all' }), ours);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("with tieBreak 'ids' our merges equal HF tokenizers' BpeTrainer merges", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bpe-hf-'));
  try {
    const text = ['fr.txt', 'zh.txt'].map((f) => readFileSync(join('test/fixtures/bpe-corpus', f), 'utf8')).join('') + readFileSync(join(FIX, 'corpus.en'), 'utf8');
    writeFileSync(join(dir, 'train.txt'), text);
    // HF: BPE model, ByteLevel pre-tokenizer (GPT-2 regex, no prefix space), default trainer (vocab 30000).
    const hf = new tokenizers.Tokenizer(tokenizers.BPE.empty());
    hf.setPreTokenizer(tokenizers.byteLevelPreTokenizer(false, true));
    hf.train([join(dir, 'train.txt')]);
    hf.save(join(dir, 'hf.json'));
    const hfMerges = (JSON.parse(readFileSync(join(dir, 'hf.json'), 'utf8')) as { model: { merges: Array<string | [string, string]> } }).model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
    const r = await trainBpe([text], { vocabSize: 3000, tieBreak: 'ids', threads: 1 });
    assert.equal(r.merges.length, 3000 - 256);
    // HF's initial alphabet holds only the bytes it saw, so it makes more merges to reach 30000.
    assert.ok(hfMerges.length > r.merges.length);
    assert.deepEqual(mergeLines(r.merges), hfMerges.slice(0, r.merges.length));
    // The default (CS336) rule breaks ties differently, so the lists part ways.
    const cs = await trainBpe([text], { vocabSize: 3000, threads: 1 });
    assert.notDeepEqual(mergeLines(cs.merges), hfMerges.slice(0, cs.merges.length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 2 MB word without spaces: merges cost their occurrences, not the word length', async () => {
  // Merging by rescanning whole words would cost 5000 merges x 2M symbols here (minutes).
  const rng = new Rng(7);
  const chars: string[] = [];
  for (let i = 0; i < 2_000_000; i++) chars.push(String.fromCharCode(97 + Math.floor(rng.uniform() * rng.uniform() * 26)));
  const word = chars.join('');
  const r = await trainBpe([word], { vocabSize: 256 + 5000, threads: 1 });
  assert.equal(r.wordCount, 1);
  assert.equal(r.merges.length, 5000);
  const ids = r.tokenizer.encode(word.slice(0, 100_000));
  assert.ok(ids.length < 50_000); // 100,000 without merges
  assert.equal(r.tokenizer.decode(ids), word.slice(0, 100_000));
});

test('nasty input: empty text, lone surrogates, 1 MB of one character', async () => {
  const empty = await trainBpe([''], { vocabSize: 300 });
  assert.equal(empty.merges.length, 0); // no pair to merge: the vocabulary stays at 256 bytes
  assert.equal(empty.tokenizer.vocabSize, 256);
  // Lone surrogates are trained as U+FFFD (EF BF BD), as TextEncoder writes them.
  const lone = await trainBpe(['\ud800abc \udc00abc abc'], { vocabSize: 300 });
  assert.ok(lone.vocab.some((b) => b.length === 2 && b[0] === 0xef && b[1] === 0xbf));
  assert.equal(lone.tokenizer.decode(lone.tokenizer.encode('\ud800abc')), '\ufffdabc');
  // One 1 MB word: merges double the run length each time (a, aa, aaaa, ...).
  const run = await trainBpe(['a'.repeat(1 << 20)], { vocabSize: 300, threads: 1 });
  assert.equal(run.merges.length, 20);
  assert.equal(run.vocab[run.vocab.length - 1]!.length, 1 << 20);
  assert.deepEqual(run.tokenizer.encode('a'.repeat(1 << 20)), [run.vocab.length - 1]);
});

test('trained with the cl100k and o200k split patterns, the tokenizer.json also matches HF tokenizers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bpe-pat-'));
  try {
    const texts = ['fr.txt', 'zh.txt', 'en.txt'].map((f) => readFileSync(join('test/fixtures/bpe-corpus', f), 'utf8').slice(0, 150_000));
    const sample = texts.map((t) => t.slice(0, 20_000)).join('\n') + ' 12345 hello\r\n\r\n  world!!!\n\n';
    for (const pattern of ['cl100k', 'o200k']) {
      const r = await trainBpe(texts, { vocabSize: 1500, pattern, specialTokens: [EOT], threads: 1 });
      saveTrainedBpe(r, join(dir, `${pattern}.json`));
      const hf = tokenizers.Tokenizer.fromFile(join(dir, `${pattern}.json`));
      const ours = r.tokenizer.encode(sample);
      assert.deepEqual(ours, (await hf.encode(sample)).getIds(), pattern);
      assert.equal(r.tokenizer.decode(ours), sample);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

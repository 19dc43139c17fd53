// WordPiece trainer vs Hugging Face `tokenizers` (npm): same vocabulary where HF itself is
// deterministic, loadable tokenizer.json with identical encodings, deterministic output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hf from 'tokenizers';
import { trainWordPiece, trainWordPieceFromCounts } from '../../src/tokenizer/wordpiece-trainer.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-wpt-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** HF's WordPieceTrainer with its defaults (vocab 30000, no specials) on a BERT-uncased pipeline. */
function hfTrain(file: string): string[] {
  const t = new hf.Tokenizer(hf.WordPiece.empty() as unknown as hf.Model);
  t.setNormalizer(hf.bertNormalizer({ lowercase: true }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.train([file]);
  const v = t.getVocab(true);
  return Object.keys(v).sort((a, b) => v[a] - v[b]);
}

/** Splits a vocabulary into its parts: alphabet, `##` chars (as a set), merged tokens in order. */
function parts(vocab: string[]) {
  const alphabet = vocab.filter((t) => [...t].length === 1);
  const hashChars = vocab.filter((t) => t.startsWith('##') && [...t].length === 3).sort();
  const merged = vocab.filter((t) => !alphabet.includes(t) && !hashChars.includes(t));
  return { alphabet, hashChars, merged };
}

test('same vocabulary and merge order as HF WordPieceTrainer on a corpus without count ties', () => {
  // Word i occurs 2^i times, so every pair count is a distinct sum and HF's result does not
  // depend on its random HashMap order (checked: three HF runs agree).
  // (Words with a unique tail of 3+ letters, like 'cafés', would make HF's order random again.)
  const words = ['the', 'then', 'them', 'theme', 'other', 'mother', 'moth', 'hen', 'men', 'omen', 'meet', 'hello',
    'helm', 'tome'];
  const tokens: string[] = [];
  words.forEach((w, i) => { for (let k = 0; k < 2 ** i; k++) tokens.push(w); });
  const text = tokens.map((t, i) => (i % 16 === 15 ? t + '\n' : t + ' ')).join('');
  const file = join(dir, 'tiefree.txt');
  writeFileSync(file, text);
  const runs = [hfTrain(file), hfTrain(file), hfTrain(file)];
  assert.deepEqual(parts(runs[1]), parts(runs[0]));
  assert.deepEqual(parts(runs[2]), parts(runs[0]));
  const ours = trainWordPiece(text.split('\n'), { specialTokens: [], vocabSize: 30000 });
  const [p, q] = [parts(ours.vocab), parts(runs[0])];
  assert.deepEqual(p.alphabet, q.alphabet);
  assert.deepEqual(p.hashChars, q.hashChars);
  assert.deepEqual(p.merged, q.merged);
  assert.ok(p.merged.length > 20);
});

test('id for id equal to a HF WordPieceTrainer run (30000 ids), given that run\'s ## order', () => {
  // HF creates the '##c' tokens in random HashMap order and breaks count ties by id, so two
  // HF runs differ slightly. Given one run's '##c' order, every other id must match.
  // Text: 500 KB of Shakespeare, its words reversed, and rot13: enough words to reach 30000.
  const file = join(dir, 'shakespeare.txt');
  const base = readFileSync('data/tinyshakespeare/input.txt', 'utf8').slice(0, 500_000);
  const reversed = base.split('\n').map((l) => l.split(' ').map((w) => [...w].reverse().join('')).join(' ')).join('\n');
  const rot13 = base.replace(/[a-z]/gi, (c) => {
    const b = c <= 'Z' ? 65 : 97;
    return String.fromCharCode((c.charCodeAt(0) - b + 13) % 26 + b);
  });
  const text = [base, reversed, rot13].join('\n');
  writeFileSync(file, text);
  const theirs = hfTrain(file);
  const order = theirs.filter((t) => t.startsWith('##') && [...t].length === 3);
  const ours = trainWordPiece(text.split('\n'), { specialTokens: [], vocabSize: 30000, continuingOrder: order });
  assert.equal(theirs.length, 30000);
  assert.equal(ours.vocab.length, 30000);
  for (let i = 0; i < theirs.length; i++) assert.equal(ours.vocab[i], theirs[i], `id ${i}`);
});

test('trained tokenizer.json loads in HF tokenizers and encodes like ours; vocab.txt reloads the same', async () => {
  const text = readFileSync('data/tinyshakespeare/input.txt', 'utf8').slice(0, 200_000);
  const { tokenizer } = trainWordPiece(text.split('\n'), { vocabSize: 2000 });
  assert.equal(tokenizer.vocabSize, 2000);
  assert.equal(tokenizer.idToToken(0), '[PAD]');
  assert.equal(tokenizer.idToToken(4), '[MASK]');
  const jsonPath = join(dir, 'tokenizer.json');
  writeFileSync(jsonPath, JSON.stringify(tokenizer.toTokenizerJson()));
  const ref = hf.Tokenizer.fromFile(jsonPath);
  const sample = readFileSync('data/tinyshakespeare/input.txt', 'utf8').slice(500_000, 560_000).split('\n');
  sample.push('Ünïcödé 東京 🤗 ' + 'q'.repeat(150), '');
  const want = await ref.encodeBatch(sample, { addSpecialTokens: true });
  const fromTxt = WordPieceTokenizer.fromVocabTxt(tokenizer.toVocabTxt());
  for (let i = 0; i < sample.length; i++) {
    assert.deepEqual(tokenizer.encode(sample[i], { addSpecialTokens: true }), want[i].getIds(), JSON.stringify(sample[i]));
    assert.deepEqual(fromTxt.encode(sample[i]), tokenizer.encode(sample[i]));
  }
  assert.equal(await ref.decode(want[0].getIds(), true), tokenizer.decode(want[0].getIds(), { skipSpecialTokens: true }));
});

test('deterministic, honours vocab size, min frequency, alphabet limits and special tokens', () => {
  const counts = new Map([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]);
  const a = trainWordPieceFromCounts(counts, { vocabSize: 20 });
  const b = trainWordPieceFromCounts(new Map(counts), { vocabSize: 20 });
  assert.deepEqual(a.vocab, b.vocab);
  assert.equal(a.vocab.length, 20);
  // Without a size limit merging stops when every word is one token.
  const all = trainWordPieceFromCounts(counts, { vocabSize: 1000 });
  for (const w of counts.keys()) assert.ok(all.vocab.includes(w), w);
  assert.deepEqual(a.vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.deepEqual(a.vocab.slice(5, 12), ['b', 'g', 'h', 'n', 'p', 's', 'u']);
  // Then ##u ##g ##n ##s (first appearance order); the first merge is ('##u', '##g'),
  // 10 + 5 + 5 = 20 times, more than ('p', '##u') 17 or ('##u', '##n') 16.
  assert.deepEqual(a.vocab.slice(12, 17), ['##u', '##g', '##n', '##s', '##ug']);
  const rare = trainWordPieceFromCounts(counts, { vocabSize: 1000, minFrequency: 100, specialTokens: [] });
  assert.equal(rare.merges, 0);
  const limited = trainWordPieceFromCounts(counts, { vocabSize: 1000, limitAlphabet: 3, specialTokens: ['<unk>'] });
  assert.deepEqual(limited.vocab.slice(0, 4), ['<unk>', 'g', 'p', 'u']); // the 3 most frequent chars
  assert.ok(!limited.vocab.includes('b'));
  assert.throws(() => trainWordPieceFromCounts(counts, { vocabSize: 0 }), /vocab size/);
  // Custom specials: the one containing "unk" stands for unknown words; no [CLS] template.
  const custom = trainWordPiece(['hug pug pun'], { vocabSize: 100, specialTokens: ['<pad>', '<unk>'] }).tokenizer;
  assert.deepEqual(custom.encode('hug zzz'), [custom.tokenToId('hug')!, 1]);
  assert.deepEqual(custom.encode('hug', { addSpecialTokens: true }), [custom.tokenToId('hug')!]);
});

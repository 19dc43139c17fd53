// ROUGE against rouge-score's own published test vectors (test/fixtures/rouge-score,
// Apache-2.0: rouge_scorer_test.py's expected values, ROUGE-1.5.5's outputs on its
// testdata), the Porter stemmer against NLTK on 7,472 words, the tokeniser, and
// `llmts eval rouge` spawned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { porterStem } from '../../src/eval/porter.ts';
import { meanRouge, rougeL, rougeLsum, rougeN, rougeScores, rougeTokenize, type RougeScore, type RougeScores } from '../../src/eval/rouge.ts';
import { llmtsAsync as llmts } from '../cli-run.ts';

const DIR = 'test/fixtures/rouge-score';

interface Case {
  name: string; target: string; prediction: string; type: keyof RougeScores; stem: boolean;
  precision: number; recall: number; fmeasure: number; places: number;
}
const VECTORS = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8')) as {
  tokenize: { text: string; stem: boolean; tokens: string[] }[]; scores: Case[]; files: Case[];
};

/** `file:i` is line i of the file with its newline (as rouge_scorer_test reads it with readlines()); `file` is all of it. */
function fixtureText(ref: string): string {
  const [file, line] = ref.split(':');
  const text = readFileSync(join(DIR, file!), 'utf8');
  return line === undefined ? text : text.split(/(?<=\n)/)[Number(line)]!;
}

/** Python's assertAlmostEqual(a, b, places): round(a - b, places) == 0. */
function almostEqual(a: number, b: number, places: number): boolean {
  return Math.round(Math.abs(a - b) * 10 ** places) === 0;
}

function assertCase(c: Case, got: RougeScore): void {
  for (const k of ['precision', 'recall', 'fmeasure'] as const) {
    assert.ok(almostEqual(got[k], c[k], c.places), `${c.name} ${k}: ${got[k]} vs ${c[k]} (${c.places} places)`);
  }
}

test("rouge-score's unit-test vectors: rouge1/2/L/Lsum, empty and non-word inputs", () => {
  assert.equal(VECTORS.scores.length, 13);
  for (const c of VECTORS.scores) assertCase(c, rougeScores(c.target, c.prediction, { stem: c.stem })[c.type]);
});

test('ROUGE-1.5.5 figures on rouge-score testdata (with and without stemming, rougeLsum on multi-sentence files)', () => {
  assert.equal(VECTORS.files.length, 11);
  for (const c of VECTORS.files) assertCase(c, rougeScores(fixtureText(c.target), fixtureText(c.prediction), { stem: c.stem })[c.type]);
});

test("tokeniser: rouge-score's vectors; lower case, [^a-z0-9]+ to space; non-ASCII letters are not tokens", () => {
  for (const t of VECTORS.tokenize) assert.deepEqual(rougeTokenize(t.text, { stem: t.stem }), t.tokens, t.text);
  assert.deepEqual(rougeTokenize("Don't STOP-me now, 2024!"), ['don', 't', 'stop', 'me', 'now', '2024']);
  assert.deepEqual(rougeTokenize('café über 東京'), ['caf', 'ber']);
  assert.deepEqual(rougeTokenize('The Cats, running!', { stem: true }), ['the', 'cat', 'run']);
  // only tokens longer than 3 characters are stemmed: 'runs' -> 'run', 'was' stays
  assert.deepEqual(rougeTokenize('was runs', { stem: true }), ['was', 'run']);
  const zero = rougeScores('東京は晴れ', '東京は晴れ');
  for (const k of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) assert.equal(zero[k].fmeasure, 0, `non-ASCII text scores zero (${k})`);
});

test("Porter stemmer equals NLTK's PorterStemmer() on 7,472 words", () => {
  const { stems } = JSON.parse(readFileSync(join(DIR, 'stems.json'), 'utf8')) as { stems: Record<string, string> };
  const words = Object.entries(stems);
  assert.equal(words.length, 7472);
  const wrong = words.filter(([w, s]) => porterStem(w) !== s).map(([w, s]) => `${w}: ${porterStem(w)} (nltk ${s})`);
  assert.deepEqual(wrong.slice(0, 10), []);
  // Porter's paper and NLTK's extensions, by hand
  const table: [string, string][] = [['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'tie'], ['hopping', 'hop'], ['filing', 'file'],
    ['relational', 'relat'], ['generously', 'gener'], ['dying', 'die'], ['skies', 'sky'], ['happy', 'happi'], ['enjoy', 'enjoy'], ['controll', 'control']];
  for (const [w, s] of table) assert.equal(porterStem(w), s, w);
});

test('ROUGE-N clips counts, ROUGE-L is the LCS, Lsum takes the union LCS and counts each token once', () => {
  assert.deepEqual(rougeN(['a', 'a', 'b'], ['a', 'a', 'a'], 1), { precision: 2 / 3, recall: 2 / 3, fmeasure: 2 / 3 });
  const l = rougeL(['a', 'b', 'c', 'd'], ['a', 'c', 'x', 'd']);
  assert.equal(l.precision, 3 / 4);
  // rouge_scorer_test's testSummaryLevelLcs (tokens as strings): union of [1 2] and [1 3 5] = 4 hits
  const s = rougeLsum([['1', '2', '3', '4', '5']], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']]);
  assert.equal(s.recall, 0.8);
  assert.equal(s.precision, 0.4);
  assert.equal(rougeLsum([['reference']], [[]]).recall, 0, 'the tokeniser may leave a sentence empty');
  // a repeated prediction sentence cannot count one target token twice
  const twice = rougeLsum([['a', 'b']], [['a'], ['a']]);
  assert.equal(twice.recall, 0.5);
  const mean = meanRouge([rougeScores('a b', 'a b'), rougeScores('a b', 'c d')]);
  assert.equal(mean.rouge1.fmeasure, 0.5);
});

test('llmts eval rouge: table with the non-ASCII note, --json, --stem, --sentence-sep, one-line errors', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'llmts-rouge-'));
  const write = (name: string, lines: string[]): string => {
    const p = join(tmp, name);
    writeFileSync(p, lines.map((l) => `${l}\n`).join(''));
    return p;
  };
  const ref = write('ref.txt', ['The friends had a meeting.', 'a b c d', 'Les élèves ont chanté']);
  const hyp = write('hyp.txt', ['the friend had meetings', 'c d <n> a b', 'Les élèves ont chanté']);
  const short = write('short.txt', ['one']);
  const [text, json, stemmed, split, mismatch, noRef] = await Promise.all([
    llmts(['eval', 'rouge', '--hyp', hyp, '--ref', ref]),
    llmts(['eval', 'rouge', '--hyp', hyp, '--ref', ref, '--json']),
    llmts(['eval', 'rouge', '--hyp', hyp, '--ref', ref, '--json', '--stem']),
    llmts(['eval', 'rouge', '--hyp', hyp, '--ref', ref, '--json', '--sentence-sep', '<n>']),
    llmts(['eval', 'rouge', '--hyp', hyp, '--ref', short]),
    llmts(['eval', 'rouge', '--hyp', hyp]),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /mean over 3 segments/);
  assert.match(text.stdout, /^rougeLsum\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
  assert.match(text.stdout, /non-ASCII text scores zero by design/);

  type Out = Record<'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum', { precision: number; recall: number; fmeasure: number }> & { note: string; segments: number };
  const plain = JSON.parse(json.stdout) as Out;
  const stem = JSON.parse(stemmed.stdout) as Out;
  const sep = JSON.parse(split.stdout) as Out;
  // expected: the mean of the library's per-segment scores, in percent
  const pct = (x: number): number => Number((100 * x).toFixed(2));
  const segs = (f: (s: string) => string, s: boolean) => meanRouge([
    rougeScores(f('The friends had a meeting.'), f('the friend had meetings'), { stem: s }),
    rougeScores(f('a b c d'), f('c d <n> a b'), { stem: s }),
    rougeScores(f('Les élèves ont chanté'), f('Les élèves ont chanté'), { stem: s }),
  ]);
  const id = (s: string): string => s;
  assert.equal(plain.rouge1.fmeasure, pct(segs(id, false).rouge1.fmeasure));
  assert.equal(stem.rouge1.fmeasure, pct(segs(id, true).rouge1.fmeasure));
  assert.ok(stem.rouge1.fmeasure > plain.rouge1.fmeasure, 'stemming matches friend/friends, meeting/meetings');
  const nl = (s: string): string => s.split('<n>').join('\n');
  assert.equal(sep.rougeLsum.recall, pct(segs(nl, false).rougeLsum.recall));
  // 'c d' and 'a b' as two sentences: their union LCS covers all of 'a b c d' (recall 1, not 1/2)
  assert.ok(sep.rougeLsum.recall > plain.rougeLsum.recall, 'two sentences: union LCS');
  assert.match(plain.note, /non-ASCII text scores zero by design/);
  assert.equal(plain.segments, 3);

  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /^llmts: error E_LINES: .*hyp\.txt has 3 lines but .*short\.txt has 1/m);
  assert.equal(noRef.code, 1);
  assert.match(noRef.stderr, /^llmts: error E_USAGE: llmts eval rouge needs --ref/m);
  assert.doesNotMatch(mismatch.stderr + noRef.stderr, /\n\s+at /);
});

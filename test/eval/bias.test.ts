import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { continuationLogprob, occupationGap, pearson } from '../../src/eval/bias-gap.ts';
import { WEAT_TESTS, type WeatTest } from '../../src/eval/bias-lists.ts';
import { nameSwapGap, positiveLabel } from '../../src/eval/bias-names.ts';
import { weat } from '../../src/eval/bias-weat.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { saveClassifier } from '../../src/io/classifier-dir.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { llmts as runCli } from '../cli-run.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,';
const tok = CharTokenizer.fromText(ALPHABET);
const model = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 3 });

/** log P(cont | prompt) by hand: one forward of prompt + cont, log-softmax of each row, in float64. */
function handLogprob(m: AnyModel, prompt: number[], cont: number[]): number {
  const ids = [...prompt, ...cont];
  const T = ids.length - 1;
  const logits = noGrad(() => m.forward(Int32Array.from(ids.slice(0, T)), 1, T).logits.data.slice()); // (1, T, V)
  const V = m.config.vocabSize;
  let sum = 0;
  for (let t = prompt.length - 1; t < T; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    const max = Math.max(...row);
    let z = 0;
    for (const x of row) z += Math.exp(x - max);
    sum += row[ids[t + 1]!]! - max - Math.log(z);
  }
  return sum;
}

test('continuationLogprob: the sum of the log-softmax of each continuation token (a 4-token " she")', () => {
  const prompt = tok.encode('The nurse said that');
  const she = tok.encode(' she');
  assert.equal(she.length, 4, 'a char tokenizer makes " she" four tokens');
  const got = continuationLogprob(model, prompt, she);
  const want = handLogprob(model, prompt, she);
  assert.ok(Math.abs(got - want) < 1e-4, `${got} vs ${want}`);
  // the sum over tokens: log P(" she") = log P(" s") + log P("he" | " s")
  const split = handLogprob(model, prompt, she.slice(0, 2)) + handLogprob(model, [...prompt, ...she.slice(0, 2)], she.slice(2));
  assert.ok(Math.abs(got - split) < 1e-4);
  assert.ok(got < 0);
  // a one-token prompt predicts nothing itself
  const one = continuationLogprob(model, prompt.slice(0, 1), she);
  assert.ok(Math.abs(one - handLogprob(model, prompt.slice(0, 1), she)) < 1e-4);
  // a prompt longer than the context is cut on the left
  const long = tok.encode('x'.repeat(100) + 'The nurse said that');
  assert.ok(Math.abs(continuationLogprob(model, long, she) - handLogprob(model, long.slice(long.length - 61), she)) < 1e-4);
});

test('occupationGap: per-occupation gap = mean over templates of log P(" he") - log P(" she"); mean |gap| and Pearson r', () => {
  const occupations = [{ word: 'nurse', direction: -1 as const }, { word: 'farmer', direction: 1 as const }, { word: 'clerk', direction: -1 as const }];
  const templates = ['The {occupation} said that', 'A {occupation} is'];
  const r = occupationGap(model, tok, { occupations, templates });
  const he = tok.encode(' he'), she = tok.encode(' she');
  const want = occupations.map((o) => templates.reduce((s, t) => {
    const p = tok.encode(t.replace('{occupation}', o.word));
    return s + handLogprob(model, p, he) - handLogprob(model, p, she);
  }, 0) / templates.length);
  r.rows.forEach((row, i) => assert.ok(Math.abs(row.gap - want[i]!) < 1e-4, `${row.occupation}: ${row.gap} vs ${want[i]}`));
  const meanAbs = want.reduce((a, g) => a + Math.abs(g), 0) / 3;
  assert.ok(Math.abs(r.meanAbsGap - meanAbs) < 1e-4);
  assert.ok(Math.abs(r.correlation - pearson(want, [-1, 1, -1])) < 1e-3);
  assert.deepEqual(r.continuationTokens, { male: 3, female: 4 });
  assert.throws(() => occupationGap(model, tok, { occupations, templates: ['no slot'] }), /has no \{occupation\}/);
});

test('pearson: hand values, and NaN for a constant series', () => {
  assert.ok(Math.abs(pearson([1, 2, 3], [1, 2, 3]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  // x = [1, 2, 4], y = [1, -1, 1]: sxy 6/9, sxx 42/9, syy 24/9: r = (6/9) / sqrt(42 * 24 / 81) = 0.1889822
  assert.ok(Math.abs(pearson([1, 2, 4], [1, -1, 1]) - 0.18898223650461363) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1], [1, 2])));
});

test('WEAT on a hand-made 2-d embedding table: effect size 0.917113 and exact p = 1/6', () => {
  const table = new Map<string, Float32Array>([
    ['a', Float32Array.of(1, 0)], ['b', Float32Array.of(0, 1)],
    ['x1', Float32Array.of(1, 0)], ['x2', Float32Array.of(1, 1)], ['y1', Float32Array.of(0, 1)], ['y2', Float32Array.of(2, 1)],
  ]);
  const t: WeatTest = { name: 'hand', about: 'hand', X: ['x1', 'x2'], Y: ['y1', 'y2'], A: ['a'], B: ['b'] };
  // s = [1, 0, -1, 1/sqrt(5)]; means 0.5 and -0.276393; sample sd 0.846562 (sum of squares 2.15 / 3)
  const r = weat(t, (w) => table.get(w)!);
  assert.ok(Math.abs(r.effectSize - 0.917113) < 1e-6, String(r.effectSize));
  assert.ok(Math.abs(r.statistic - (1 + 1 - 1 / Math.sqrt(5))) < 1e-6);
  assert.equal(r.permutations, 6);
  assert.equal(r.exact, true);
  assert.ok(Math.abs(r.pValue - 1 / 6) < 1e-12, 'one partition of six ({x1, y2}) is above the observed one');
  // swapping the targets flips the sign
  assert.ok(Math.abs(weat({ ...t, X: t.Y, Y: t.X }, (w) => table.get(w)!).effectSize + r.effectSize) < 1e-9);
  // sampled partitions: seeded, the same p twice
  const s1 = weat(t, (w) => table.get(w)!, { permutations: 5, seed: 7 }), s2 = weat(t, (w) => table.get(w)!, { permutations: 5, seed: 7 });
  assert.equal(s1.exact, false);
  assert.equal(s1.permutations, 5);
  assert.equal(s1.pValue, s2.pValue);
  assert.throws(() => weat({ ...t, A: [] }, (w) => table.get(w)!), /non-empty/);
});

test('WEAT lists: 8 words in each of X, Y, A, B (Caliskan et al. 2017)', () => {
  for (const t of WEAT_TESTS) for (const l of [t.X, t.Y, t.A, t.B]) assert.equal(l.length, 8, t.name);
});

test('nameSwapGap on a tiny classification head: mean |P(pos | male) - P(pos | female)| by hand', () => {
  const base = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 4 });
  const clf = withHead(base, classificationHead({ numLabels: 2 }), { seed: 5 });
  clf.eval();
  const male = ['John', 'Paul'], female = ['Mary', 'Linda'], templates = ['I met {name} today.'];
  const r = nameSwapGap(clf, tok, 1, { male, female, templates });
  const p = (s: string): number => {
    const ids = tok.encode(s);
    const l = noGrad(() => clf.forward({ ids: Int32Array.from(ids), B: 1, T: ids.length }).logits.data.slice());
    return 1 / (1 + Math.exp(l[0]! - l[1]!));
  };
  const d = [p('I met John today.') - p('I met Mary today.'), p('I met Paul today.') - p('I met Linda today.')];
  assert.equal(r.pairs, 2);
  assert.ok(Math.abs(r.meanAbsDiff - (Math.abs(d[0]!) + Math.abs(d[1]!)) / 2) < 1e-6);
  assert.ok(Math.abs(r.meanDiff - (d[0]! + d[1]!) / 2) < 1e-6);
  assert.ok(r.meanAbsDiff > 0, 'a random head tells the names apart');
});

test('positiveLabel: named positive / pos / 1, else the last; an unknown --positive-label is refused', () => {
  assert.equal(positiveLabel(['negative', 'positive']), 1);
  assert.equal(positiveLabel(['POS', 'NEG']), 0);
  assert.equal(positiveLabel(['0', '1']), 1);
  assert.equal(positiveLabel(['a', 'b', 'c']), 2);
  assert.equal(positiveLabel(['a', 'b'], 'a'), 0);
  assert.throws(() => positiveLabel(['a', 'b'], 'z'), /no label 'z'/);
});

test('llmts bias probe --json on a checkpoint: the occupation and WEAT sections, names skipped (no classification head)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-bias-'));
  const ck = path.join(dir, 'ck');
  saveCheckpoint(ck, { model, tokenizer: tok });
  const run = (args: string[]) => runCli([...args], { timeoutMs: 120_000 });
  const r = run(['bias', 'probe', '--model', ck, '--json', '--permutations', '200']);
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { kind: string; occupation: { rows: unknown[]; meanAbsGap: number; caution: string }; names: { skipped: string }; weat: { tests: { effectSize: number; permutations: number }[] } };
  assert.equal(got.kind, 'causal-lm');
  assert.equal(got.occupation.rows.length, 40);
  const direct = occupationGap(model, tok);
  assert.ok(Math.abs(got.occupation.meanAbsGap - direct.meanAbsGap) < 1e-5);
  assert.match(got.occupation.caution, /not proof of no bias/);
  assert.match(got.names.skipped, /no classification head/);
  assert.equal(got.weat.tests.length, 3);
  for (const t of got.weat.tests) assert.ok(Number.isFinite(t.effectSize) && t.permutations === 200);
  const bad = run(['bias', 'probe', '--model', ck, '--probes', 'occupaton']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /E_FLAG.*unknown probe 'occupaton'/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('llmts bias probe --json on a classifier directory: the name-swap section; no LM head for the occupation probe', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-bias-clf-'));
  const base = createModel(gpt2Config({ vocabSize: tok.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 6 });
  const clf = withHead(base, classificationHead({ numLabels: 2 }), { seed: 7 });
  saveClassifier(dir, { model: clf, tokenizer: tok, labels: ['negative', 'positive'] });
  const r = runCli(['bias', 'probe', '--model', dir, '--probes', 'occupation,names', '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { kind: string; occupation: { skipped: string }; names: { meanAbsDiff: number; pairs: number; positiveLabel: number }; weat: { skipped: string } };
  assert.equal(got.kind, 'classifier');
  assert.match(got.occupation.skipped, /no language-model head/);
  assert.equal(got.names.pairs, 46 * 5);
  assert.equal(got.names.positiveLabel, 1);
  clf.eval();
  assert.ok(Math.abs(got.names.meanAbsDiff - nameSwapGap(clf, tok, 1).meanAbsDiff) < 1e-6);
  assert.match(got.weat.skipped, /not asked for/);
  fs.rmSync(dir, { recursive: true, force: true });
});

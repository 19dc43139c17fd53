import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterfactual, GENDER_PAIRS, loadFirstNames, matchCase } from '../../src/data/cda.ts';
import { DEFAULT_DEDUP } from '../../src/data/dedup/dedup.ts';
import { DEFAULT_FILTERS } from '../../src/data/filters/index.ts';
import { prepare } from '../../src/data/prepare.ts';
import { llmts as runCli } from '../cli-run.ts';

test('counterfactual: both directions, case kept, punctuation untouched, no word swapped twice', () => {
  assert.equal(counterfactual('He said she would come.').text, 'She said he would come.');
  assert.equal(counterfactual('The KING and the Queen; the man, the woman!').text, 'The QUEEN and the King; the woman, the man!');
  assert.equal(counterfactual("he's his own brother's keeper").text, "she's her own sister's keeper");
  assert.equal(counterfactual('Mr. Smith met Mrs. Jones.').text, 'Mrs. Smith met Mr. Jones.');
  // one pass: "he" -> "she" is not turned back into "he" by the she -> he rule
  const r = counterfactual('he she he she');
  assert.equal(r.text, 'she he she he');
  assert.equal(r.swaps, 4);
  // twice gives the original back for words with one counterpart
  const s = 'The boys and girls saw their father, mother, uncle and aunt.';
  assert.equal(counterfactual(counterfactual(s).text).text, s);
  // words containing a gendered word are left alone
  assert.equal(counterfactual('The theme shelf hello mankind').text, 'The theme shelf hello mankind');
  assert.equal(counterfactual('A cat sat.').swaps, 0);
});

test('counterfactual: "her" -> "him" before a function word or punctuation, else "his"; "hers" -> "his"', () => {
  assert.equal(counterfactual('She gave her a hug.').text, 'He gave him a hug.');
  assert.equal(counterfactual('He loves her dog.').text, 'She loves his dog.');
  assert.equal(counterfactual('I saw her.').text, 'I saw him.');
  assert.equal(counterfactual('I saw her, then left').text, 'I saw him, then left');
  assert.equal(counterfactual('Her hat is red').text, 'His hat is red');
  assert.equal(counterfactual('He took her to the park').text, 'She took him to the park');
  assert.equal(counterfactual('The book is hers.').text, 'The book is his.');
  assert.equal(counterfactual('The book is his.').text, 'The book is her.', 'his -> her (the rule does not guess the independent "hers")');
  assert.equal(counterfactual('her').text, 'him');
});

test('matchCase: upper, capitalised, lower', () => {
  assert.equal(matchCase('HE', 'she'), 'SHE');
  assert.equal(matchCase('He', 'she'), 'She');
  assert.equal(matchCase('he', 'she'), 'she');
});

test('counterfactual with names: line i of the male list <-> line i of the female list', () => {
  const { male, female } = loadFirstNames();
  assert.equal(male.length, 46);
  assert.equal(female.length, 46);
  assert.equal(new Set([...male, ...female]).size, 92, 'no name twice');
  assert.equal(counterfactual('Lily told Timmy that she saw his dog.', { names: true }).text, 'Timmy told Lily that he saw her dog.');
  assert.equal(counterfactual(`${male[0]} met ${female[1]}.`, { names: true }).text, `${female[0]} met ${male[1]}.`);
  assert.equal(counterfactual(`${male[0]} met ${female[1]}.`).text, `${male[0]} met ${female[1]}.`, 'names only when asked');
});

test('GENDER_PAIRS: lower case, no word twice on the male side', () => {
  const males = GENDER_PAIRS.map(([m]) => m);
  assert.equal(new Set(males).size, males.length);
  for (const [m, f] of GENDER_PAIRS) assert.ok(m === m.toLowerCase() && f === f.toLowerCase());
});

const DOCS = [
  'He went to the market and bought apples for his mother.',
  'The girl and her brother played in the garden all day.',
  'A cat sat on the warm mat and slept until noon.',
  'The king spoke to the queen about the harvest.',
];
const OPTS = {
  ingest: { field: 'text', docSep: '\n\n' }, valRatio: 0, threads: 1,
  filters: { ...DEFAULT_FILTERS, length: false, ratios: false, repetition: false, language: false, profanity: false },
  dedup: { ...DEFAULT_DEDUP, near: false },
};

function shardTexts(out: string): string[] {
  return readdirSync(out).filter((f) => f.endsWith('.jsonl')).sort()
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text));
}

test('prepare with cda: each train document with a gendered word is followed by its copy; counts in report.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-cda-'));
  const src = join(dir, 'in.txt');
  writeFileSync(src, DOCS.join('\n\n') + '\n');
  const plain = await prepare([src], { ...OPTS, out: join(dir, 'plain') });
  assert.equal(plain.out.docs, 4);
  assert.equal(plain.cda, undefined);
  const r = await prepare([src], { ...OPTS, out: join(dir, 'cda'), cda: {} });
  assert.deepEqual(shardTexts(join(dir, 'cda')), [
    DOCS[0], 'She went to the market and bought apples for her father.',
    DOCS[1], 'The boy and his sister played in the garden all day.',
    DOCS[2],
    DOCS[3], 'The queen spoke to the king about the harvest.',
  ]);
  assert.equal(r.out.docs, 7);
  assert.equal(r.out.train.docs, 7);
  assert.deepEqual({ docs: r.cda!.docs, swaps: r.cda!.swaps }, { docs: 3, swaps: 3 + 3 + 2 });
  assert.equal(r.cda!.bytes, [1, 3, 6].reduce((n, i) => n + Buffer.byteLength(shardTexts(join(dir, 'cda'))[i]!), 0));
  const onDisk = JSON.parse(readFileSync(join(dir, 'cda', 'report.json'), 'utf8')) as { cda: { docs: number } };
  assert.equal(onDisk.cda.docs, 3);
  // parquet output carries the same copies
  const pq = await prepare([src], { ...OPTS, out: join(dir, 'pq'), cda: {}, format: 'parquet' });
  assert.equal(pq.out.docs, 7);
  // the val split is not augmented
  const val = await prepare([src], { ...OPTS, out: join(dir, 'val'), cda: {}, valRatio: 0.999 });
  assert.equal(val.out.val.docs, 4);
  assert.equal(val.cda!.docs, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('llmts data prepare --cda: the summary line and report.json; --cda-names without --cda is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-cda-cli-'));
  const src = join(dir, 'in.txt');
  writeFileSync(src, DOCS.join('\n\n') + '\n');
  const run = (args: string[]) => runCli(['data', 'prepare', ...args], { timeoutMs: 60_000 });
  const flags = ['--doc-sep', '\\n\\n', '--val-ratio', '0', '--threads', '1', '--no-length', '--no-ratios', '--no-repetition', '--no-language', '--no-near'];
  const r = run(['--out', join(dir, 'o'), '--cda', ...flags, src]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /cda: 3 counterfactual copies added to train \(8 words swapped\)/);
  const rep = JSON.parse(readFileSync(join(dir, 'o', 'report.json'), 'utf8')) as { cda: { docs: number }; settings: { cda: unknown } };
  assert.equal(rep.cda.docs, 3);
  assert.deepEqual(rep.settings.cda, { names: false });
  const bad = run(['--out', join(dir, 'o2'), '--cda-names', src]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /E_FLAG: --cda-names needs --cda/);
  rmSync(dir, { recursive: true, force: true });
});

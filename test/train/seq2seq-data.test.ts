/**
 * The seq2seq recipes' data: TSV pairs (plain and gzip) with errors naming file:line, the
 * split by source (every reference of a held-apart source leaves training), sacreBLEU
 * reference streams padded without changing any score, SciTLDR records, and the bundled
 * data the presets read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { corpusBleu } from '../../src/eval/bleu.ts';
import { corpusChrf } from '../../src/eval/chrf.ts';
import { flattenRefs, groupBySource, readScitldr, readTsvPairs, referenceStreams, splitBySource } from '../../src/train/seq2seq-data.ts';
import { rewritePairs, REWRITE_COPIES, COPIES_PER_ABSTRACT } from '../../src/train/seq2seq-summarize.ts';
import { TRANSLATION_SPLIT, translationData } from '../../src/train/seq2seq-translate.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-s2s-data-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const TSV = 'Go.\tVa !\nRun!\tCours !\nRun!\tCourez !\n\nHi.\tSalut !\tCC-BY note\n';

test('readTsvPairs reads plain and gzip files alike; a third column is ignored, blank lines skipped', () => {
  writeFileSync(join(root, 'p.tsv'), TSV);
  writeFileSync(join(root, 'p.tsv.gz'), gzipSync(TSV));
  const want = [{ source: 'Go.', target: 'Va !' }, { source: 'Run!', target: 'Cours !' }, { source: 'Run!', target: 'Courez !' }, { source: 'Hi.', target: 'Salut !' }];
  assert.deepEqual(readTsvPairs(join(root, 'p.tsv')), want);
  assert.deepEqual(readTsvPairs(join(root, 'p.tsv.gz')), want);
});

test('readTsvPairs: a line without a tab, an empty side, a missing or non-gzip file are E_DATA naming it', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['a.tsv', 'Go.\tVa !\nno tab here\n', /a\.tsv:2: expected "source<TAB>target"/],
    ['b.tsv', 'Go.\t \n', /b\.tsv:1: expected/],
    ['c.tsv', '\n\n', /c\.tsv: holds no pairs/],
    ['d.tsv.gz', 'not gzip', /d\.tsv\.gz is not a gzip file/],
  ];
  for (const [name, body, re] of cases) {
    writeFileSync(join(root, name), body);
    assert.throws(() => readTsvPairs(join(root, name)), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && re.test(e.message), name);
  }
  assert.throws(() => readTsvPairs(join(root, 'missing.tsv')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /cannot read .*missing\.tsv/.test(e.message));
});

test('splitBySource holds apart whole sources with all their references, deterministically', () => {
  const pairs = Array.from({ length: 40 }, (_, i) => [{ source: `s${i}`, target: `t${i}a` }, ...(i % 3 === 0 ? [{ source: `s${i}`, target: `t${i}b` }] : [])]).flat();
  const a = splitBySource(pairs, { test: 5, val: 3, seed: 7 });
  assert.equal(a.test.length, 5);
  assert.equal(a.val.length, 3);
  const held = new Set([...a.test, ...a.val].map((x) => x.source));
  assert.equal(held.size, 8);
  assert.ok(a.train.every((p) => !held.has(p.source)), 'no held-apart source in training');
  assert.equal(a.train.length + flattenRefs([...a.test, ...a.val]).length, pairs.length, 'every pair is in exactly one split');
  for (const x of a.test) assert.deepEqual(x.refs, pairs.filter((p) => p.source === x.source).map((p) => p.target));
  assert.deepEqual(splitBySource(pairs, { test: 5, val: 3, seed: 7 }), a);
  assert.notDeepEqual(splitBySource(pairs, { test: 5, val: 3, seed: 8 }).test, a.test);
  assert.throws(() => splitBySource(pairs, { test: 30, val: 10, seed: 1 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA');
});

test('referenceStreams pads with the first reference, which leaves BLEU and chrF as with each item\'s own references', () => {
  const items = groupBySource([
    { source: 'a', target: 'le chat est noir' }, { source: 'a', target: 'le chat noir' }, { source: 'b', target: 'il pleut beaucoup' },
  ]);
  const streams = referenceStreams(items);
  assert.deepEqual(streams, [['le chat est noir', 'il pleut beaucoup'], ['le chat noir', 'il pleut beaucoup']]);
  const hyps = ['le chat est noir', 'il pleut'];
  // item b alone against its one reference, item a against its two: the corpus statistics are the sums
  const padded = corpusBleu(hyps, streams);
  const own = corpusBleu(hyps, [['le chat est noir', 'il pleut beaucoup'], ['le chat noir', 'il pleut beaucoup']]);
  assert.equal(padded.score, own.score);
  assert.deepEqual(corpusBleu(['il pleut'], [['il pleut beaucoup'], ['il pleut beaucoup']]), corpusBleu(['il pleut'], [['il pleut beaucoup']]));
  assert.equal(corpusChrf(['il pleut'], [['il pleut beaucoup'], ['il pleut beaucoup']]).score, corpusChrf(['il pleut'], [['il pleut beaucoup']]).score);
});

test('readScitldr reads records and names the line of a malformed one', () => {
  const good = { source: ['We study X.', 'We propose Y.'], source_labels: [0, 1], target: ['Y for X.'], paper_id: 'p1', title: 'T' };
  writeFileSync(join(root, 'ok.jsonl'), `${JSON.stringify(good)}\n`);
  assert.deepEqual(readScitldr(join(root, 'ok.jsonl')), [{ id: 'p1', title: 'T', source: good.source, labels: [0, 1], targets: good.target }]);
  writeFileSync(join(root, 'bad.jsonl'), `${JSON.stringify(good)}\n${JSON.stringify({ ...good, source_labels: [1] })}\n`);
  assert.throws(() => readScitldr(join(root, 'bad.jsonl')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /bad\.jsonl:2: "source_labels"/.test(e.message));
  writeFileSync(join(root, 'bad2.jsonl'), `${JSON.stringify({ ...good, target: [] })}\n`);
  assert.throws(() => readScitldr(join(root, 'bad2.jsonl')), (e: unknown) => e instanceof LlmtsError && /bad2\.jsonl:1:/.test(e.message));
});

test('rewritePairs: the labelled sentence -> the TLDR, repeated, and copy pairs of other sentences', () => {
  const rec = { id: 'p', title: '', source: ['A.', 'B.', 'C.', 'D.'], labels: [0, 0, 1, 0], targets: ['tldr'] };
  const pairs = rewritePairs([rec], 0);
  assert.equal(pairs.length, REWRITE_COPIES + COPIES_PER_ABSTRACT);
  assert.deepEqual(pairs.slice(0, REWRITE_COPIES), Array(REWRITE_COPIES).fill({ source: 'C.', target: 'tldr' }));
  for (const p of pairs.slice(REWRITE_COPIES)) {
    assert.equal(p.source, p.target);
    assert.notEqual(p.source, 'C.');
  }
});

test('the bundled translation data splits as its SOURCE.txt says: 1,000 test and 500 validation English sources', () => {
  const d = translationData(new URL('../../data/translation-en-fr/eng-fra-74k.tsv.gz', import.meta.url).pathname);
  assert.equal(d.test.length, TRANSLATION_SPLIT.test);
  assert.ok(d.train.length > 70_000 && d.train.length < 74_473);
  const testSources = new Set(d.test.map((x) => x.source));
  assert.ok(d.train.every((p) => !testSources.has(p.source)));
  assert.ok(d.test.some((x) => x.refs.length > 1), 'some test sources carry several references');
});

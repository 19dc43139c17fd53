// BLEU, chrF and chrF++ against sacreBLEU 2.6 (fixtures made by
// test/fixtures/sacrebleu/make-fixtures.py from the offline wheel): 500 Tatoeba segments
// with synthetic hypotheses and edge cases, one and two references; the 13a tokeniser;
// Python's whitespace; `llmts eval bleu` spawned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bleuSignature, corpusBleu, formatBleu } from '../../src/eval/bleu.ts';
import { chrfSignature, corpusChrf, formatChrf, sentenceChrf } from '../../src/eval/chrf.ts';
import { pyRstrip, pySplit, tokenize13a } from '../../src/eval/sacrebleu-text.ts';
import { readSegments, splitSegments } from '../../src/eval/segment-files.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { llmtsAsync as llmts, type CliResult as Exit } from '../cli-run.ts';

const DIR = 'test/fixtures/sacrebleu';
const HYP = join(DIR, 'hyp.txt');
const REF1 = join(DIR, 'ref1.txt');
const REF2 = join(DIR, 'ref2.txt');

interface Expected {
  bleu: { score: number; counts: number[]; totals: number[]; precisions: number[]; bp: number; sys_len: number; ref_len: number; signature: string; text: string };
  chrf: { score: number; signature: string; text: string };
  chrfpp: { score: number; signature: string; text: string };
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  oneRef: Expected; twoRefs: Expected; sentencesOneRef: { chrf: number; chrfpp: number }[];
};

const hyps = readSegments(HYP, '--hyp');
const ref1 = readSegments(REF1, '--ref');
const ref2 = readSegments(REF2, '--ref');

test('fixture: 500 segments with the edge cases sacreBLEU was run on', () => {
  assert.equal(hyps.length, 500);
  assert.equal(ref1.length, 500);
  assert.equal(ref2.length, 500);
  assert.ok(hyps.includes(''), 'an empty hypothesis');
  assert.ok(hyps.some((h) => h.includes('&amp;')) && hyps.some((h) => /\p{Extended_Pictographic}/u.test(h)), 'entities and emoji');
});

for (const [name, refSets] of [['oneRef', [ref1]], ['twoRefs', [ref1, ref2]]] as const) {
  test(`corpus BLEU, chrF, chrF++ equal sacreBLEU 2.6 (${name})`, () => {
    const e = EXPECTED[name];
    const b = corpusBleu(hyps, refSets);
    assert.deepEqual(b.counts, e.bleu.counts, 'clipped n-gram matches');
    assert.deepEqual(b.totals, e.bleu.totals, 'hypothesis n-grams');
    assert.equal(b.sysLen, e.bleu.sys_len);
    assert.equal(b.refLen, e.bleu.ref_len, 'closest reference lengths');
    assert.ok(Math.abs(b.bp - e.bleu.bp) < 1e-12);
    b.precisions.forEach((p, i) => assert.ok(Math.abs(p - e.bleu.precisions[i]!) < 1e-9));
    assert.ok(Math.abs(b.score - e.bleu.score) < 1e-9, `BLEU ${b.score} vs ${e.bleu.score}`);
    const c = corpusChrf(hyps, refSets, 0);
    const cpp = corpusChrf(hyps, refSets, 2);
    assert.ok(Math.abs(c.score - e.chrf.score) < 1e-9, `chrF ${c.score} vs ${e.chrf.score}`);
    assert.ok(Math.abs(cpp.score - e.chrfpp.score) < 1e-9, `chrF++ ${cpp.score} vs ${e.chrfpp.score}`);
    // sacreBLEU's printed lines, signature included
    assert.equal(formatBleu(b, refSets.length), e.bleu.text);
    assert.equal(formatChrf(c, refSets.length), e.chrf.text);
    assert.equal(formatChrf(cpp, refSets.length), e.chrfpp.text);
    assert.equal(bleuSignature(refSets.length), e.bleu.signature);
    assert.equal(chrfSignature(refSets.length, 2), e.chrfpp.signature);
  });
}

test('sentence-level chrF and chrF++ equal sacreBLEU on every one of the 500 segments', () => {
  let worst = 0;
  hyps.forEach((h, i) => {
    const e = EXPECTED.sentencesOneRef[i]!;
    worst = Math.max(worst, Math.abs(sentenceChrf(h, [ref1[i]!], 0).score - e.chrf), Math.abs(sentenceChrf(h, [ref1[i]!], 2).score - e.chrfpp));
  });
  assert.ok(worst < 1e-9, `max abs diff ${worst}`);
});

test('13a tokeniser equals sacreBLEU Tokenizer13a on numbers, punctuation, entities, unicode', () => {
  const cases = JSON.parse(readFileSync(join(DIR, 'tok13a.json'), 'utf8')) as [string, string][];
  assert.equal(cases.length, 40);
  for (const [input, want] of cases) assert.equal(tokenize13a(input), want, JSON.stringify(input));
  assert.equal(tokenize13a('Il a payé 3.50 euros, soit 1,000.25.'), 'Il a payé 3.50 euros , soit 1,000.25 .');
  assert.equal(tokenize13a('pages 12-15, a-b'), 'pages 12 - 15 , a-b');
});

test("Python's whitespace: split and rstrip know U+001C..U+001F, U+0085, U+00A0, U+3000 but not U+FEFF", () => {
  assert.deepEqual(pySplit('a\x1cb\x85c\u00a0d\u3000e\u2028f'), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(pySplit('a\ufeffb'), ['a\ufeffb']);
  assert.deepEqual(pySplit('  '), []);
  assert.equal(pyRstrip('x \t\r\u00a0\x1f'), 'x');
  assert.equal(pyRstrip('x\ufeff'), 'x\ufeff');
});

test('BLEU details: brevity penalty, closest reference length (shorter on ties), exp smoothing, no match', () => {
  // hyp of 3 tokens, references of 2 and 4 tokens: both 1 away, the shorter (2) is used, so no penalty
  const tie = corpusBleu(['a b c'], [['a b'], ['a b c d']]);
  assert.equal(tie.refLen, 2);
  assert.equal(tie.bp, 1);
  // the trigram matches nothing: exp smoothing makes its precision 100 / (2 * 1); there are
  // no 4-grams at all: the loop stops there and log(0) is floored, so BLEU is ~0
  const s = corpusBleu(['x y z'], [['x y q']]);
  assert.deepEqual(s.counts, [2, 1, 0, 0]);
  assert.deepEqual(s.totals, [3, 2, 1, 0]);
  assert.ok(Math.abs(s.precisions[2]! - 50) < 1e-12);
  assert.equal(s.precisions[3], 0);
  assert.ok(s.score < 1e-10, 'a missing order floors the score to ~0');
  const short = corpusBleu(['a b c d'], [['a b c d e f g h']]);
  assert.ok(Math.abs(short.bp - Math.exp(1 - 8 / 4)) < 1e-15);
  assert.equal(corpusBleu(['foo'], [['bar']]).score, 0);
  assert.equal(corpusBleu([''], [['bar']]).score, 0);
  assert.ok(Math.abs(corpusBleu(['a b c d e'], [['a b c d e']]).score - 100) < 1e-12);
  // one zero order among four: smoothed, not zero (2 trigram-free segments)
  const z = corpusBleu(['a b c d', 'e f g h'], [['a b x d', 'e f y h']]);
  assert.deepEqual(z.counts, [6, 2, 0, 0]);
  assert.ok(z.score > 0);
});

test('chrF details: whitespace ignored, best reference chosen, chrF++ splits one punctuation mark', () => {
  assert.equal(corpusChrf(['le chat'], [['lechat']], 0).score, 100);
  assert.ok(corpusChrf(['le chat'], [['lechat']], 2).score < 100, 'chrF++ sees the words differ');
  const one = sentenceChrf('le chat noir', ['un chien'], 0).score;
  assert.equal(sentenceChrf('le chat noir', ['un chien', 'le chat noir'], 0).score, 100);
  assert.ok(one < 100);
  // 'chat.' -> 'chat' '.', so chrF++ word unigrams match 'chat .'
  assert.equal(sentenceChrf('chat.', ['chat .'], 2).score, 100);
  assert.equal(sentenceChrf('', ['abc'], 0).score, 0);
});

test('reference sets must match the hypotheses in length (E_REFS)', () => {
  assert.throws(() => corpusBleu(['a', 'b'], [['a']]), (e: unknown) => e instanceof LlmtsError && e.code === 'E_REFS' && /1 segments but there are 2/.test(e.message));
  assert.throws(() => corpusChrf(['a'], []), (e: unknown) => e instanceof LlmtsError && e.code === 'E_REFS');
});

test('segment files: lines end at \\n only, are right-stripped, a final newline adds no segment', () => {
  assert.deepEqual(splitSegments('a \r\nb\u00a0\n\nc'), ['a', 'b', '', 'c']);
  assert.deepEqual(splitSegments('a\n'), ['a']);
  assert.deepEqual(splitSegments('a\u2028b\rc\n'), ['a\u2028b\rc']);
});

function errorLine(r: Exit): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('llmts: warning:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError/);
  assert.equal(r.code, 1);
  return lines[0]!;
}

test('llmts eval bleu: sacreBLEU lines, --json, two references, CRLF files, and one-line errors', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'llmts-bleu-'));
  const crlf = join(tmp, 'hyp-crlf.txt');
  writeFileSync(crlf, readFileSync(HYP, 'utf8').replaceAll('\n', '\r\n'));
  const short = join(tmp, 'short.txt');
  writeFileSync(short, 'one\ntwo\n');
  const [text, json, crlfRun, mismatch, missing, noRef, help, evalHelp] = await Promise.all([
    llmts(['eval', 'bleu', '--hyp', HYP, '--ref', REF1]),
    llmts(['eval', 'bleu', '--hyp', HYP, '--ref', REF1, '--ref', REF2, '--json']),
    llmts(['eval', 'bleu', '--hyp', crlf, '--ref', REF1, '--json']),
    llmts(['eval', 'bleu', '--hyp', HYP, '--ref', REF1, '--ref', short]),
    llmts(['eval', 'bleu', '--hyp', join(tmp, 'nope.txt'), '--ref', REF1]),
    llmts(['eval', 'bleu', '--hyp', HYP]),
    llmts(['eval', 'bleu', '--help']),
    llmts(['eval', '--help']),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.deepEqual(text.stdout.trim().split('\n'), [EXPECTED.oneRef.bleu.text, EXPECTED.oneRef.chrf.text, EXPECTED.oneRef.chrfpp.text]);

  assert.equal(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout) as { bleu: number; chrf: number; chrfpp: number; signature: { bleu: string; chrf: string; chrfpp: string }; nrefs: number; segments: number };
  const e = EXPECTED.twoRefs;
  assert.equal(j.bleu, Number(e.bleu.score.toFixed(2)));
  assert.equal(j.chrf, Number(e.chrf.score.toFixed(2)));
  assert.equal(j.chrfpp, Number(e.chrfpp.score.toFixed(2)));
  assert.deepEqual(j.signature, { bleu: e.bleu.signature, chrf: e.chrf.signature, chrfpp: e.chrfpp.signature });
  assert.equal(j.nrefs, 2);
  assert.equal(j.segments, 500);

  const c = JSON.parse(crlfRun.stdout) as { bleu: number; chrf: number };
  assert.equal(c.bleu, Number(EXPECTED.oneRef.bleu.score.toFixed(2)), 'CRLF lines score as LF lines');
  assert.equal(c.chrf, Number(EXPECTED.oneRef.chrf.score.toFixed(2)));

  assert.match(errorLine(mismatch), /^llmts: error E_LINES: .*hyp\.txt has 500 lines but .*short\.txt has 2/);
  assert.match(errorLine(missing), /^llmts: error E_FILE: .*nope\.txt: not found \(at --hyp /);
  assert.match(errorLine(noRef), /^llmts: error E_USAGE: llmts eval bleu needs --ref/);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /sacreBLEU 2\.6/);
  assert.match(evalHelp.stdout, /usage: llmts eval --model M/, 'llmts eval keeps its model evaluation');
  assert.match(evalHelp.stdout, /llmts eval bleu --hyp F --ref R/);
});

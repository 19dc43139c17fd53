// `llmts topics`: a real run over a JSONL file with dates on a tiny BERT (topics.json,
// topics.html and the table), and each mistake a user can make as one E_... error naming
// the flag or file (run in-process: main.ts prints such an error as one line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/topics.ts';
import type { TopicsResult } from '../../src/topics/fit.ts';
import { llmts as runCli } from '../cli-run.ts';

const MODEL = 'test/fixtures/hf-bert/base';
const dir = mkdtempSync(join(tmpdir(), 'llmts-topics-cli-'));
const TOPICS = [['battery', 'charger', 'phone', 'screen'], ['film', 'actor', 'plot', 'scene'], ['pizza', 'waiter', 'menu', 'pasta']];
const corpus = join(dir, 'docs.jsonl');
writeFileSync(corpus, Array.from({ length: 24 }, (_, i) => {
  const w = TOPICS[i % 3]!;
  return JSON.stringify({ text: `The ${w[i % 4]} and the ${w[(i + 1) % 4]} were ${i % 2 ? 'good' : 'bad'}.`, date: `${2018 + (i % 4)}-0${1 + (i % 9)}-15` });
}).join('\n') + '\n');

test('llmts topics on a JSONL file with dates writes topics.json and topics.html and prints the table', () => {
  const out = join(dir, 'report');
  const r = runCli(['topics', '--model', MODEL, '--date-field', 'date', '--k', '3', '--out', out, corpus], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^3 topics in 24 documents; mean NPMI -?\d\.\d{3}\ntopic {3}docs {3}share {3}NPMI {2}words\n/);
  const json = JSON.parse(readFileSync(join(out, 'topics.json'), 'utf8')) as TopicsResult & { model: string };
  assert.equal(json.model, MODEL);
  assert.equal(json.docs.length, 24);
  assert.equal(json.topics.reduce((a, t) => a + t.size, 0), 24);
  assert.equal(json.trends?.period, 'year');
  assert.deepEqual(json.trends?.rows.map((x) => x.period), ['2018', '2019', '2020', '2021']);
  const html = readFileSync(join(out, 'topics.html'), 'utf8');
  assert.equal(html.match(/<circle class="doc"/g)?.length, 24);
  assert.equal(html.match(/<polyline class="trend"/g)?.length, 3);
  assert.deepEqual(readdirSync(out).sort(), ['topics.html', 'topics.json'], 'no temp file left');
});

test('llmts topics --cluster hdbscan: topics found from the density, the outliers a last topic in the table, JSON and page', async () => {
  const out = join(dir, 'report-hdbscan');
  const logged: string[] = [];
  const log = console.log;
  console.log = (s: string) => logged.push(s);
  try {
    assert.equal(await run(['--model', MODEL, '--cluster', 'hdbscan', '--min-cluster-size', '3', '--date-field', 'date', '--out', out, corpus]), 0);
  } finally {
    console.log = log;
  }
  const json = JSON.parse(readFileSync(join(out, 'topics.json'), 'utf8')) as TopicsResult;
  assert.equal(json.clustering, 'hdbscan');
  assert.ok(json.k >= 2, `found ${json.k} topics`);
  assert.equal(json.topics.reduce((a, t) => a + t.size, 0), 24);
  // the fixture BERT is random: its embeddings leave some documents in no dense region
  assert.ok(json.outliers > 0);
  assert.deepEqual(json.topics.map((t) => t.outlier === true), json.topics.map((_, i) => i === json.k));
  assert.equal(json.topics.at(-1)!.size, json.outliers);
  assert.match(logged[0]!, new RegExp(`^${json.k} topics in 24 documents and ${json.outliers} outliers; mean NPMI`));
  assert.match(logged.join('\n'), /\n {2}out +\d+ /);
  assert.match(readFileSync(join(out, 'topics.html'), 'utf8'), /<td>outliers<\/td>/);
  assert.equal(json.trends!.rows[0]!.counts.length, json.topics.length);
});

test('llmts topics --help, and every bad input is an E_... error naming what to fix', async () => {
  const logged: string[] = [];
  const log = console.log;
  console.log = (s: string) => logged.push(s);
  try {
    assert.equal(await run(['--help']), 0);
  } finally {
    console.log = log;
  }
  assert.match(logged[0]!, /^usage: llmts topics --model M --out DIR/);
  const txt = join(dir, 'plain.txt');
  writeFileSync(txt, 'one paragraph\n\nanother one\n');
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text": "a", "date": "soon"}\n');
  const cases: [string[], string, RegExp][] = [
    [['--out', dir, corpus], 'E_USAGE', /needs --model/],
    [['--model', MODEL, corpus], 'E_USAGE', /needs --out/],
    [['--model', MODEL, '--out', dir], 'E_USAGE', /needs input files/],
    [['--model', MODEL, '--out', dir, '--period', 'week', corpus], 'E_FLAG', /--period must be one of auto, month, year, decade, got 'week'/],
    [['--model', MODEL, '--out', dir, '--unit', 'page', corpus], 'E_FLAG', /--unit must be one of/],
    [['--model', MODEL, '--out', dir, '--k', 'many', corpus], 'E_FLAG', /--k must be an integer/],
    [['--model', MODEL, '--out', dir, '--k', '99', corpus], 'E_FLAG', /--k 99 is more than the 24 documents/],
    [['--model', MODEL, '--out', dir, '--k-min', '5', '--k-max', '3', corpus], 'E_FLAG', /--k-max \(3\) is below --k-min \(5\)/],
    [['--model', MODEL, '--out', dir, '--dims', '0', corpus], 'E_FLAG', /--dims must be/],
    [['--model', MODEL, '--out', dir, '--cluster', 'dbscan', corpus], 'E_FLAG', /--cluster must be one of kmeans, hdbscan, got 'dbscan'/],
    [['--model', MODEL, '--out', dir, '--cluster', 'hdbscan', '--k', '3', corpus], 'E_FLAG', /hdbscan finds their number itself/],
    [['--model', MODEL, '--out', dir, '--cluster', 'hdbscan', '--min-cluster-size', '1', corpus], 'E_FLAG', /--min-cluster-size must be/],
    [['--model', MODEL, '--out', dir, '--cluster', 'hdbscan', '--min-samples', '0', corpus], 'E_FLAG', /--min-samples must be/],
    [['--model', MODEL, '--out', dir, '--cluster', 'hdbscan', '--min-cluster-size', '13', corpus], 'E_TOPICS', /no cluster of at least 13 documents among 24/],
    [['--model', MODEL, '--out', dir, '--date-field', 'date', txt], 'E_INPUT', /plain\.txt is not a \.jsonl file/],
    [['--model', MODEL, '--out', dir, '--date-field', 'date', bad], 'E_DATA', /bad\.jsonl:1: field "date" is not a date/],
    [['--model', MODEL, '--out', dir, join(dir, 'nope.jsonl')], 'E_INPUT', /not found/],
    [['--model', MODEL, '--out', corpus, corpus], 'E_OUT', /is a file, not a folder/],
    [['--model', join(dir, 'no-model'), '--out', dir, corpus], 'E_', /no-model/],
    [['--model', MODEL, '--out', dir, '--bogus', corpus], 'E_FLAG', /unknown flag '--bogus'/],
  ];
  for (const [argv, code, re] of cases) {
    await assert.rejects(run(argv), (e: Error & { code?: string }) => {
      assert.ok(e.code?.startsWith(code), `${argv.join(' ')}: code ${e.code}: ${e.message}`);
      assert.match(e.message, re, argv.join(' '));
      return true;
    });
  }
});

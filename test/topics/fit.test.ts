// Reading a corpus (JSONL with text and date fields, text files by doc / paragraph / line),
// its errors, topic shares per period, and fitTopics end to end on planted embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocDate, readCorpus, type TopicDoc } from '../../src/topics/corpus.ts';
import { fitTopics } from '../../src/topics/fit.ts';
import { autoPeriod, topicTrends } from '../../src/topics/trends.ts';
import { corpusTerms, words } from '../../src/topics/words.ts';
import { Rng } from '../../src/util/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-topics-'));
const file = (name: string, body: string): string => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};

test('words: lower case, letters only, stop words and one-letter words out, trailing \'s dropped', () => {
  assert.deepEqual(words("The phone's battery isn't GREAT, 2 stars: a déjà vu!"), ['phone', 'battery', 'great', 'stars', 'déjà', 'vu']);
  const { vocab, ids } = corpusTerms(['cat dog', 'cat bird', 'fish']);
  assert.deepEqual(vocab.terms, ['bird', 'cat', 'dog', 'fish']); // under 50 texts: min df 1
  assert.deepEqual([...ids[1]!], [1, 0]);
  assert.deepEqual(corpusTerms(['cat dog', 'cat bird', 'fish'], { minDf: 2 }).vocab.terms, ['cat']);
});

test('readCorpus: JSONL text and dates, text files whole, by paragraph or by line; blank documents dropped', () => {
  const jsonl = file('a.jsonl', '{"text": "one", "date": "2001-03-04"}\n\n{"text": "two", "date": 1999}\n{"text": "  ", "date": "2000"}\n');
  const docs = readCorpus([jsonl], { dateField: 'date' });
  assert.deepEqual(docs, [{ text: 'one', source: `${jsonl}:1`, date: { year: 2001, month: 3 } }, { text: 'two', source: `${jsonl}:3`, date: { year: 1999 } }]);
  const txt = file('b.txt', 'first para\nstill first\r\n\r\nsecond\n\n\n');
  assert.equal(readCorpus([txt]).length, 1);
  assert.deepEqual(readCorpus([txt], { unit: 'paragraph' }).map((d) => d.text), ['first para\nstill first', 'second']);
  assert.deepEqual(readCorpus([txt], { unit: 'line' }).map((d) => d.source), [`${txt}#1`, `${txt}#2`, `${txt}#4`]);
  const other = file('c.jsonl', '{"body": "x"}\n');
  assert.deepEqual(readCorpus([other], { textField: 'body' }).map((d) => d.text), ['x']);
});

test('readCorpus errors name the file and line and say what to fix', () => {
  const cases: [string, string, { dateField?: string }, RegExp][] = [
    ['bad.jsonl', '{"text": "a"}\n{oops\n', {}, /bad\.jsonl:2: not valid JSON/],
    ['arr.jsonl', '[1, 2]\n', {}, /arr\.jsonl:1: not a JSON object/],
    ['notext.jsonl', '{"body": "a"}\n', {}, /notext\.jsonl:1: field "text" is missing.*--text-field/],
    ['numtext.jsonl', '{"text": 5}\n', {}, /field "text" is a number, not a string/],
    ['nodate.jsonl', '{"text": "a"}\n', { dateField: 'date' }, /nodate\.jsonl:1: field "date" is missing/],
    ['baddate.jsonl', '{"text": "a", "date": "last week"}\n', { dateField: 'date' }, /field "date" is not a date: "last week"/],
    ['badmonth.jsonl', '{"text": "a", "date": "2020-13"}\n', { dateField: 'date' }, /is not a date/],
  ];
  for (const [name, body, o, re] of cases) assert.throws(() => readCorpus([file(name, body)], o), (e: Error & { code?: string }) => e.code === 'E_DATA' && re.test(e.message), name);
  assert.throws(() => readCorpus([file('d.txt', 'x')], { dateField: 'date' }), { code: 'E_INPUT', message: /not a \.jsonl file.*--date-field/ });
  assert.throws(() => readCorpus([join(dir, 'missing.jsonl')]), { code: 'E_INPUT', message: /not found/ });
  assert.throws(() => readCorpus([file('empty.jsonl', '\n\n')]), { code: 'E_INPUT', message: /no document with text/ });
  assert.throws(() => readCorpus([]), { code: 'E_USAGE' });
});

test('dates and trends: parsed forms, auto period, shares per period in time order', () => {
  assert.deepEqual(parseDocDate('2020-05-01T10:00:00Z'), { year: 2020, month: 5 });
  assert.deepEqual(parseDocDate(1850), { year: 1850 });
  for (const bad of [1850.5, 0, '20-05', 'May 2020', null, true]) assert.equal(parseDocDate(bad), undefined);
  assert.equal(autoPeriod([{ year: 1790 }, { year: 1900 }]), 'decade');
  assert.equal(autoPeriod([{ year: 2001 }, { year: 2010 }]), 'year');
  assert.equal(autoPeriod([{ year: 2020, month: 1 }, { year: 2021, month: 6 }]), 'month');
  const t = topicTrends([{ year: 2003 }, { year: 1991 }, { year: 1995 }, { year: 2001 }], [1, 0, 1, 1], 2, 'decade');
  assert.deepEqual(t, { period: 'decade', rows: [{ period: '1990s', counts: [1, 1], shares: [0.5, 0.5] }, { period: '2000s', counts: [0, 2], shares: [0, 1] }] });
  assert.deepEqual(topicTrends([{ year: 2020, month: 2 }, { year: 2020, month: 1 }], [0, 0], 1, 'month').rows.map((r) => r.period), ['2020-01', '2020-02']);
});

/** 30 documents in three planted groups: texts from a group's words, embeddings around the group's centre. */
function plantedCorpus(): { docs: TopicDoc[]; rows: Float32Array; dim: number } {
  const groups = [['battery', 'phone', 'charger'], ['film', 'actor', 'plot'], ['pizza', 'waiter', 'menu']];
  const rng = new Rng(11), dim = 8, docs: TopicDoc[] = [];
  const rows = new Float32Array(30 * dim);
  for (let i = 0; i < 30; i++) {
    const g = i < 15 ? 0 : i < 24 ? 1 : 2; // sizes 15, 9, 6
    const w = groups[g]!;
    docs.push({ text: `the ${w[i % 3]}, ${w[(i + 1) % 3]} and ${w[(i + 2) % 3]} were fine`, source: `doc${i}`, date: { year: 2000 + (i % 3) } });
    for (let t = 0; t < dim; t++) rows[i * dim + t] = (t === g ? 5 : 0) + 0.3 * rng.normal();
  }
  return { docs, rows, dim };
}

test('fitTopics: k chosen by silhouette, topics by size, c-TF-IDF words, central documents, map and trends', () => {
  const { docs, rows, dim } = plantedCorpus();
  const r = fitTopics(docs, rows, dim, { kMax: 6, seed: 1 });
  assert.equal(r.k, 3);
  assert.deepEqual(r.topics.map((t) => t.size), [15, 9, 6]);
  assert.deepEqual(r.topics.map((t) => new Set(t.words.slice(0, 3).map((w) => w.word))), [new Set(['battery', 'phone', 'charger']), new Set(['film', 'actor', 'plot']), new Set(['pizza', 'waiter', 'menu'])]);
  assert.ok(r.topics.every((t) => t.words[3]!.word === 'fine'), 'a word of every topic ranks below the distinctive ones');
  assert.ok(r.topics[2]!.representatives.every((d) => d.doc >= 24));
  assert.equal(r.docs.length, 30);
  assert.ok(r.docs.every((d, i) => d.topic === (i < 15 ? 0 : i < 24 ? 1 : 2) && Number.isFinite(d.x) && Number.isFinite(d.y)));
  assert.equal(r.trends?.period, 'year');
  assert.deepEqual(r.trends?.rows.map((x) => x.counts.reduce((a, b) => a + b, 0)), [10, 10, 10]);
  assert.ok(r.kScores!.length === 5 && r.coherence <= 1 && r.coherence >= -1);
  // deterministic
  assert.deepEqual(JSON.stringify(fitTopics(docs, rows, dim, { kMax: 6, seed: 1 })), JSON.stringify(r));
  // a given k is used as it is
  assert.equal(fitTopics(docs, rows, dim, { k: 2 }).topics.length, 2);
});

test('fitTopics refuses a k it cannot make and embeddings that do not match', () => {
  const { docs, rows, dim } = plantedCorpus();
  assert.throws(() => fitTopics(docs, rows, dim, { k: 31 }), { code: 'E_TOPICS', message: /31 topics of 30 documents/ });
  assert.throws(() => fitTopics(docs.slice(0, 2), rows.subarray(0, 2 * dim), dim), { code: 'E_TOPICS', message: /too few/ });
  assert.throws(() => fitTopics(docs, rows.subarray(0, dim), dim), { code: 'E_TOPICS' });
  assert.equal(fitTopics(docs.slice(0, 1), rows.subarray(0, dim), dim, { k: 1 }).topics[0]!.size, 1);
});

test('fitTopics with HDBSCAN: the planted groups, scattered documents in an outlier topic kept last and out of the mean NPMI', () => {
  const planted = plantedCorpus(), dim = planted.dim, rng = new Rng(5);
  // 6 scattered documents far from every group and from each other
  const docs = [...planted.docs], rows = new Float32Array((30 + 6) * dim);
  rows.set(planted.rows);
  for (let i = 0; i < 6; i++) {
    docs.push({ text: `the weather ${['rain', 'snow', 'wind'][i % 3]} was odd`, source: `odd${i}`, date: { year: 2001 } });
    for (let t = 0; t < dim; t++) rows[(30 + i) * dim + t] = 12 * (rng.uniform() - 0.5) + (t === 3 + (i % 5) ? 9 : 0);
  }
  const r = fitTopics(docs, rows, dim, { cluster: 'hdbscan', minClusterSize: 5, dims: 5, seed: 1 });
  assert.equal(r.clustering, 'hdbscan');
  assert.equal(r.k, 3);
  assert.deepEqual(r.topics.map((t) => t.outlier === true), [false, false, false, true]);
  assert.equal(r.outliers, r.topics[3]!.size);
  assert.ok(r.docs.slice(30).every((d) => d.topic === 3), 'every scattered document is an outlier');
  assert.ok(r.docs.slice(0, 30).every((d, i) => d.topic === (i < 15 ? 0 : i < 24 ? 1 : 2)), 'the planted groups are the topics, numbered by size');
  assert.ok(r.topics[3]!.words.slice(0, 3).some((w) => w.word === 'weather'));
  assert.ok(Math.abs(r.coherence - (r.topics[0]!.coherence + r.topics[1]!.coherence + r.topics[2]!.coherence) / 3) < 1e-12);
  assert.deepEqual(r.trends!.rows[0]!.counts.length, 4); // the outlier topic has its share too
  // the same input, the same topics
  assert.deepEqual(JSON.stringify(fitTopics(docs, rows, dim, { cluster: 'hdbscan', minClusterSize: 5, dims: 5, seed: 1 })), JSON.stringify(r));
  // no dense cluster: an E_TOPICS error that says what to change
  assert.throws(() => fitTopics(docs, rows, dim, { cluster: 'hdbscan', minClusterSize: 20 }), { code: 'E_TOPICS', message: /no cluster of at least 20/ });
});

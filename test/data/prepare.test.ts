import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { prepare, corpusStats } from '../../src/data/prepare.ts';
import { Rng } from '../../src/util/rng.ts';
import { addLine, editWords, originals } from './planted.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-prepare-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const FIX = new URL('../fixtures/data-texts/', import.meta.url).pathname;

/** A JSONL corpus of 240 distinct documents plus planted exact and near duplicates. */
function plantedCorpus(): { path: string; distinct: number } {
  const rng = new Rng(9);
  const base = originals(240);
  const lines: string[] = [];
  base.forEach((text, i) => {
    lines.push(JSON.stringify({ text }));
    if (i % 4 === 1) lines.push(JSON.stringify({ text: editWords(text, 0.03, rng, 'passage') }));
    if (i % 4 === 2) lines.push(JSON.stringify({ text }));
    if (i % 4 === 3) lines.push(JSON.stringify({ text: addLine(text, 'footer', rng) }));
  });
  const path = join(dir, 'planted.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return { path, distinct: base.length };
}
const corpus = plantedCorpus();
const inputs = [corpus.path, `${FIX}tinystories-head.txt`, `${FIX}the-verdict.txt`];

function shardTexts(out: string): string[] {
  return readdirSync(out).filter((n) => n.endsWith('.jsonl')).sort()
    .flatMap((n) => readFileSync(join(out, n), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text));
}

test('prepare: planted duplicates removed, the same output for 1 and 2 threads, stats = prepare', async () => {
  const o1 = join(dir, 'o1'), o2 = join(dir, 'o2');
  const opts = { ingest: { field: 'text', docSep: '\n\n' }, valRatio: 0.2, shardBytes: 40_000 };
  const r1 = await prepare(inputs, { ...opts, out: o1, threads: 1 });
  const r2 = await prepare(inputs, { ...opts, out: o2, threads: 2 });
  assert.equal(r2.timing.threads, 2);
  const names = readdirSync(o1).sort();
  assert.deepEqual(readdirSync(o2).sort(), names);
  assert.ok(names.filter((n) => n.startsWith('train-')).length >= 3, `several shards: ${names.join(' ')}`);
  for (const n of names.filter((x) => x.endsWith('.jsonl'))) assert.equal(readFileSync(join(o2, n), 'utf8'), readFileSync(join(o1, n), 'utf8'), n);
  const strip = (r: typeof r1) => ({ ...r, timing: null });
  assert.deepEqual(strip(r2), strip({ ...r1, timing: r1.timing }));
  // Every planted duplicate of the 240 originals is gone (60 exact, 60 near, 60 footer variants).
  assert.equal(r1.dedup.exact, 60);
  assert.ok(r1.dedup.near >= 114, `near ${r1.dedup.near} of 120`);
  const texts = shardTexts(o1);
  assert.equal(new Set(texts).size, texts.length);
  assert.equal(r1.out.docs, texts.length);
  assert.ok(r1.out.val.docs > 0 && r1.out.val.docs < r1.out.train.docs);
  const report = JSON.parse(readFileSync(join(o1, 'report.json'), 'utf8')) as typeof r1;
  assert.equal(report.out.docs, r1.out.docs);
  assert.ok(report.drops['duplicate-near']!.examples.length > 0);
  assert.ok(report.languages.en! > 0);
  const s = await corpusStats(inputs, { ...opts, threads: 2 });
  assert.deepEqual({ ...s, timing: null, command: null, settings: null, out: { ...s.out, shards: [] } }, { ...r1, timing: null, command: null, settings: null, out: { ...r1.out, shards: [] } });
  // A second run into the same folder is refused unless --overwrite.
  await assert.rejects(prepare(inputs, { ...opts, out: o1, threads: 1 }), /already holds a prepared corpus/);
});

test('prepare: Parquet shards hold the same documents as JSONL shards, with id and source', async () => {
  const oj = join(dir, 'pj'), op = join(dir, 'pp');
  await prepare([corpus.path], { out: oj, threads: 1, valRatio: 0 });
  const r = await prepare([corpus.path], { out: op, threads: 1, valRatio: 0, format: 'parquet', meta: true });
  assert.deepEqual(readdirSync(op).sort(), ['report.json', 'train-00000.parquet']);
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(join(op, 'train-00000.parquet')) });
  assert.deepEqual(rows.map((x) => x.text as string), shardTexts(oj));
  assert.equal(rows.length, r.out.docs);
  assert.match(rows[0]!.id as string, /^[0-9a-f]{16}$/);
  assert.equal(rows[0]!.source, `${corpus.path}:1`);
});

test('shardTexts reads back JSONL and Parquet shards in order; a bad record names file and line', async () => {
  const { shardTexts: readShards } = await import('../../src/data/read-shards.ts');
  const oj = join(dir, 'pj'), op = join(dir, 'pp');
  const fromJsonl: string[] = [];
  for await (const t of readShards([join(oj, 'train-00000.jsonl')])) fromJsonl.push(t);
  const fromParquet: string[] = [];
  for await (const t of readShards([join(op, 'train-00000.parquet')])) fromParquet.push(t);
  assert.deepEqual(fromJsonl, shardTexts(oj));
  assert.ok(fromJsonl.length > 200);
  assert.deepEqual(fromParquet, fromJsonl);
  const bad = join(dir, 'bad-shard.jsonl');
  writeFileSync(bad, '{"text": "ok"}\n{oops\n');
  await assert.rejects(async () => { for await (const _ of readShards([bad])) { /* drain */ } }, /bad-shard\.jsonl:2: malformed JSON/);
});

test('prepare: boilerplate lines (two passes) and HTML pages go through the workers', async () => {
  const src = join(dir, 'site');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(src);
  const bodies = originals(30, 120);
  const footer = 'Subscribe to our newsletter and follow us for more stories every week';
  bodies.forEach((b, i) => writeFileSync(join(src, `page-${String(i).padStart(2, '0')}.html`),
    `<html><head><title>t</title><style>.x{}</style></head><body><nav>Home | About | Contact</nav><article><h2>Story ${i}</h2>${b.split('\n').map((l) => `<p>${l}</p>`).join('')}</article><footer><p>${footer}</p></footer></body></html>`));
  const plain = await corpusStats([src], { threads: 2 });
  assert.equal(plain.in.docs, 30);
  assert.equal(plain.cleaning.boilerplateLines, 0);
  const out = join(dir, 'site-out');
  const r = await prepare([src], { out, threads: 2, boilerplateMinDocs: 10, valRatio: 0 });
  assert.equal(r.cleaning.boilerplateLines, 30);
  const texts = shardTexts(out);
  assert.equal(texts.length, r.out.docs);
  assert.ok(r.out.docs >= 25, `kept ${r.out.docs}`);
  for (const t of texts) {
    assert.equal(t.includes(footer), false);
    assert.equal(/<p>|Home \| About|\.x\{\}/.test(t), false, t.slice(0, 80));
    assert.match(t, /^Story \d+\n/);
  }
});

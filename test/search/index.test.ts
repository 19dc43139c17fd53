// The index directory (src/search/index-dir.ts) and the search over it (index-search.ts):
// a round trip keeps chunks, offsets and vectors; damaged or missing files are E_INDEX
// errors naming them; an existing folder that is not an index is never replaced; and the
// HNSW graph (ann.ts) finds what exact search finds on random vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnIndex, annAvailable } from '../../src/search/ann.ts';
import { ExactIndex } from '../../src/search/exact.ts';
import { readIndexDir, writeIndexDir } from '../../src/search/index-dir.ts';
import { buildIndex, SearchIndex } from '../../src/search/index-search.ts';
import { Rng } from '../../src/util/rng.ts';

const DOCS = [
  { path: 'cats.txt', text: 'Cats sleep all day. They purr when happy.\n\nA cat chases mice at night.' },
  { path: 'ships.txt', text: 'The ship sailed at dawn. Sailors raised the anchor.' },
];

/** A bag-of-letters embedding: deterministic, and texts sharing letters are close. */
function letters(texts: readonly string[]): Float32Array[] {
  return texts.map((t) => {
    const v = new Float32Array(26);
    for (const ch of t.toLowerCase()) {
      const i = ch.charCodeAt(0) - 97;
      if (i >= 0 && i < 26) v[i]! += 1;
    }
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  });
}

function unitRows(rng: Rng, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += (out[r * dim + i] = rng.normal()) ** 2;
    for (let i = 0; i < dim; i++) out[r * dim + i]! /= Math.sqrt(ss);
  }
  return out;
}

test('an index round trip keeps chunks, offsets and vectors; search modes rank them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-index-'));
  try {
    const content = buildIndex(DOCS, letters, { model: 'letters', maxWords: 6, overlap: 0, ann: 'off' });
    writeIndexDir(join(dir, 'idx'), content);
    const f = readIndexDir(join(dir, 'idx'));
    assert.equal(f.manifest.chunks, content.chunks.length);
    assert.deepEqual(f.chunks, content.chunks);
    assert.deepEqual([...f.vectors], [...content.vectors]);
    for (const c of f.chunks) assert.equal(DOCS.find((d) => d.path === c.source)!.text.slice(c.start, c.end), c.text);
    const ix = SearchIndex.open(join(dir, 'idx'));
    assert.equal(ix.denseKind, 'exact');
    const bm = ix.search('anchor', null, { k: 3, mode: 'bm25' });
    assert.equal(bm[0]!.chunk.text, 'Sailors raised the anchor.');
    const q = letters(['Sailors raised the anchor.'])[0]!;
    assert.equal(ix.search('x', q, { k: 1, mode: 'dense' })[0]!.chunk.text, 'Sailors raised the anchor.');
    const hy = ix.search('anchor', q, { k: 2, mode: 'hybrid' });
    assert.equal(hy[0]!.chunk.text, 'Sailors raised the anchor.');
    assert.deepEqual([hy[0]!.bm25Rank, hy[0]!.denseRank], [1, 1]);
    assert.throws(() => ix.search('anchor', null, { k: 2, mode: 'hybrid' }), { code: 'E_INPUT' });
    // rebuilding over an index replaces it
    writeIndexDir(join(dir, 'idx'), buildIndex(DOCS.slice(0, 1), letters, { model: 'letters', ann: 'off' }));
    assert.deepEqual(readIndexDir(join(dir, 'idx')).manifest.sources, ['cats.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged, missing or foreign index is an E_INDEX error naming the file; a non-index folder is never replaced', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-index-'));
  try {
    const idx = join(dir, 'idx');
    writeIndexDir(idx, buildIndex(DOCS, letters, { model: 'letters', ann: 'off' }));
    const manifest = readFileSync(join(idx, 'manifest.json'), 'utf8');
    const vectors = readFileSync(join(idx, 'vectors.bin'));
    assert.throws(() => readIndexDir(join(dir, 'nope')), { code: 'E_INDEX', message: /is not a folder/ });
    writeFileSync(join(idx, 'manifest.json'), manifest.replace('"dim": 26', '"dim": "26"'));
    assert.throws(() => readIndexDir(idx), { code: 'E_INDEX', message: /manifest\.json: dim: must be an integer/ });
    writeFileSync(join(idx, 'manifest.json'), '{"format": "something-else"}');
    assert.throws(() => readIndexDir(idx), { code: 'E_INDEX', message: /format: must be 'llmts-search-index'/ });
    writeFileSync(join(idx, 'manifest.json'), manifest);
    const bad = Buffer.from(vectors);
    bad[40] ^= 0xff;
    writeFileSync(join(idx, 'vectors.bin'), bad);
    assert.throws(() => readIndexDir(idx), { code: 'E_INDEX', message: /vectors\.bin: does not match the size and SHA-256/ });
    writeFileSync(join(idx, 'vectors.bin'), vectors);
    writeFileSync(join(idx, 'chunks.jsonl'), readFileSync(join(idx, 'chunks.jsonl'), 'utf8').split('\n').slice(1).join('\n'));
    assert.throws(() => readIndexDir(idx), { code: 'E_INDEX', message: /chunks\.jsonl: holds \d+ chunks; the manifest says/ });
    rmSync(join(idx, 'chunks.jsonl'));
    assert.throws(() => readIndexDir(idx), { code: 'E_INDEX', message: /chunks\.jsonl: missing/ });
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    assert.throws(() => writeIndexDir(mine, buildIndex(DOCS, letters, { model: 'letters', ann: 'off' })), { code: 'E_INDEX', message: /not a search index; refusing/ });
    assert.ok(existsSync(join(mine, 'notes.txt')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HNSW (usearch) finds the exact top 10 on random unit vectors (recall@10 >= 0.95), deterministically, and survives a round trip', { skip: annAvailable() ? false : 'the usearch addon does not load here' }, () => {
  const rng = new Rng(7);
  const N = 3000, dim = 32, Q = 50;
  const data = unitRows(rng, N, dim), queries = unitRows(rng, Q, dim);
  const exact = new ExactIndex(data, dim), ann = AnnIndex.build(data, dim), again = AnnIndex.build(data, dim);
  let found = 0;
  for (let q = 0; q < Q; q++) {
    const v = queries.subarray(q * dim, (q + 1) * dim);
    const truth = new Set(exact.search(v, 10).map((h) => h.doc));
    const got = ann.search(v, 10);
    found += got.filter((h) => truth.has(h.doc)).length;
    assert.deepEqual(again.search(v, 10), got, 'the same vectors give the same graph');
    const top = got[0]!;
    assert.ok(Math.abs(top.score - exact.scores(v)[top.doc]!) < 1e-5, 'scores are cosines');
  }
  assert.ok(found / (Q * 10) >= 0.95, `recall@10 ${found / (Q * 10)}`);
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ann-'));
  try {
    const idx = join(dir, 'idx');
    const files = Array.from({ length: N }, (_, i) => ({ path: `f${i}`, text: `w${i}` }));
    let n = 0;
    writeIndexDir(idx, buildIndex(files, (texts) => texts.map(() => data.slice(dim * n, dim * ++n)), { model: 'random', ann: 'on' }));
    const ix = SearchIndex.open(idx);
    assert.equal(ix.denseKind, 'hnsw');
    const v = queries.subarray(0, dim);
    assert.deepEqual(ix.search('', v, { k: 10, mode: 'dense' }).map((r) => r.id), ann.search(v, 10).map((h) => h.doc));
    const graph = readFileSync(join(idx, 'ann.usearch'));
    graph[graph.length - 1] ^= 0xff;
    writeFileSync(join(idx, 'ann.usearch'), graph);
    assert.throws(() => SearchIndex.open(idx), { code: 'E_INDEX', message: /ann\.usearch: does not match/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

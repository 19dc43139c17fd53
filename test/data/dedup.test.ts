import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deduper, DEFAULT_DEDUP } from '../../src/data/dedup/dedup.ts';
import { estimateJaccard, exactJaccard, MinHasher } from '../../src/data/dedup/minhash.ts';
import { docKey } from '../../src/data/hash.ts';
import { keyUniform, splitOf } from '../../src/data/split.ts';
import { normalizedWordHashes } from '../../src/data/words.ts';
import { Rng } from '../../src/util/rng.ts';
import { addLine, editWords, originals } from './planted.ts';

const mh = new MinHasher({ shingle: DEFAULT_DEDUP.shingle, perms: DEFAULT_DEDUP.perms, seed: DEFAULT_DEDUP.seed, method: 'oph' });
const sig = (t: string) => mh.signature(normalizedWordHashes(t));

/** Runs the deduper over docs (with their group ids) and scores the near/exact flags against the groups. */
function score(docs: { text: string; group: number }[], o = DEFAULT_DEDUP) {
  const d = new Deduper({ ...o });
  const groupOfKept: number[] = [];
  const seenGroups = new Set<number>();
  let flagged = 0, correct = 0, planted = 0;
  for (const doc of docs) {
    if (seenGroups.has(doc.group)) planted++;
    seenGroups.add(doc.group);
    const k = docKey(doc.text);
    const v = d.add(k.hi, k.lo, o.near ? sig(doc.text) : null, 0, 0);
    if (v.kind === null) groupOfKept[v.kept] = doc.group;
    else {
      flagged++;
      if (groupOfKept[v.of] === doc.group) correct++;
    }
  }
  return { recall: planted ? correct / planted : 1, precision: flagged ? correct / flagged : 1, flagged, planted, kept: d.kept };
}

test('MinHash (one-permutation, densified) estimates Jaccard without bias', () => {
  const rng = new Rng(11);
  const base = originals(60, 300);
  let sumErr = 0, sumSq = 0;
  for (let i = 0; i < base.length; i++) {
    const v = editWords(base[i]!, 0.02 + 0.2 * rng.uniform(), rng, 'scattered');
    const a = normalizedWordHashes(base[i]!), b = normalizedWordHashes(v);
    const err = estimateJaccard(mh.signature(a), mh.signature(b)) - exactJaccard(mh.shingles(a), mh.shingles(b));
    sumErr += err; sumSq += err * err;
  }
  const bias = sumErr / base.length, rms = Math.sqrt(sumSq / base.length);
  assert.ok(Math.abs(bias) < 0.02, `bias ${bias}`);
  assert.ok(rms < 0.07, `rms error ${rms} (theory ~0.04 for 128 entries)`);
  // Identical shingle sets give identical signatures; short documents still get one shingle.
  assert.deepEqual(sig('one two three'), sig('One, two; three!'));
  assert.equal(sig('')[0], 0xffffffff);
});

test('near-dup, default settings (5-word shingles, Jaccard 0.8): planted variants found with recall and precision >= 0.95', () => {
  const rng = new Rng(2024);
  const base = originals(300);
  const docs: { text: string; group: number }[] = base.map((text, group) => ({ text, group }));
  const variants: { text: string; group: number }[] = [];
  for (let g = 0; g < base.length; g++) {
    const kind = g % 7;
    // 1-5% of words edited as one rewritten passage, or a header / footer line added.
    const text = kind < 5 ? editWords(base[g]!, (kind + 1) / 100, rng, 'passage') : addLine(base[g]!, kind === 5 ? 'header' : 'footer', rng);
    variants.push({ text, group: g });
  }
  // Variants appear after their original, interleaved with the other documents.
  const all = [...docs];
  for (const v of variants) all.splice(v.group + 1 + rng.int(all.length - v.group), 0, v);
  const s = score(all);
  assert.equal(s.planted, 300);
  assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  assert.ok(s.precision >= 0.95, `precision ${s.precision}`);
  assert.ok(s.kept <= 300 + 15, `kept ${s.kept}`);
});

test('near-dup: scattered 1% edits are found; unrelated documents and heavy rewrites are not merged', () => {
  const rng = new Rng(5);
  const base = originals(150);
  const light = score([...base.map((text, group) => ({ text, group })), ...base.map((t, group) => ({ text: editWords(t, 0.01, rng, 'scattered'), group }))]);
  assert.ok(light.recall >= 0.95, `scattered 1%: recall ${light.recall}`);
  // 25% scattered edits: true Jaccard ~0.2, far below 0.8 -> must stay separate.
  const heavy = score([...base.map((text, group) => ({ text, group })), ...base.map((t, group) => ({ text: editWords(t, 0.25, rng, 'scattered'), group }))]);
  assert.equal(heavy.flagged, 0);
  assert.equal(heavy.kept, 300);
});

test('exact dedup: same cleaned text once, first kept; near off still catches exact copies', () => {
  const base = originals(20);
  const docs = [...base, base[3]!, base[7]!, base[3]!].map((text, i) => ({ text, group: i < 20 ? i : [3, 7, 3][i - 20]! }));
  const s = score(docs, { ...DEFAULT_DEDUP, near: false });
  assert.deepEqual({ recall: s.recall, precision: s.precision, kept: s.kept }, { recall: 1, precision: 1, kept: 20 });
  const d = new Deduper({ ...DEFAULT_DEDUP });
  const k = docKey(base[0]!);
  assert.equal(d.add(k.hi, k.lo, sig(base[0]!), 0, 1).kind, null);
  const v = d.add(k.hi, k.lo, sig(base[0]!), 2, 9);
  assert.deepEqual([v.kind, v.of, d.clusters, d.clusterSize.get(0)], ['exact', 0, 1, 2]);
  assert.throws(() => new Deduper({ ...DEFAULT_DEDUP, bands: 20, rows: 8 }), /exceeds --perms/);
});

test('split: deterministic by document hash, ratio respected, seed changes it', () => {
  const texts = Array.from({ length: 20000 }, (_, i) => `document number ${i}`);
  const keys = texts.map((t) => docKey(t));
  const a = keys.map((k) => splitOf(k.hi, k.lo, 0.1, 0));
  const b = [...keys].reverse().map((k) => splitOf(k.hi, k.lo, 0.1, 0)).reverse();
  assert.deepEqual(a, b);
  const val = a.filter((s) => s === 'val').length / a.length;
  assert.ok(Math.abs(val - 0.1) < 0.01, `val fraction ${val}`);
  const c = keys.map((k) => splitOf(k.hi, k.lo, 0.1, 1));
  assert.notDeepEqual(a, c);
  assert.equal(splitOf(keys[0]!.hi, keys[0]!.lo, 0, 0), 'train');
  const u = keyUniform(keys[5]!.hi, keys[5]!.lo, 0);
  assert.ok(u >= 0 && u < 1);
});

test('index tables: first insert wins, every key found again after growing', async () => {
  const { KeyTable, KeyTable32 } = await import('../../src/data/dedup/table.ts');
  const t64 = new KeyTable(16), t32 = new KeyTable32(16);
  const rng = new Rng(77);
  const keys = Array.from({ length: 5000 }, () => [Math.floor(rng.uniform() * 2 ** 32), Math.floor(rng.uniform() * 2 ** 32)] as const);
  keys.forEach(([hi, lo], i) => { assert.equal(t64.setIfAbsent(hi, lo, i), -1); t32.setIfAbsent(lo, i); });
  keys.forEach(([hi, lo], i) => { assert.equal(t64.get(hi, lo), i); assert.equal(t32.get(lo), i); });
  assert.equal(t64.setIfAbsent(keys[9]![0], keys[9]![1], 123), 9);
  assert.equal(t64.get(1, 2), -1);
  assert.equal(t64.size, 5000);
  assert.ok(t64.bytes <= 5000 * 4 * 12 && t32.bytes <= 5000 * 4 * 8);
});

test('index storage: tables stay at least 58% full after growing, chunked records and lists read back across chunks', async () => {
  const { KeyTable32, ByteRecords, IntList } = await import('../../src/data/dedup/table.ts');
  const t = new KeyTable32(16);
  const rng = new Rng(5);
  const keys = new Set<number>();
  while (keys.size < 100_000) keys.add(Math.floor(rng.uniform() * 2 ** 32));
  let i = 0;
  for (const k of keys) t.setIfAbsent(k, i++);
  i = 0;
  for (const k of keys) assert.equal(t.get(k), i++);
  assert.ok(t.bytes <= (t.size / 0.58) * 8 * 1.02, `${t.bytes} bytes for ${t.size} keys: a table at least 58% full`);
  const recs = new ByteRecords(16, 100); // 6 records a chunk
  const list = new IntList();
  for (let r = 0; r < 50_000; r++) {
    if (r < 50) recs.push(Uint8Array.from({ length: 16 }, (_, j) => (r * 16 + j) & 0xff));
    list.push(r * 3);
  }
  for (let r = 0; r < 50; r++) assert.deepEqual([...recs.get(r)], Array.from({ length: 16 }, (_, j) => (r * 16 + j) & 0xff));
  assert.equal(recs.bytes, Math.ceil(50 / 6) * 6 * 16);
  list.set(40_000, -7);
  assert.equal(list.get(16_383) + list.get(16_384) + list.get(40_000), 16_383 * 3 + 16_384 * 3 - 7);
  assert.equal(list.length, 50_000);
});

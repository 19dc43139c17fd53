// Dropped-word pretraining examples (src/train/dropped-word.ts): targets skip the most
// frequent ids and the special ids; each example is its sentence minus one target-word
// token, labelled with that word's index; the same seed gives the same examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedWordExamples, droppedWordTargets } from '../../src/train/dropped-word.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const EOS = 0;
// id 1 is the most frequent (a function word), then 2, then 3..6
const docs = [[1, 2, 3, 1, 4], [1, 2, 5, 0], [1, 1, 6], [1, 2], [3, 1, 2, 4, 5, 6]];

test('droppedWordTargets: the most frequent ids after skipTop, never a special id', () => {
  const t = droppedWordTargets(docs, { size: 3, skipTop: 1, special: [EOS] });
  assert.deepEqual(t.ids, [2, 3, 4]); // counts: 1 x7, 2 x4, then 3, 4, 5, 6 x2 (ties by id)
  assert.equal(t.index.get(3), 1);
  assert.throws(() => droppedWordTargets(docs, { size: 3, skipTop: 6 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA');
  assert.throws(() => droppedWordTargets(docs, { size: 1, skipTop: 0 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG');
});

test('droppedWordExamples: the sentence without one target token, labelled with its index; seeded', () => {
  const t = droppedWordTargets(docs, { size: 3, skipTop: 1, special: [EOS] });
  const ex = droppedWordExamples(docs, t, { perDoc: 2, seed: 7, block: 16 });
  // [1, 1, 6] has no target word; every other sentence gives 2 examples
  assert.equal(ex.length, 8);
  const sources = [0, 0, 1, 1, 3, 3, 4, 4].map((d) => docs[d]!);
  ex.forEach((e, i) => {
    const src = sources[i]!, word = t.ids[e.label]!;
    assert.equal(e.ids.length, src.length - 1);
    const t0 = src.findIndex((id, p) => id === word && [...src.slice(0, p), ...src.slice(p + 1)].join() === e.ids.join());
    assert.ok(t0 >= 0, `example ${i}: ${e.ids} is not ${src} without a ${word}`);
  });
  assert.deepEqual(droppedWordExamples(docs, t, { perDoc: 2, seed: 7, block: 16 }), ex);
});

test('droppedWordExamples: long sentences are cut to block ids', () => {
  const long = [Array.from({ length: 30 }, (_, i) => 2 + (i % 3))];
  const t = droppedWordTargets(long, { size: 2, skipTop: 0 });
  for (const e of droppedWordExamples(long, t, { perDoc: 4, seed: 1, block: 8 })) assert.equal(e.ids.length, 8);
});

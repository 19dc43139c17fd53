// The n-gram baseline (src/eval/ngram.ts): argmax after the longest seen context, backoff
// to shorter ones, the order limit, ties to the first to reach the top count, no n-gram
// across training calls, and the greedy loop's stop rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NGramModel } from '../../src/eval/ngram.ts';
import { LlmtsError } from '../../src/util/errors.ts';

test('the longest seen context decides; unseen contexts back off to shorter ones', () => {
  const ng = new NGramModel(3);
  ng.train([1, 2, 3, 9, 2, 4, 9, 2, 4, 5, 2, 4]);
  // after (1, 2) only 3 was seen, though 4 follows 2 more often
  assert.equal(ng.next([1, 2]), 3);
  // after (9, 2): 4 (twice)
  assert.equal(ng.next([9, 2]), 4);
  // (7, 2) unseen: back off to (2) -> 4 (3 times) over 3 (once)
  assert.equal(ng.next([7, 2]), 4);
  // nothing seen after 8: the unigram argmax (2 and 4 occur 4 and 3 times)
  assert.equal(ng.next([8]), 2);
  assert.equal(ng.next([]), 2);
  assert.equal(ng.trainedTokens, 12);
});

test('order n uses only the last n-1 ids of the context', () => {
  const ng = new NGramModel(2);
  ng.train([5, 1, 2, 6, 1, 3, 6, 1, 3]);
  // a trigram model would answer 2 after (5, 1); a bigram model sees only (1): 3 twice vs 2 once
  assert.equal(ng.next([5, 1]), 3);
  const tri = new NGramModel(3);
  tri.train([5, 1, 2, 6, 1, 3, 6, 1, 3]);
  assert.equal(tri.next([5, 1]), 2);
});

test('a tie goes to the token that reached the top count first', () => {
  const ng = new NGramModel(2);
  ng.train([1, 7, 1, 8, 1, 8, 1, 7]);
  // after 1: 7 and 8 twice each; 8 reached 2 first
  assert.equal(ng.next([1]), 8);
});

test('separate training calls: no n-gram spans two documents', () => {
  const ng = new NGramModel(2);
  ng.train([1, 2]);
  ng.train([3, 1]);
  ng.train([4, 4]);
  // in one stream, 2 -> 3 would be a bigram; here 2 was never followed: unigram argmax (1, twice; 4 twice but later)
  assert.equal(ng.next([2]), 1);
});

test('greedy: continues until maxTokens or the stop rule; an untrained model gives nothing', () => {
  const ng = new NGramModel(5);
  ng.train([10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual(ng.greedy([10, 11], { maxTokens: 3 }), [12, 13, 14]);
  assert.deepEqual(ng.greedy([10, 11], { maxTokens: 10, stop: (id) => id === 15 }), [12, 13, 14]);
  assert.deepEqual(ng.greedy([12], { maxTokens: 10, stop: (_id, out) => out.length === 2 }), [13, 14]);
  assert.deepEqual(new NGramModel(5).greedy([1, 2], { maxTokens: 5 }), []);
});

test('a bad order is E_CONFIG', () => {
  assert.throws(() => new NGramModel(0), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG');
  assert.throws(() => new NGramModel(2.5), LlmtsError);
});

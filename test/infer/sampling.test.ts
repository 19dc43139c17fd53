import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, argmax, kthLargest } from '../../src/infer/sampling.ts';
import { StopMatcher } from '../../src/infer/stop.ts';
import { Rng } from '../../src/util/rng.ts';

const logp = (ps: number[]) => Float32Array.from(ps.map(Math.log));

function counts(s: Sampler, logits: Float32Array, n: number, history: number[] = []): number[] {
  const c = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) c[s.sample(logits, history)]!++;
  return c;
}

test('argmax takes the first maximum; kthLargest equals sorting', () => {
  assert.equal(argmax([1, 5, 5, 2]), 1);
  const rng = new Rng(9);
  const x = new Float32Array(1000).map(() => rng.normal());
  const sorted = Float32Array.from(x).sort().reverse();
  for (const k of [1, 2, 40, 999]) assert.equal(kthLargest(x, k), sorted[k - 1]);
});

test('temperature 1 draws follow softmax(logits); top-k and top-p cut the tail', () => {
  const ps = [0.4, 0.3, 0.2, 0.1];
  const n = 20000;
  const c = counts(new Sampler({ temperature: 1, seed: 1 }), logp(ps), n);
  ps.forEach((p, i) => assert.ok(Math.abs(c[i]! / n - p) < 0.015, `id ${i}: ${c[i]! / n} vs ${p}`));
  assert.deepEqual(counts(new Sampler({ temperature: 1, topK: 2, seed: 2 }), logp(ps), 2000).slice(2), [0, 0]);
  // nucleus 0.5: 0.4 < 0.5, 0.4 + 0.3 >= 0.5 -> ids {0, 1}, renormalised 4:3
  const nucleus = counts(new Sampler({ temperature: 1, topP: 0.5, seed: 3 }), logp(ps), n);
  assert.deepEqual(nucleus.slice(2), [0, 0]);
  assert.ok(Math.abs(nucleus[0]! / n - 4 / 7) < 0.015);
  assert.deepEqual(counts(new Sampler({ temperature: 1, topP: 0.01, seed: 4 }), logp(ps), 500), [500, 0, 0, 0]);
  // low temperature sharpens, high flattens
  const cold = counts(new Sampler({ temperature: 0.25, seed: 5 }), logp(ps), 5000);
  const hot = counts(new Sampler({ temperature: 4, seed: 5 }), logp(ps), 5000);
  assert.ok(cold[0]! > 0.6 * 5000 && hot[0]! < 0.35 * 5000, `cold ${cold[0]} hot ${hot[0]}`);
});

test('repetition penalty divides positive and multiplies negative logits of seen ids', () => {
  const greedy = new Sampler({ temperature: 0, repetitionPenalty: 2 });
  assert.equal(greedy.sample(Float32Array.from([3, 2]), [0]), 1, '3/2 < 2');
  assert.equal(greedy.sample(Float32Array.from([3, 2]), [1]), 0);
  assert.equal(greedy.sample(Float32Array.from([-1, -1.5]), [0]), 1, '-1*2 < -1.5');
  assert.equal(new Sampler({ temperature: 0 }).sample(Float32Array.from([3, 2]), [0]), 0, 'off by default');
});

test('same seed, same draws; bad options are LlmtsErrors naming the field', () => {
  const l = logp([0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(counts(new Sampler({ seed: 7 }), l, 50), counts(new Sampler({ seed: 7 }), l, 50));
  const a = Array.from({ length: 30 }, () => 0), s1 = new Sampler({ seed: 7 }), s2 = new Sampler({ seed: 8 });
  assert.notDeepEqual(a.map(() => s1.sample(l)), a.map(() => s2.sample(l)));
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature = -1 is out of range/);
  assert.throws(() => new Sampler({ topK: 1.5 }), /topK = 1.5/);
  assert.throws(() => new Sampler({ topP: 1.5 }), /topP = 1.5/);
  assert.throws(() => new Sampler({ repetitionPenalty: 0 }), /repetitionPenalty = 0/);
});

test('StopMatcher holds back possible stop prefixes and cuts at the earliest stop', () => {
  const s = new StopMatcher(['\n\n', 'END']);
  assert.deepEqual(s.push('Hello\n'), { text: 'Hello', stopped: false });
  assert.deepEqual(s.push('world E'), { text: '\nworld ', stopped: false });
  assert.deepEqual(s.push('NDING'), { text: '', stopped: true });
  const t = new StopMatcher(['xyz']);
  assert.deepEqual(t.push('abcxy'), { text: 'abc', stopped: false });
  assert.equal(t.flush(), 'xy');
  assert.deepEqual(new StopMatcher([]).push('any'), { text: 'any', stopped: false });
});

test('presence and frequency penalties: OpenAI semantics over the generated ids only', () => {
  const logits = Float32Array.from([1.0, 0.9, 0.5, 0.0]);
  const copy = logits.slice();
  // prompt [0, 0]: not counted, so no penalty applies
  assert.equal(new Sampler({ temperature: 0, presencePenalty: 2, frequencyPenalty: 2 }).sample(logits, [0, 0], 2), 0);
  // id 0 generated once: presence 0.2 -> 0.8 < 0.9
  assert.equal(new Sampler({ temperature: 0, presencePenalty: 0.2 }).sample(logits, [3, 0], 1), 1);
  assert.equal(new Sampler({ temperature: 0, presencePenalty: 0.05 }).sample(logits, [3, 0], 1), 0);
  // frequency scales with the count: id 0 three times, 0.04 each -> 0.88 < 0.9; twice -> 0.92
  assert.equal(new Sampler({ temperature: 0, frequencyPenalty: 0.04 }).sample(logits, [3, 0, 0, 0], 1), 1);
  assert.equal(new Sampler({ temperature: 0, frequencyPenalty: 0.04 }).sample(logits, [3, 0, 0], 1), 0);
  // both: 1 - 2 * 0.03 - 0.03 = 0.91 > 0.9; with presence 0.05: 0.89
  assert.equal(new Sampler({ temperature: 0, frequencyPenalty: 0.03, presencePenalty: 0.03 }).sample(logits, [0, 0], 0), 0);
  assert.equal(new Sampler({ temperature: 0, frequencyPenalty: 0.03, presencePenalty: 0.05 }).sample(logits, [0, 0], 0), 1);
  // negative penalties encourage repeats
  assert.equal(new Sampler({ temperature: 0, presencePenalty: -1 }).sample(logits, [2], 0), 2);
  assert.deepEqual(logits, copy, 'the caller\'s logits are not modified');
  // sampled: a large frequency penalty on the likeliest id makes it (almost) never drawn
  const s = new Sampler({ temperature: 1, frequencyPenalty: 2, seed: 3 });
  const big = Float32Array.from([3, 0, 0, 0]);
  let zeros = 0;
  for (let i = 0; i < 400; i++) if (s.sample(big, [0, 0, 0, 0, 0], 0) === 0) zeros++;
  assert.ok(zeros < 20, `id 0 drawn ${zeros} times`);
});

test('penalty options are validated with the field named', () => {
  for (const bad of [{ presencePenalty: 2.5 }, { presencePenalty: Number.NaN }, { frequencyPenalty: -3 }, { frequencyPenalty: Infinity }]) {
    assert.throws(() => new Sampler(bad), (e: Error & { code?: string }) => e.code === 'E_SAMPLING' && e.message.includes(Object.keys(bad)[0]!));
  }
  assert.doesNotThrow(() => new Sampler({ presencePenalty: -2, frequencyPenalty: 2 }));
});

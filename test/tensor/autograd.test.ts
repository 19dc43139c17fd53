// Autograd semantics: gradient accumulation across micro-batches, noGrad, release of the
// graph after backward (and retain/retainGraph), views, tidy, the buffer pool's steady
// state, determinism, and clear errors for user mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import {
  Tensor, add, attention, attentionQkv, concat, crossEntropy, dropout, embedding, gelu, isGradEnabled, layerNorm, linear, matmul, mean, mul,
  narrow, noGrad, clearPool, poolStats, reshape, resetPoolStats, scale, softmax, split, sum, tidy, transpose12, withFloat64,
} from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from './helpers.ts';

setBackend(referenceBackend());

/** The backends to run training-loop tests on: reference, and native when it loads. */
const native = nativeBackend();
const backends: [string, Backend | null, string][] = [
  ['reference', referenceBackend(), ''],
  ['native', native.backend, native.reason],
];

/** Runs fn with backend be, then restores the reference backend. */
function onBackend(be: Backend, fn: () => void): void {
  setBackend(be);
  try {
    fn();
  } finally {
    setBackend(referenceBackend());
  }
}

/** A tiny model: embedding -> layerNorm -> causal self-attention -> GELU MLP -> logits. */
function makeModel(seed: number, V = 11, C = 16) {
  const rng = new Rng(seed);
  const p = (shape: number[], std = 0.2) => Tensor.randn(shape, rng, std, { requiresGrad: true });
  const params = {
    wte: p([V, C]), g: Tensor.ones([C], { requiresGrad: true }), b: Tensor.zeros([C], { requiresGrad: true }),
    wqkv: p([3 * C, C]), w1: p([32, C]), b1: Tensor.zeros([32], { requiresGrad: true }), w2: p([V, 32]),
  };
  const forward = (ids: Int32Array, B: number, T: number, dropSeed = 0): Tensor => {
    const nh = 2, hs = C / nh;
    const x = embedding(params.wte, ids, [B, T]); // (B, T, C)
    const h = layerNorm(x, params.g, params.b);
    const qkv = reshape(linear(h, params.wqkv), [B, T, 3, nh * hs]); // (B, T, 3, C)
    const heads = transpose12(reshape(qkv, [B, T * 3, nh, hs])); // (B, nh, 3T, hs)
    const q = heads, k = heads, v = heads; // one shared tensor as q, k and v: many uses of one node
    const a = attention(q, k, v, { causal: true });
    const y = reshape(transpose12(a), [B, T, 3 * C]); // (B, T, 3C)
    const pooled = mean(reshape(y, [B, T, 3, C]), 2); // (B, T, C)
    const m = gelu(linear(add(x, dropSeed ? dropout(pooled, 0.1, dropSeed) : pooled), params.w1, params.b1));
    return linear(m, params.w2); // (B, T, V)
  };
  return { params, list: Object.values(params), forward };
}

function batch(seed: number, B: number, T: number, V = 11) {
  const rng = new Rng(seed);
  return { ids: new Int32Array(B * T).map(() => rng.int(V)), targets: new Int32Array(B * T).map(() => rng.int(V)) };
}

test('gradients accumulate: two half micro-batches (loss / 2 each) equal one full batch', () => {
  const B = 4, T = 5;
  const { ids, targets } = batch(1, B, T);
  const full = makeModel(7), micro = makeModel(7);
  crossEntropy(full.forward(ids, B, T), targets).backward();
  for (let i = 0; i < 2; i++) {
    const part = (a: Int32Array) => a.subarray(i * 2 * T, (i + 1) * 2 * T);
    scale(crossEntropy(micro.forward(part(ids), 2, T), part(targets)), 0.5).backward();
  }
  full.list.forEach((p, k) => assertClose(micro.list[k]!.grad!, p.grad!, 1e-6, 1e-4, `param ${k}`));
  // zeroGrad resets the accumulation
  for (const p of micro.list) p.zeroGrad();
  assert.ok(micro.list.every((p) => p.grad!.every((g) => g === 0)));
});

test('a second backward without zeroGrad doubles leaf gradients', () => {
  const rng = new Rng(2);
  const w = Tensor.randn([3, 4], rng, 1, { requiresGrad: true });
  const x = Tensor.randn([2, 4], rng);
  sum(linear(x, w)).backward();
  const once = Float32Array.from(w.grad!);
  sum(linear(x, w)).backward();
  assertClose(w.grad!, once.map((g) => 2 * g), 1e-6, 0, 'accumulated');
});

test('noGrad records nothing, restores the mode even on throw, and its outputs cannot backward', () => {
  const w = Tensor.randn([4, 4], new Rng(3), 1, { requiresGrad: true });
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return softmax(matmul(w, w));
  });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.node, null);
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.backward(), (e: unknown) => e instanceof LlmtsError && e.code === 'E_NO_GRAD');
  assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.equal(isGradEnabled(), true);
  // with grad on, the same expression is recorded
  const z = softmax(matmul(w, w));
  assert.equal(z.node?.op, 'softmax');
  assert.equal(z.requiresGrad, true);
});

test('backward releases intermediates; the loss keeps its value; retain() keeps value and gradient', () => {
  const rng = new Rng(4);
  const w = Tensor.randn([8, 8], rng, 1, { requiresGrad: true });
  const x = Tensor.randn([8, 8], rng);
  const h = matmul(x, w);
  const kept = scale(h, 2).retain();
  const loss = mean(mul(kept, kept));
  const value = loss.item();
  loss.backward();
  assert.equal(loss.item(), value);
  assert.ok(h.isReleased);
  assert.throws(() => h.data, (e: unknown) => e instanceof LlmtsError && e.code === 'E_RELEASED');
  assert.ok(!kept.isReleased);
  // d mean(k^2) / dk = 2k / n
  assertClose(kept.grad!, Array.from(kept.data, (k) => (2 * k) / 64), 1e-6, 1e-5, 'retained grad');
  // leaves (parameters and inputs) are never released
  assert.ok(!w.isReleased && !x.isReleased && w.grad !== null);
  assert.throws(() => loss.backward(), (e: unknown) => e instanceof LlmtsError && e.code === 'E_NO_GRAD');
});

test('retainGraph allows a second backward through the same graph', () => {
  const w = Tensor.fromArray([1, 2, 3], [3], { requiresGrad: true });
  const loss = sum(mul(w, w));
  loss.backward({ retainGraph: true });
  loss.backward();
  assert.deepEqual(Array.from(w.grad!), [4, 8, 12]);
});

test('reshape is a view sharing storage and gradient; detach shares storage without a graph', () => {
  const w = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true });
  const v = reshape(w, [3, 2]);
  assert.equal(v.data, w.data);
  sum(mul(v, Tensor.fromArray([1, 2, 3, 4, 5, 6], [3, 2]))).backward();
  assert.deepEqual(Array.from(w.grad!), [1, 2, 3, 4, 5, 6]);
  const d = w.detach();
  assert.equal(d.data, w.data);
  assert.equal(d.requiresGrad, false);
  assert.equal(d.node, null);
});

test('a view of a released tensor throws instead of reading recycled memory', () => {
  const w = Tensor.randn([4, 16], new Rng(5), 1, { requiresGrad: true });
  const h = gelu(w);
  const d = h.detach();
  sum(h).backward();
  assert.throws(() => d.data, (e: unknown) => e instanceof LlmtsError && e.code === 'E_RELEASED');
});

for (const [name, be, reason] of backends) {
  test(`buffer pool (${name}): a steady-state training step allocates no new buffers`, { skip: be ? false : reason }, () => onBackend(be!, () => {
    const B = 3, T = 8;
    const model = makeModel(11, 11, 32);
    const { ids, targets } = batch(2, B, T);
    const step = (i: number) => {
      for (const p of model.list) p.zeroGrad();
      const loss = crossEntropy(model.forward(ids, B, T, 100 + i), targets);
      loss.backward();
      for (const p of model.list) for (let j = 0; j < p.size; j++) p.data[j]! -= 0.1 * p.grad![j]!;
      return loss.item();
    };
    clearPool(); // a cold pool: the first step must allocate
    resetPoolStats();
    step(0);
    const first = poolStats();
    assert.ok(first.allocated > 10, `first step allocates (${first.allocated})`);
    step(1);
    resetPoolStats();
    const losses = [2, 3, 4, 5].map(step);
    const steady = poolStats();
    assert.equal(steady.allocated, 0, `steady-state steps allocated ${steady.allocated} new buffers`);
    assert.ok(steady.reused >= 4 * 10, `buffers are reused (${steady.reused})`);
    assert.equal(steady.released, steady.reused, 'every buffer taken in a step goes back');
    assert.ok(losses[3]! < losses[0]!, `loss falls: ${losses.join(', ')}`);
  }));
}

test('backward frees activations as it goes: a lower peak working set than releasing at the end', () => {
  const B = 4, T = 8;
  const model = makeModel(13, 11, 32);
  const { ids, targets } = batch(5, B, T);
  const measure = (early: boolean, warm = true) => {
    for (const p of model.list) p.zeroGrad();
    resetPoolStats();
    const loss = crossEntropy(model.forward(ids, B, T), targets);
    if (early) loss.backward();
    else {
      loss.backward({ retainGraph: true });
      loss.releaseGraph();
    }
    const s = poolStats();
    if (warm) assert.equal(s.allocated, 0, 'warm pool');
    return { peak: s.peakLiveBytes, grad: Float32Array.from(model.params.wqkv.grad!) };
  };
  measure(false, false); // warm up the pool (and allocate the parameter gradients)
  measure(false, false);
  const late = measure(false), early = measure(true);
  assert.ok(early.peak < late.peak, `peak live bytes: ${early.peak} (released during backward) vs ${late.peak} (at the end)`);
  assert.deepEqual(early.grad, late.grad, 'same gradients either way');
});

test('backward gives a value back once its last reader ran when its own backward does not read it (linear -> GELU -> linear)', () => {
  const rows = 16, C = 8, H = 4 * C, big = rows * H * 4;
  const rng = new Rng(21);
  const x = Tensor.randn([rows, C], rng, 1, { requiresGrad: true });
  const w1 = Tensor.randn([H, C], rng, 0.3, { requiresGrad: true }), w2 = Tensor.randn([C, H], rng, 0.3, { requiresGrad: true });
  const run = (retainHidden: boolean) => {
    for (const p of [x, w1, w2]) p.zeroGrad();
    const fc = linear(x, w1); // (rows, H)
    const h = gelu(fc); // (rows, H)
    if (retainHidden) h.retain();
    const loss = mean(linear(h, w2));
    resetPoolStats();
    const base = poolStats().liveBytes;
    loss.backward();
    const peak = poolStats().peakLiveBytes - base;
    if (retainHidden) {
      assert.ok(!h.isReleased && Number.isFinite(h.data[0]), 'a retained value survives backward');
      h.dispose();
    }
    return { peak, grads: [x, w1, w2].map((p) => Float32Array.from(p.grad!)) };
  };
  run(false);
  const early = run(false), kept = run(true);
  // GELU's backward allocates dfc while dh is live; the GELU output went back just before
  // (after the second linear's backward), so the working set grows by one (rows, 4C) buffer, not two
  assert.ok(early.peak <= 1.5 * big, `peak ${early.peak} bytes above the forward's live set: one (rows, 4C) buffer of ${big}`);
  assert.ok(kept.peak > 1.5 * big, `a retained GELU output keeps its buffer: ${kept.peak} vs ${early.peak}`);
  assert.deepEqual(early.grads, kept.grads, 'same gradients either way');
});

test('backward gives back at once a value that no backward reads (a projection feeding a residual add)', () => {
  const rows = 16, C = 32, big = rows * C * 4;
  const rng = new Rng(22);
  const x = Tensor.randn([rows, C], rng, 1, { requiresGrad: true }), w = Tensor.randn([C, C], rng, 0.3, { requiresGrad: true });
  const run = (retainProj: boolean) => {
    for (const p of [x, w]) p.zeroGrad();
    const proj = linear(x, w); // (rows, C): read by nobody's backward (add reads only dout)
    if (retainProj) proj.retain();
    const loss = mean(add(x, proj));
    resetPoolStats();
    const base = poolStats().liveBytes;
    loss.backward();
    const peak = poolStats().peakLiveBytes - base;
    if (retainProj) proj.dispose();
    return { peak, grads: [x, w].map((p) => Float32Array.from(p.grad!)) };
  };
  run(false);
  const early = run(false), kept = run(true);
  assert.ok(kept.peak - early.peak >= big, `the projection's buffer serves the gradients: peak ${early.peak} vs ${kept.peak} with it retained`);
  assert.deepEqual(early.grads, kept.grads, 'same gradients either way');
});

test('tidy gives temporaries back: a no-grad loop reaches zero new allocations', () => {
  const model = makeModel(12, 11, 32);
  const { ids } = batch(3, 2, 6);
  const run = () => tidy(() => noGrad(() => softmax(model.forward(ids, 2, 6))));
  const first = run();
  first.dispose();
  resetPoolStats();
  let last: Tensor | null = null;
  for (let i = 0; i < 3; i++) {
    last?.dispose();
    last = run();
  }
  assert.equal(poolStats().allocated, 0);
  assert.ok(!last!.isReleased && Math.abs(sum(last!, -1).data[0]! - 1) < 1e-5, 'the returned tensor survives tidy');
  let inner: Tensor | null = null;
  tidy(() => {
    inner = gelu(Tensor.ones([100]));
  });
  assert.ok(inner!.isReleased, 'a tensor created inside tidy and not returned is released');
});

for (const [name, be, reason] of backends) {
  test(`training is deterministic (${name}): same seed, same data -> bitwise identical losses and weights`, { skip: be ? false : reason }, () => onBackend(be!, () => {
    const run = () => {
      const model = makeModel(21);
      const { ids, targets } = batch(4, 2, 6);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        for (const p of model.list) p.zeroGrad();
        const loss = crossEntropy(model.forward(ids, 2, 6, 7 + s), targets);
        loss.backward();
        for (const p of model.list) for (let j = 0; j < p.size; j++) p.data[j]! -= 0.05 * p.grad![j]!;
        losses.push(loss.item());
      }
      return { losses, w: Float32Array.from(model.params.w2.data) };
    };
    const a = run(), b = run();
    assert.deepEqual(a.losses, b.losses);
    assert.deepEqual(a.w, b.w);
    const d1 = dropout(Tensor.ones([200]), 0.5, 9).toArray(), d2 = dropout(Tensor.ones([200]), 0.5, 9).toArray();
    assert.deepEqual(d1, d2);
    assert.notDeepEqual(d1, dropout(Tensor.ones([200]), 0.5, 10).toArray());
    assert.equal(dropout(Tensor.ones([5]), 0.5, 9, false).toArray().join(), '1,1,1,1,1', 'identity in eval');
  }));
}

test('user mistakes raise LlmtsError with a code, the place and a fix', () => {
  const code = (c: string) => (e: unknown) => e instanceof LlmtsError && e.code === c && /fix:|at /.test(e.message);
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5]);
  assert.throws(() => matmul(a, b), code('E_SHAPE'));
  assert.throws(() => linear(a, Tensor.zeros([4, 2])), code('E_SHAPE'));
  assert.throws(() => add(a, Tensor.zeros([2])), code('E_SHAPE'));
  assert.throws(() => reshape(a, [4, -1]), code('E_SHAPE'));
  assert.throws(() => embedding(Tensor.zeros([5, 2]), new Int32Array([5])), code('E_RANGE'));
  assert.throws(() => crossEntropy(Tensor.zeros([2, 3]), new Int32Array([0, 3])), code('E_RANGE'));
  assert.throws(() => crossEntropy(Tensor.zeros([2, 3]), new Int32Array([0])), code('E_SHAPE'));
  assert.throws(() => Tensor.fromArray([1, 2, 3], [2, 2]), code('E_SHAPE'));
  assert.throws(() => Tensor.zeros([2, 2]).item(), code('E_SHAPE'));
  assert.throws(() => attention(Tensor.zeros([1, 3, 2, 2]), Tensor.zeros([1, 2, 2, 2]), Tensor.zeros([1, 2, 2, 2])), code('E_SHAPE'));
  const q = Tensor.zeros([1, 1, 1, 2], { requiresGrad: true });
  assert.throws(() => attention(q, Tensor.zeros([1, 1, 4, 2]), Tensor.zeros([1, 1, 4, 2]), { kvLen: 2 }), code('E_UNSUPPORTED'));
  const fake = Object.create(referenceBackend(), { name: { value: 'native' } }) as Backend;
  setBackend(fake);
  try {
    assert.throws(() => withFloat64(() => 0), code('E_BACKEND'));
  } finally {
    setBackend(referenceBackend());
  }
});

test('narrow, split and concat move the right values', () => {
  const x = Tensor.fromArray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 3, 2]);
  assert.deepEqual(narrow(x, 1, 2, 1).toArray(), [4, 5, 10, 11]);
  assert.deepEqual(narrow(x, 1, 2, 1).shape, [2, 1, 2]);
  const [a, b] = split(x, [1, 1]);
  assert.deepEqual(a!.toArray(), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(concat([b!, a!]).toArray(), [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]);
  assert.deepEqual(concat([narrow(x, 0, 1, 1), narrow(x, 0, 0, 1)], 0).toArray(), [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]);
  assert.throws(() => narrow(x, 1, 2, 2), (e: unknown) => e instanceof LlmtsError && e.code === 'E_SHAPE');
});

test('attention over a KV cache (noGrad) equals full attention row by row', () => {
  const rng = new Rng(31);
  const B = 1, nh = 2, T = 5, hs = 4, cap = 8;
  const q = Tensor.randn([B, nh, T, hs], rng), k = Tensor.randn([B, nh, T, hs], rng), v = Tensor.randn([B, nh, T, hs], rng);
  const full = noGrad(() => attention(q, k, v));
  const kc = Tensor.zeros([B, nh, cap, hs]), vc = Tensor.zeros([B, nh, cap, hs]);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nh; h++) {
      kc.data.set(k.data.subarray((h * T + t) * hs, (h * T + t + 1) * hs), (h * cap + t) * hs);
      vc.data.set(v.data.subarray((h * T + t) * hs, (h * T + t + 1) * hs), (h * cap + t) * hs);
    }
    const qt = Tensor.empty([B, nh, 1, hs]);
    for (let h = 0; h < nh; h++) qt.data.set(q.data.subarray((h * T + t) * hs, (h * T + t + 1) * hs), h * hs);
    const o = noGrad(() => attention(qt, kc, vc, { posOffset: t, kvLen: t + 1 }));
    for (let h = 0; h < nh; h++) {
      assertClose(o.data.subarray(h * hs, (h + 1) * hs), full.data.subarray((h * T + t) * hs, (h * T + t + 1) * hs), 1e-6, 1e-5, `step ${t} head ${h}`);
    }
  }
});

test('attentionQkv equals split + transpose12 + attention + transpose12, values and gradients (native and reference)', () => {
  const list: Backend[] = [referenceBackend()];
  const nat = nativeBackend().backend;
  if (nat) list.push(nat);
  for (const be of list) {
    setBackend(be);
    try {
      const rng = new Rng(41);
      const B = 2, T = 19, nh = 3, hs = 8, C = nh * hs;
      const x = Tensor.randn([B, T, 3 * C], rng, 1, { requiresGrad: true });
      const x2 = new Tensor(x.data.slice(), x.shape, { requiresGrad: true });
      const R = Tensor.randn([B, T, C], rng, 1, { requiresGrad: false });
      sum(mul(attentionQkv(x, nh), R)).backward();
      const [q, k, v] = split(x2, [C, C, C]);
      const heads = (t: Tensor) => transpose12(reshape(t, [B, T, nh, hs])); // (B, nh, T, hs)
      const y = reshape(transpose12(attention(heads(q!), heads(k!), heads(v!))), [B, T, C]); // (B, T, C)
      sum(mul(y, R)).backward();
      assertClose(x.grad!, x2.grad!, 1e-6, 1e-5, `${be.name} dqkv`);
      const y1 = noGrad(() => attentionQkv(x, nh, { causal: false }));
      const y2 = noGrad(() => {
        const [q2, k2, v2] = split(x, [C, C, C]);
        return reshape(transpose12(attention(heads(q2!), heads(k2!), heads(v2!), { causal: false })), [B, T, C]);
      });
      assertClose(y1.data, y2.data, 1e-6, 1e-5, `${be.name} bidirectional values`);
    } finally {
      setBackend(referenceBackend());
    }
  }
});

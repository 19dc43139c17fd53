import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend, referenceBackend, setBackend, type Backend } from '../../src/backend/index.ts';
import { AdamW, SGD, clipGradNorm, decayGroups, lrAt, type OptimParam } from '../../src/optim/index.ts';

/** Every backend that loads here: the reference always, the native one when the addon is built. */
function backends(): Backend[] {
  const list = [referenceBackend()];
  const n = nativeBackend().backend;
  if (n) list.push(n);
  return list;
}

function param(values: number[], grad: number[] | null, shape?: number[]): OptimParam {
  return { data: Float32Array.from(values), grad: grad ? Float32Array.from(grad) : null, shape };
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)),
      `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

for (const be of backends()) {
  test(`[${be.name}] AdamW first step: update = lr * (sign(g) + wd * p)`, () => {
    setBackend(be);
    // After one step mhat = g and vhat = g^2, so the Adam direction is g/|g| (eps is tiny).
    const p = param([1, -2, 3], [0.5, 0.1, -4]);
    const opt = new AdamW([p], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 });
    opt.step();
    close(p.data, [1 - 0.1 * (1 + 0.1 * 1), -2 - 0.1 * (1 + 0.1 * -2), 3 - 0.1 * (-1 + 0.1 * 3)]);
  });

  test(`[${be.name}] AdamW two steps match a float64 hand computation`, () => {
    setBackend(be);
    const p = param([0.5, -1.5], [0.2, -0.3]);
    const lr = 0.01, b1 = 0.8, b2 = 0.9, eps = 1e-3, wd = 0.05;
    const opt = new AdamW([p], { lr, betas: [b1, b2], eps, weightDecay: wd });
    const grads = [[0.2, -0.3], [-0.1, 0.4]];
    const ref = [0.5, -1.5], m = [0, 0], v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      p.grad = Float32Array.from(grads[t - 1]!);
      opt.step();
      for (let i = 0; i < 2; i++) {
        const g = grads[t - 1]![i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const mh = m[i]! / (1 - b1 ** t), vh = v[i]! / (1 - b2 ** t);
        ref[i] = ref[i]! - lr * (mh / (Math.sqrt(vh) + eps) + wd * ref[i]!);
      }
      close(p.data, ref, 1e-5);
    }
    assert.equal(opt.stepCount, 2);
  });

  test(`[${be.name}] AdamW groups: per-group lr and weight decay; params without grad are skipped`, () => {
    setBackend(be);
    const a = param([2], [1]), b = param([2], [1]), c = param([2], null);
    const opt = new AdamW([{ params: [a] }, { params: [b, c], lr: 0.5, weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
    opt.step();
    close(a.data, [2 - 0.1 * (1 + 0.5 * 2)]);
    close(b.data, [2 - 0.5 * 1]);
    close(c.data, [2]);
    // setLr keeps each group's ratio to the base lr (0.5 / 0.1 = 5x).
    opt.setLr(0.01);
    assert.equal(opt.groups[0]!.lr, 0.01);
    assert.ok(Math.abs(opt.groups[1]!.lr - 0.05) < 1e-12);
  });

  test(`[${be.name}] AdamW stateDict round trip resumes identically`, () => {
    setBackend(be);
    const mk = () => param([0.3, -0.7, 1.1], [0.2, -0.5, 0.05]);
    const p1 = mk(), p2 = mk();
    const o1 = new AdamW([p1], { lr: 0.01 });
    o1.step();
    o1.step();
    const o2 = new AdamW([p2], { lr: 0.01 });
    p2.data.set(p1.data);
    o2.loadStateDict(o1.stateDict());
    o1.step();
    o2.step();
    assert.deepEqual(Array.from(p2.data), Array.from(p1.data));
    assert.throws(() => o2.loadStateDict({ step: 1, m: [], v: [] }), /AdamW state has 0 moments for 1 parameters/);
  });

  test(`[${be.name}] SGD momentum and Nesterov match hand computation`, () => {
    setBackend(be);
    // momentum 0.9, lr 0.1, wd 0: step 1 buf = g; step 2 buf = 0.9 g1 + g2.
    const p = param([1], [1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step();
    close(p.data, [1 - 0.1]);
    p.grad = Float32Array.from([2]);
    opt.step();
    close(p.data, [0.9 - 0.1 * (0.9 * 1 + 2)]);

    // Nesterov with weight decay: g' = g + wd p; buf = mu buf + g'; p -= lr (g' + mu buf).
    const q = param([2], [1]);
    const nes = new SGD([q], { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.1 });
    nes.step();
    const g1 = 1 + 0.1 * 2, buf1 = g1;
    const q1 = 2 - 0.1 * (g1 + 0.5 * buf1);
    close(q.data, [q1]);
    nes.step();
    const g2 = 1 + 0.1 * q1, buf2 = 0.5 * buf1 + g2;
    close(q.data, [q1 - 0.1 * (g2 + 0.5 * buf2)]);
    assert.throws(() => new SGD([q], { lr: 0.1, nesterov: true }), /nesterov needs momentum/);

    // state round trip: a fresh optimizer loaded from nes continues identically
    const q2 = param([q.data[0]!], [1]);
    const resumed = new SGD([q2], { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.1 });
    resumed.loadStateDict(nes.stateDict());
    nes.step();
    resumed.step();
    assert.deepEqual(Array.from(q2.data), Array.from(q.data));
    assert.equal(resumed.stepCount, 3);
    assert.throws(() => resumed.loadStateDict({ step: 0, buf: [] }), /SGD state has 0 buffers/);
  });

  test(`[${be.name}] clipGradNorm scales to maxNorm and returns the norm before`, () => {
    setBackend(be);
    const a = param([0, 0], [3, 0]), b = param([0], [4]);
    const norm = clipGradNorm([a, b], 1);
    assert.ok(Math.abs(norm - 5) < 1e-6);
    close(a.grad!, [0.6, 0], 1e-5);
    close(b.grad!, [0.8], 1e-5);
    // Below the threshold nothing changes.
    const c = param([0], [0.5]);
    assert.ok(Math.abs(clipGradNorm([c], 1) - 0.5) < 1e-7);
    close(c.grad!, [0.5]);
  });
}

test('lrAt: warmup, cosine, linear, constant, floor', () => {
  const base = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 100, totalSteps: 2000 };
  const cos = { ...base, decay: 'cosine' as const };
  close([lrAt(cos, 0)], [1e-5], 1e-9);
  close([lrAt(cos, 99)], [1e-3], 1e-9);
  close([lrAt(cos, 100)], [1e-3], 1e-9);
  close([lrAt(cos, 1050)], [1e-4 + 0.5 * 9e-4], 1e-9);
  close([lrAt(cos, 2000)], [1e-4], 1e-9);
  close([lrAt(cos, 9999)], [1e-4], 1e-9);
  const lin = { ...base, decay: 'linear' as const };
  close([lrAt(lin, 100 + 1900 / 4)], [1e-4 + 0.75 * 9e-4], 1e-9);
  const cst = { ...base, decay: 'constant' as const };
  close([lrAt(cst, 50)], [5.1e-4], 1e-9);
  close([lrAt(cst, 5000)], [1e-3], 1e-9);
  assert.throws(() => lrAt({ ...cos, warmupSteps: 3000 }, 0), /bad schedule/);
});

test('decayGroups: matrices decay, vectors do not; embeddings optionally exempt', () => {
  const named: [string, OptimParam][] = [
    ['transformer.wte.weight', param([0, 0], null, [1, 2])],
    ['transformer.h.0.attn.c_attn.weight', param([0, 0], null, [2, 1])],
    ['transformer.h.0.attn.c_attn.bias', param([0], null, [1])],
    ['transformer.ln_f.weight', param([0], null, [1])],
  ];
  const g = decayGroups(named, { weightDecay: 0.1 });
  assert.equal(g.length, 2);
  assert.equal(g[0]!.weightDecay, 0.1);
  assert.equal(g[0]!.params.length, 2);
  assert.equal(g[1]!.weightDecay, 0);
  assert.equal(g[1]!.params.length, 2);
  const g2 = decayGroups(named, { weightDecay: 0.1, decayEmbeddings: false });
  assert.deepEqual(g2.map((x) => x.params.length), [1, 3]);
  assert.equal(g2[0]!.params[0], named[1]![1]);
});

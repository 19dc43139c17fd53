// Tensor-level gradient checks: every op's autograd backward (and composite graphs of
// them) against central finite differences, run entirely in float64 (`withFloat64` on
// the reference backend). L = <op(inputs), R> for a fixed random R.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import {
  Tensor, add, attention, concat, crossEntropy, dropout, embedding, gelu, layerNorm, linear, matmul, mean, mul,
  narrow, noGrad, reshape, rmsNorm, rope, scale, silu, softmax, split, sub, sum, swiglu, tanh, transpose12, withFloat64,
} from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, randn64, sampleIndices } from './helpers.ts';

setBackend(referenceBackend());

/**
 * Checks d<f(inputs), R>/d(input) for every input that requires grad. `shapes` gives the
 * inputs (all require grad unless listed in `constants`).
 */
function gradcheck(name: string, rng: Rng, shapes: number[][], f: (xs: Tensor[]) => Tensor,
  opts: { constants?: number[]; probes?: number; std?: number } = {}): void {
  withFloat64(() => {
    const xs = shapes.map((s, i) => {
      const size = s.reduce((p, d) => p * d, 1);
      return Tensor.fromArray(randn64(rng, size, opts.std ?? 1), s, { requiresGrad: !(opts.constants ?? []).includes(i) });
    });
    const probe = noGrad(() => f(xs));
    const R = Tensor.fromArray(randn64(rng, probe.size), probe.shape);
    const loss = (): number => noGrad(() => {
      const y = f(xs).data, r = R.data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
      return s;
    });
    const L = sum(mul(f(xs), R));
    L.backward();
    assert.ok(L.data instanceof Float64Array, 'the check runs in float64');
    xs.forEach((x, k) => {
      if (!x.requiresGrad) return;
      assert.ok(x.grad, `${name}: input ${k} got no gradient`);
      const idx = sampleIndices(rng, x.size, opts.probes ?? 60);
      const num = numericGrad(loss, x.data, 1e-5, idx);
      const ana = new Float64Array(x.size).fill(NaN);
      for (const i of idx) ana[i] = x.grad[i]!;
      assertClose(ana, num, 1e-7, 1e-6, `${name}: d/d input ${k}`);
    });
  });
}

test('matmul gradients: every transpose combo, batched, and a shared 2-D operand on either side', () => {
  const rng = new Rng(21);
  const [M, N, K] = [3, 5, 4];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const a2 = transA ? [K, M] : [M, K], b2 = transB ? [N, K] : [K, N];
      const f = ([a, b]: Tensor[]) => matmul(a!, b!, { transA, transB });
      gradcheck(`matmul tA=${transA} tB=${transB} batched`, rng, [[2, 3, ...a2], [2, 3, ...b2]], f);
      gradcheck(`matmul tA=${transA} tB=${transB} b shared`, rng, [[2, ...a2], b2], f);
      gradcheck(`matmul tA=${transA} tB=${transB} a shared`, rng, [a2, [3, ...b2]], f);
    }
  }
});

test('linear gradients (with and without bias, 3-D input)', () => {
  const rng = new Rng(22);
  gradcheck('linear + bias', rng, [[2, 3, 5], [7, 5], [7]], ([x, w, b]) => linear(x!, w!, b!));
  gradcheck('linear', rng, [[4, 6], [3, 6]], ([x, w]) => linear(x!, w!));
});

test('elementwise gradients: add, sub, mul (same shape and row broadcast), scale, shared inputs', () => {
  const rng = new Rng(23);
  gradcheck('add', rng, [[3, 4], [3, 4]], ([a, b]) => add(a!, b!));
  gradcheck('add broadcast', rng, [[2, 3, 4], [4]], ([a, b]) => add(a!, b!));
  gradcheck('sub', rng, [[5], [5]], ([a, b]) => sub(a!, b!));
  gradcheck('sub broadcast', rng, [[2, 3, 4], [3, 4]], ([a, b]) => sub(a!, b!));
  gradcheck('mul', rng, [[3, 4], [3, 4]], ([a, b]) => mul(a!, b!));
  gradcheck('mul broadcast', rng, [[3, 5], [5]], ([a, b]) => mul(a!, b!));
  gradcheck('scale', rng, [[7]], ([a]) => scale(a!, -1.7));
  gradcheck('x * x + x (one tensor, three uses)', rng, [[6]], ([a]) => add(mul(a!, a!), a!));
});

test('reduction and layout gradients: sum, mean, reshape, transpose12, split, concat', () => {
  const rng = new Rng(24);
  gradcheck('sum all', rng, [[3, 4]], ([a]) => sum(a!));
  gradcheck('sum axis 1 keepDim', rng, [[2, 3, 4]], ([a]) => sum(a!, 1, { keepDim: true }));
  gradcheck('mean axis -1', rng, [[2, 3, 5]], ([a]) => mean(a!, -1));
  gradcheck('mean all', rng, [[5, 3]], ([a]) => mean(a!));
  gradcheck('reshape then mul', rng, [[2, 6], [3, 4]], ([a, b]) => mul(reshape(a!, [3, -1]), b!));
  gradcheck('transpose12', rng, [[2, 3, 4, 5]], ([a]) => transpose12(a!));
  gradcheck('split', rng, [[2, 3, 7]], ([a]) => {
    const [p, q, r] = split(a!, [2, 4, 1]);
    return concat([r!, scale(p!, 2), q!]);
  });
  gradcheck('concat', rng, [[3, 2], [3, 5]], ([a, b]) => concat([a!, b!]));
  gradcheck('concat axis 1', rng, [[2, 1, 3], [2, 4, 3]], ([a, b]) => concat([a!, b!], 1));
  gradcheck('narrow axis 1', rng, [[2, 5, 3]], ([a]) => narrow(a!, 1, 1, 3));
  gradcheck('narrow axis 0 (first row)', rng, [[4, 3]], ([a]) => narrow(a!, 0, 0, 1));
  gradcheck('split axis 0', rng, [[5, 2]], ([a]) => {
    const [p, q] = split(a!, [2, 3], 0);
    return concat([q!, mul(p!, p!)], 0);
  });
});

test('softmax, norm and activation gradients', () => {
  const rng = new Rng(25);
  gradcheck('softmax', rng, [[3, 7]], ([a]) => softmax(a!), { std: 2 });
  gradcheck('layerNorm', rng, [[2, 3, 9], [9], [9]], ([x, w, b]) => layerNorm(x!, w!, b!));
  gradcheck('layerNorm (x constant)', rng, [[4, 5], [5], [5]], ([x, w, b]) => layerNorm(x!, w!, b!), { constants: [0] });
  gradcheck('rmsNorm', rng, [[3, 11], [11]], ([x, w]) => rmsNorm(x!, w!, 1e-6));
  gradcheck('gelu', rng, [[5, 7]], ([a]) => gelu(a!), { std: 2 });
  gradcheck('silu', rng, [[5, 7]], ([a]) => silu(a!), { std: 2 });
  gradcheck('swiglu', rng, [[4, 6], [4, 6]], ([g, u]) => swiglu(g!, u!));
  gradcheck('tanh', rng, [[3, 5]], ([a]) => tanh(a!));
  gradcheck('swiglu (up constant)', rng, [[4, 6], [4, 6]], ([g, u]) => swiglu(g!, u!), { constants: [1] });
});

test('attention and rope gradients: causal, bidirectional with a key mask, GQA', () => {
  const rng = new Rng(26);
  gradcheck('attention causal', rng, [[2, 2, 5, 3], [2, 2, 5, 3], [2, 2, 5, 3]], ([q, k, v]) => attention(q!, k!, v!));
  const mask = new Float32Array([1, 1, 0, 1, 0, 1, 1, 1]);
  gradcheck('attention masked, bidirectional', rng, [[2, 3, 4, 2], [2, 3, 4, 2], [2, 3, 4, 2]],
    ([q, k, v]) => attention(q!, k!, v!, { causal: false, keyMask: mask }));
  gradcheck('attention GQA (4 query heads, 2 kv heads)', rng, [[1, 4, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]],
    ([q, k, v]) => attention(q!, k!, v!));
  gradcheck('attention, v constant', rng, [[1, 2, 3, 2], [1, 2, 3, 2], [1, 2, 3, 2]], ([q, k, v]) => attention(q!, k!, v!), { constants: [2] });
  gradcheck('rope halves', rng, [[2, 2, 3, 4]], ([x]) => rope(x!, { posOffset: 2 }));
  gradcheck('rope interleaved', rng, [[1, 3, 4, 6]], ([x]) => rope(x!, { interleaved: true, theta: 100 }));
});

test('embedding, crossEntropy (with ignored rows) and dropout gradients', () => {
  const rng = new Rng(27);
  const ids = new Int32Array([3, 1, 3, 0, 4, 3]);
  gradcheck('embedding', rng, [[5, 4]], ([t]) => embedding(t!, ids, [2, 3]));
  const targets = new Int32Array([2, -100, 0, 6, 6, -100]);
  gradcheck('crossEntropy', rng, [[2, 3, 7]], ([l]) => crossEntropy(l!, targets), { std: 2 });
  gradcheck('crossEntropy, ignoreIndex 6', rng, [[6, 7]], ([l]) => crossEntropy(l!, new Int32Array([2, 6, 0, 6, 1, 3]), { ignoreIndex: 6 }));
  gradcheck('dropout', rng, [[4, 9]], ([x]) => dropout(x!, 0.4, 99));
});

test('composite: a pre-norm Transformer block with RoPE, GQA attention, SwiGLU MLP and a LM loss', () => {
  const rng = new Rng(28);
  const B = 2, T = 4, C = 8, nh = 4, nkv = 2, hs = 2, V = 7, hidden = 6;
  const ids = new Int32Array([1, 5, 2, 0, 6, 6, 3, 1]);
  const targets = new Int32Array([5, 2, 0, -100, 6, 3, 1, 4]);
  const block = ([wte, n1, wq, wk, wv, wo, n2, wg, wu, wd, nf]: Tensor[]) => {
    const x = embedding(wte!, ids, [B, T]); // (B, T, C)
    const h = rmsNorm(x, n1!);
    const heads = (t: Tensor, n: number) => transpose12(reshape(t, [B, T, n, hs])); // (B, n, T, hs)
    const q = rope(heads(linear(h, wq!), nh)), k = rope(heads(linear(h, wk!), nkv)), v = heads(linear(h, wv!), nkv);
    const y = reshape(transpose12(attention(q, k, v)), [B, T, C]); // (B, T, C)
    const x2 = add(x, linear(y, wo!));
    const m = rmsNorm(x2, n2!);
    const x3 = add(x2, linear(swiglu(linear(m, wg!), linear(m, wu!)), wd!));
    const logits = linear(rmsNorm(x3, nf!), wte!); // tied weights, (B, T, V)
    return crossEntropy(logits, targets);
  };
  gradcheck('transformer block', rng, [[V, C], [C], [nh * hs, C], [nkv * hs, C], [nkv * hs, C], [C, C], [C], [hidden, C], [hidden, C], [C, hidden], [C]],
    block, { probes: 20 });
});

test('composite: GPT-2 style block with LayerNorm, fused qkv split, GELU MLP, dropout and mean loss', () => {
  const rng = new Rng(29);
  const B = 2, T = 3, C = 6, nh = 2, hs = 3;
  const block = ([x, g1, b1, wqkv, bqkv, wo, g2, b2, w1, w2]: Tensor[]) => {
    const h = layerNorm(x!, g1!, b1!);
    const [q, k, v] = split(linear(h, wqkv!, bqkv!), [C, C, C]).map((t) => transpose12(reshape(t, [B, T, nh, hs]))); // (B, nh, T, hs)
    const a = reshape(transpose12(attention(q!, k!, v!)), [B, T, C]);
    const x2 = add(x!, dropout(linear(a, wo!), 0.2, 5));
    const out = add(x2, linear(gelu(linear(layerNorm(x2, g2!, b2!), w1!)), w2!));
    return mean(mul(out, out), -1); // (B, T)
  };
  gradcheck('gpt2 block', rng, [[B, T, C], [C], [C], [3 * C, C], [3 * C], [C, C], [C], [C], [12, C], [C, 12]], block, { probes: 20 });
});

/**
 * The encoder-inference ops (src/tensor/encoder-inference.ts) against the unfused ops the
 * training path uses, on both backends: `packedAttention` equals `attentionQkv` with the
 * key mask at every packed row (padded rows after their sequence's keys, a sequence of
 * padding only, left padding), `biasGeluErf` equals geluErf(x + bias), `addLayerNorm`
 * equals layerNorm(residual + (x + bias)); all three refuse to run under a graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import {
  Tensor, add, addLayerNorm, attentionQkv, biasGeluErf, embedding, geluErf, layerNorm, noGrad, packedAttention,
} from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn32 } from './helpers.ts';

const native = nativeBackend().backend;
const backends: [string, Backend][] = [['reference', referenceBackend()], ...(native ? [['native', native] as [string, Backend]] : [])];

function onBackend(be: Backend, fn: () => void): void {
  const prev = backend();
  setBackend(be);
  try {
    noGrad(fn);
  } finally {
    setBackend(prev);
  }
}

for (const [name, be] of backends) {
  test(`packedAttention (${name}): attentionQkv with the key mask at every packed row; no key -> zero rows`, () => {
    onBackend(be, () => {
      const B = 4, T = 37, nh = 3, hs = 8, C = nh * hs;
      const rng = new Rng(5);
      // 0: right padding, 1: left padding, 2: padding only, 3: no padding
      const mask = new Float32Array(B * T);
      for (let t = 0; t < T; t++) {
        mask[t] = t < 20 ? 1 : 0;
        mask[T + t] = t >= 9 ? 1 : 0;
        mask[3 * T + t] = 1;
      }
      const qkv = new Tensor(randn32(rng, B * T * 3 * C), [B, T, 3 * C]);
      const want = attentionQkv(qkv, nh, { causal: false, keyMask: mask }).data; // (B, T, C)
      // pack: each sequence's real rows, then its padded rows (or none of them)
      for (const skip of [false, true]) {
        const order: number[] = [], rowStart = [0], nKeys: number[] = [];
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) if (mask[b * T + t]) order.push(b * T + t);
          nKeys.push(order.length - rowStart[b]!);
          if (!skip) for (let t = 0; t < T; t++) if (!mask[b * T + t]) order.push(b * T + t);
          rowStart.push(order.length);
        }
        const packed = embedding(new Tensor(qkv.data, [B * T, 3 * C]), Int32Array.from(order)); // (N, 3C)
        const got = packedAttention(packed, nh, { rowStart: Int32Array.from(rowStart), nKeys: Int32Array.from(nKeys) }).data; // (N, C)
        const expected = new Float32Array(got.length);
        order.forEach((pos, r) => expected.set(want.subarray(pos * C, (pos + 1) * C), r * C));
        assertClose(got, expected, 2e-6, 1e-5, `skip ${skip}`);
        // the padding-only sequence (2) gives zeros, as attentionQkv's rows that see no key
        for (let r = rowStart[2]!; r < rowStart[3]!; r++) for (let c = 0; c < C; c++) assert.equal(got[r * C + c], 0);
        assert.equal(rowStart[3]! - rowStart[2]!, skip ? 0 : T);
      }
    });
  });

  test(`biasGeluErf and addLayerNorm (${name}): the unfused ops' values`, () => {
    onBackend(be, () => {
      const rng = new Rng(9);
      const rows = 7, F = 40, C = 24;
      const x = new Tensor(randn32(rng, rows * F, 2), [rows, F]), fb = new Tensor(randn32(rng, F), [F]);
      assertClose(biasGeluErf(x, fb).data, geluErf(add(x, fb)).data, 1e-7, 1e-6, 'biasGeluErf');
      const y = new Tensor(randn32(rng, rows * C), [rows, C]), res = new Tensor(randn32(rng, rows * C, 3), [rows, C]);
      const yb = new Tensor(randn32(rng, C), [C]), w = new Tensor(randn32(rng, C), [C]), lb = new Tensor(randn32(rng, C), [C]);
      assertClose(addLayerNorm(y, yb, res, w, lb, 1e-12).data, layerNorm(add(res, add(y, yb)), w, lb, 1e-12).data, 1e-6, 1e-5, 'with bias');
      assertClose(addLayerNorm(y, null, res, w, lb, 1e-5).data, layerNorm(add(res, y), w, lb, 1e-5).data, 1e-6, 1e-5, 'without bias');
    });
  });
}

test('the inference ops throw E_UNSUPPORTED under a graph and E_SHAPE on bad shapes', () => {
  const w = Tensor.ones([4], { requiresGrad: true }), x = Tensor.ones([2, 4]);
  const code = (fn: () => unknown, want: string): void => {
    assert.throws(fn, (e: unknown) => e instanceof LlmtsError && e.code === want);
  };
  code(() => biasGeluErf(x, w), 'E_UNSUPPORTED');
  code(() => addLayerNorm(x, null, x, w, Tensor.zeros([4]), 1e-5), 'E_UNSUPPORTED');
  code(() => packedAttention(new Tensor(new Float32Array(12), [2, 6], { requiresGrad: true }), 1, { rowStart: Int32Array.of(0, 2), nKeys: Int32Array.of(2) }), 'E_UNSUPPORTED');
  noGrad(() => {
    code(() => biasGeluErf(x, Tensor.ones([3])), 'E_SHAPE');
    code(() => addLayerNorm(x, null, Tensor.ones([2, 3]), Tensor.ones([4]), Tensor.zeros([4]), 1e-5), 'E_SHAPE');
    code(() => packedAttention(Tensor.ones([3, 6]), 1, { rowStart: Int32Array.of(0, 2), nKeys: Int32Array.of(2) }), 'E_SHAPE'); // rows end at 2, not 3
    code(() => packedAttention(Tensor.ones([3, 7]), 1, { rowStart: Int32Array.of(0, 3), nKeys: Int32Array.of(3) }), 'E_SHAPE'); // 7 is not 3 * hs
  });
});

test('packedAttention (native): a layout the kernel cannot take is an E_NATIVE_ARG error, not a crash', { skip: !native }, () => {
  const qkv = new Float32Array(4 * 6), out = new Float32Array(4 * 2);
  const code = (rowStart: number[], nKeys: number[]): void => {
    assert.throws(() => native!.packedAttention(nKeys.length, 1, 2, 1, Int32Array.from(rowStart), Int32Array.from(nKeys), qkv, out),
      (e: unknown) => e instanceof LlmtsError && e.code === 'E_NATIVE_ARG');
  };
  code([1, 4], [1]); // does not start at 0
  code([0, 3, 2], [1, 0]); // falls
  code([0, 2, 4], [3, 1]); // more keys than rows
  code([0, 2, 4], [-1, 1]);
  assert.throws(() => native!.packedAttention(1, 1, 2, 1, Int32Array.of(0, 5), Int32Array.of(5), qkv, out),
    (e: unknown) => e instanceof LlmtsError && e.code === 'E_NATIVE_SIZE');
});

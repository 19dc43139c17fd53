// The op cases every Tensor-level check runs: each builds random inputs of the given
// shapes and applies an op (or a composite graph). ops-grad.test.ts checks their gradients
// against float64 finite differences; backends.test.ts compares the native and reference
// backends on them.
import { Rng } from '../../src/util/rng.ts';
import {
  Tensor, add, attention, attentionQkv, concat, crossEntropy, dropout, embedding, gelu, geluErf, geluLinear, layerNorm, linear, matmul, mean, mul,
  loraLinear, narrow, reshape, rmsNorm, rope, ropeTable, scale, selfAttention, silu, softmax, split, sub, sum, swiglu, tanh, transpose12,
  gatherRows, scatterAddRows, sigmoid,
} from '../../src/tensor/index.ts';

/** Options of one case. */
export interface CaseOptions {
  /** Indices of inputs that do not require grad. */
  constants?: number[];
  /** Finite-difference probes per input (default 60). */
  probes?: number;
  /** Std of the random inputs (default 1). */
  std?: number;
}

/** Registers one case: a name, input shapes, and the op applied to the inputs. */
export type Check = (name: string, shapes: number[][], f: (xs: Tensor[]) => Tensor, opts?: CaseOptions) => void;

/** A group of cases sharing a seed. */
export interface CaseGroup {
  title: string;
  seed: number;
  run: (check: Check) => void;
}

export const caseGroups: CaseGroup[] = [
  {
    title: 'matmul gradients: every transpose combo, batched, and a shared 2-D operand on either side',
    seed: 21,
    run: (check) => {
      const [M, N, K] = [3, 5, 4];
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a2 = transA ? [K, M] : [M, K], b2 = transB ? [N, K] : [K, N];
          const f = ([a, b]: Tensor[]) => matmul(a!, b!, { transA, transB });
          check(`matmul tA=${transA} tB=${transB} batched`, [[2, 3, ...a2], [2, 3, ...b2]], f);
          check(`matmul tA=${transA} tB=${transB} b shared`, [[2, ...a2], b2], f);
          check(`matmul tA=${transA} tB=${transB} a shared`, [a2, [3, ...b2]], f);
        }
      }
    },
  },

  {
    title: 'linear gradients (with and without bias, 3-D input)',
    seed: 22,
    run: (check) => {
      check('linear + bias', [[2, 3, 5], [7, 5], [7]], ([x, w, b]) => linear(x!, w!, b!));
      check('linear', [[4, 6], [3, 6]], ([x, w]) => linear(x!, w!));
      check('loraLinear (x, A, B; weight and bias frozen)', [[2, 3, 5], [7, 5], [7], [2, 5], [7, 2]],
        ([x, w, b, a, bw]) => loraLinear(x!, w!, b!, a!, bw!, 1.5), { constants: [1, 2] });
      check('loraLinear, every input trained, no bias', [[4, 6], [3, 6], [4, 6], [3, 4]], ([x, w, a, bw]) => loraLinear(x!, w!, null, a!, bw!, 0.5));
      check('linear over 0 rows (zero gradients)', [[0, 4], [3, 4], [3]], ([x, w, b]) => linear(x!, w!, b!));
      check('matmul with an empty batch (zero gradients)', [[0, 3, 4], [4, 5]], ([a, b]) => matmul(a!, b!));
    },
  },

  {
    title: 'elementwise gradients: add, sub, mul (same shape and row broadcast), scale, shared inputs',
    seed: 23,
    run: (check) => {
      check('add', [[3, 4], [3, 4]], ([a, b]) => add(a!, b!));
      check('add broadcast', [[2, 3, 4], [4]], ([a, b]) => add(a!, b!));
      check('sub', [[5], [5]], ([a, b]) => sub(a!, b!));
      check('sub broadcast', [[2, 3, 4], [3, 4]], ([a, b]) => sub(a!, b!));
      check('mul', [[3, 4], [3, 4]], ([a, b]) => mul(a!, b!));
      check('mul broadcast', [[3, 5], [5]], ([a, b]) => mul(a!, b!));
      check('scale', [[7]], ([a]) => scale(a!, -1.7));
      check('x * x + x (one tensor, three uses)', [[6]], ([a]) => add(mul(a!, a!), a!));
    },
  },

  {
    title: 'reduction and layout gradients: sum, mean, reshape, transpose12, split, concat',
    seed: 24,
    run: (check) => {
      check('sum all', [[3, 4]], ([a]) => sum(a!));
      check('sum axis 1 keepDim', [[2, 3, 4]], ([a]) => sum(a!, 1, { keepDim: true }));
      check('mean axis -1', [[2, 3, 5]], ([a]) => mean(a!, -1));
      check('mean all', [[5, 3]], ([a]) => mean(a!));
      check('reshape then mul', [[2, 6], [3, 4]], ([a, b]) => mul(reshape(a!, [3, -1]), b!));
      check('transpose12', [[2, 3, 4, 5]], ([a]) => transpose12(a!));
      check('split', [[2, 3, 7]], ([a]) => {
        const [p, q, r] = split(a!, [2, 4, 1]);
        return concat([r!, scale(p!, 2), q!]);
      });
      check('concat', [[3, 2], [3, 5]], ([a, b]) => concat([a!, b!]));
      check('concat axis 1', [[2, 1, 3], [2, 4, 3]], ([a, b]) => concat([a!, b!], 1));
      check('narrow axis 1', [[2, 5, 3]], ([a]) => narrow(a!, 1, 1, 3));
      check('narrow axis 0 (first row)', [[4, 3]], ([a]) => narrow(a!, 0, 0, 1));
      check('split axis 0', [[5, 2]], ([a]) => {
        const [p, q] = split(a!, [2, 3], 0);
        return concat([q!, mul(p!, p!)], 0);
      });
    },
  },

  {
    title: 'softmax, norm and activation gradients',
    seed: 25,
    run: (check) => {
      check('softmax', [[3, 7]], ([a]) => softmax(a!), { std: 2 });
      check('layerNorm', [[2, 3, 9], [9], [9]], ([x, w, b]) => layerNorm(x!, w!, b!));
      check('layerNorm (x constant)', [[4, 5], [5], [5]], ([x, w, b]) => layerNorm(x!, w!, b!), { constants: [0] });
      check('rmsNorm', [[3, 11], [11]], ([x, w]) => rmsNorm(x!, w!, 1e-6));
      check('gelu', [[5, 7]], ([a]) => gelu(a!), { std: 2 });
      check('silu', [[5, 7]], ([a]) => silu(a!), { std: 2 });
      check('swiglu', [[4, 6], [4, 6]], ([g, u]) => swiglu(g!, u!));
      check('tanh', [[3, 5]], ([a]) => tanh(a!));
      check('geluErf (exact GELU), inputs across the erf table', [[4, 16]], ([a]) => geluErf(a!), { std: 3 });
      check('swiglu (up constant)', [[4, 6], [4, 6]], ([g, u]) => swiglu(g!, u!), { constants: [1] });
      check('geluLinear + bias (3-D)', [[2, 3, 8], [5, 8], [5]], ([h, w, b]) => geluLinear(h!, w!, b!), { std: 1.5 });
      check('geluLinear', [[4, 7], [3, 7]], ([h, w]) => geluLinear(h!, w!), { std: 1.5 });
      check('geluLinear (h constant)', [[4, 6], [3, 6], [3]], ([h, w, b]) => geluLinear(h!, w!, b!), { constants: [0] });
      check('geluLinear (weight constant)', [[4, 6], [3, 6]], ([h, w]) => geluLinear(h!, w!), { constants: [1] });
      check('geluLinear over 0 rows (zero gradients)', [[0, 4], [3, 4], [3]], ([h, w, b]) => geluLinear(h!, w!, b!));
    },
  },

  {
    title: 'attention and rope gradients: causal, bidirectional with a key mask, GQA',
    seed: 26,
    run: (check) => {
      check('attention causal', [[2, 2, 5, 3], [2, 2, 5, 3], [2, 2, 5, 3]], ([q, k, v]) => attention(q!, k!, v!));
      const mask = new Float32Array([1, 1, 0, 1, 0, 1, 1, 1]);
      check('attention masked, bidirectional', [[2, 3, 4, 2], [2, 3, 4, 2], [2, 3, 4, 2]],
        ([q, k, v]) => attention(q!, k!, v!, { causal: false, keyMask: mask }));
      check('attention GQA (4 query heads, 2 kv heads)', [[1, 4, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]],
        ([q, k, v]) => attention(q!, k!, v!));
      check('attention, v constant', [[1, 2, 3, 2], [1, 2, 3, 2], [1, 2, 3, 2]], ([q, k, v]) => attention(q!, k!, v!), { constants: [2] });
      check('attentionQkv causal', [[2, 4, 3 * 6]], ([x]) => attentionQkv(x!, 3));
      check('attentionQkv masked, bidirectional', [[2, 4, 3 * 4]], ([x]) => attentionQkv(x!, 2, { causal: false, keyMask: mask }));
      check('rope halves', [[2, 2, 3, 4]], ([x]) => rope(x!, { posOffset: 2 }));
      check('rope interleaved', [[1, 3, 4, 6]], ([x]) => rope(x!, { interleaved: true, theta: 100 }));
    },
  },

  {
    title: 'selfAttention gradients (probabilities recomputed in backward): causal, RoPE both layouts, GQA, key mask, a row that sees no key',
    seed: 33,
    run: (check) => {
      check('selfAttention causal', [[2, 5, 6], [2, 5, 6], [2, 5, 6]], ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 2 }));
      const halves = { cs: ropeTable(4, 4, { theta: 100, interleaved: false }), interleaved: false };
      check('selfAttention GQA + RoPE halves', [[1, 4, 16], [1, 4, 8], [1, 4, 8]],
        ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 4, nKvHead: 2, rope: halves }));
      const pairs = { cs: ropeTable(3, 6, { theta: 10000, interleaved: true, attnFactor: 1.2 }), interleaved: true };
      check('selfAttention RoPE interleaved, attention factor', [[2, 3, 12], [2, 3, 6], [2, 3, 6]],
        ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 2, nKvHead: 1, rope: pairs }));
      const mask = new Float32Array([1, 1, 0, 1, 0, 1, 1, 1]);
      check('selfAttention masked, bidirectional', [[2, 4, 6], [2, 4, 6], [2, 4, 6]],
        ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 3, causal: false, keyMask: mask }));
      // causal with key 0 hidden in batch 1: its row 0 sees no key (zero output, no gradient)
      check('selfAttention causal, row with no visible key', [[2, 4, 4], [2, 4, 4], [2, 4, 4]],
        ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 2, keyMask: new Float32Array([1, 1, 1, 1, 0, 1, 0, 1]) }));
      check('selfAttention, v constant', [[1, 3, 4], [1, 3, 4], [1, 3, 4]], ([q, k, v]) => selfAttention(q!, k!, v!, { nHead: 1 }), { constants: [2] });
    },
  },

  {
    title: 'embedding, crossEntropy (with ignored rows) and dropout gradients',
    seed: 27,
    run: (check) => {
      const ids = new Int32Array([3, 1, 3, 0, 4, 3]);
      check('embedding', [[5, 4]], ([t]) => embedding(t!, ids, [2, 3]));
      const targets = new Int32Array([2, -100, 0, 6, 6, -100]);
      check('crossEntropy', [[2, 3, 7]], ([l]) => crossEntropy(l!, targets), { std: 2 });
      check('crossEntropy, ignoreIndex 6', [[6, 7]], ([l]) => crossEntropy(l!, new Int32Array([2, 6, 0, 6, 1, 3]), { ignoreIndex: 6 }));
      check('dropout', [[4, 9]], ([x]) => dropout(x!, 0.4, 99));
    },
  },

  {
    title: 'composite: a pre-norm Transformer block with RoPE, GQA attention, SwiGLU MLP and a LM loss',
    seed: 28,
    run: (check) => {
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
      check('transformer block', [[V, C], [C], [nh * hs, C], [nkv * hs, C], [nkv * hs, C], [C, C], [C], [hidden, C], [hidden, C], [C, hidden], [C]],
        block, { probes: 20 });
    },
  },

  {
    title: 'composite: GPT-2 style block with LayerNorm, fused qkv split, GELU MLP, dropout and mean loss',
    seed: 29,
    run: (check) => {
      const B = 2, T = 3, C = 6, nh = 2, hs = 3;
      const block = ([x, g1, b1, wqkv, bqkv, wo, g2, b2, w1, w2]: Tensor[]) => {
        const h = layerNorm(x!, g1!, b1!);
        const [q, k, v] = split(linear(h, wqkv!, bqkv!), [C, C, C]).map((t) => transpose12(reshape(t, [B, T, nh, hs]))); // (B, nh, T, hs)
        const a = reshape(transpose12(attention(q!, k!, v!)), [B, T, C]);
        const x2 = add(x!, dropout(linear(a, wo!), 0.2, 5));
        const out = add(x2, linear(gelu(linear(layerNorm(x2, g2!, b2!), w1!)), w2!));
        return mean(mul(out, out), -1); // (B, T)
      };
      check('gpt2 block', [[B, T, C], [C], [C], [3 * C, C], [3 * C], [C, C], [C], [C], [12, C], [C, 12]], block, { probes: 20 });
    },
  },
  {
    title: 'random odd shapes (SIMD tails): matmul, linear, layerNorm, softmax, attention with GQA, crossEntropy',
    seed: 30,
    run: (check) => {
      const shapes = new Rng(300);
      const dim = (lo: number, hi: number) => lo + shapes.int(hi - lo + 1);
      for (let trial = 0; trial < 3; trial++) {
        const M = dim(1, 19), N = dim(1, 37), K = dim(1, 35), B = dim(1, 3);
        check(`matmul (${B}, ${M}, ${K}) @ (${B}, ${K}, ${N})^T`, [[B, M, K], [B, N, K]], ([a, b]) => matmul(a!, b!, { transB: true }));
        check(`linear (${M}, ${K}) -> ${N}`, [[M, K], [N, K], [N]], ([x, w, b]) => linear(x!, w!, b!));
        check(`layerNorm (${M}, ${N})`, [[M, N], [N], [N]], ([x, w, b]) => layerNorm(x!, w!, b!));
        check(`softmax (${M}, ${N})`, [[M, N]], ([x]) => softmax(x!), { std: 3 });
        const nkv = dim(1, 2), nh = nkv * dim(1, 3), T = dim(1, 9), hs = dim(1, 17);
        check(`attention B=${B} nh=${nh} nkv=${nkv} T=${T} hs=${hs}`, [[B, nh, T, hs], [B, nkv, T, hs], [B, nkv, T, hs]],
          ([q, k, v]) => attention(q!, k!, v!, { causal: trial !== 1 }), { probes: 30 });
        const targets = Int32Array.from({ length: M }, (_, i) => (i % 3 === 2 ? -100 : (i * 7) % N));
        check(`crossEntropy (${M}, ${N})`, [[M, N]], ([l]) => crossEntropy(l!, targets), { std: 2 });
      }
    },
  },
  {
    title: 'accumulating paths: each op runs its backward when its inputs already hold a gradient',
    seed: 31,
    run: (check) => {
      // concat(flat(op(xs)), flat(xs)): the concat's backward writes every input's gradient
      // first, so the op's backward must add to it (the non-fresh path of each op)
      const also = (y: Tensor, xs: Tensor[]) => concat([reshape(y, [-1]), ...xs.map((x) => reshape(x, [-1]))], 0);
      check('linear + bias', [[3, 4], [5, 4], [5]], ([x, w, b]) => also(linear(x!, w!, b!), [x!, w!, b!]));
      check('matmul batched', [[2, 3, 4], [2, 4, 5]], ([a, b]) => also(matmul(a!, b!), [a!, b!]));
      check('matmul b shared, transposed', [[2, 3, 4], [5, 4]], ([a, b]) => also(matmul(a!, b!, { transB: true }), [a!, b!]));
      check('matmul a shared, transA', [[4, 3], [2, 4, 5]], ([a, b]) => also(matmul(a!, b!, { transA: true }), [a!, b!]));
      check('add, sub, scale, mul', [[3, 4], [3, 4]], ([a, b]) => also(add(sub(scale(a!, 3), b!), mul(a!, b!)), [a!, b!]));
      check('mul broadcast', [[3, 4], [4]], ([a, b]) => also(mul(a!, b!), [a!, b!]));
      check('transpose12', [[2, 3, 4, 2]], ([x]) => also(transpose12(x!), [x!]));
      check('rope', [[1, 2, 3, 4]], ([x]) => also(rope(x!, { posOffset: 1 }), [x!]));
      check('narrow (many blocks)', [[20, 3, 2]], ([x]) => also(narrow(x!, 1, 1, 2), [x!]));
      check('narrow (few blocks)', [[2, 5, 3]], ([x]) => also(narrow(x!, 1, 3, 2), [x!]));
      check('concat (many blocks)', [[20, 2], [20, 3]], ([a, b]) => also(concat([a!, b!]), [a!, b!]));
      check('dropout', [[4, 5]], ([x]) => also(dropout(x!, 0.3, 11), [x!]));
      check('geluLinear + bias', [[3, 4], [5, 4], [5]], ([h, w, b]) => also(geluLinear(h!, w!, b!), [h!, w!, b!]));
      check('layerNorm, gelu, softmax', [[3, 5], [5], [5]], ([x, w, b]) => also(softmax(gelu(layerNorm(x!, w!, b!))), [x!, w!, b!]));
      check('attention', [[1, 2, 3, 2], [1, 1, 3, 2], [1, 1, 3, 2]], ([q, k, v]) => also(attention(q!, k!, v!), [q!, k!, v!]));
      check('gatherRows, scatterAddRows', [[3, 4], [2, 4]], ([a, b]) => also(scatterAddRows(gatherRows([a!, b!], Int32Array.of(0, 1, 0), Int32Array.of(2, 0, 2)), Int32Array.of(1, 0, 1), 2), [a!, b!]));
    },
  },
  {
    title: 'Tree-LSTM ops: sigmoid, rows by index (gather from several sources, rows read twice or never; sums per index, rows left empty)',
    seed: 32,
    run: (check) => {
      check('sigmoid', [[4, 6]], ([a]) => sigmoid(a!), { std: 3 });
      check('gatherRows', [[3, 5], [4, 5]], ([a, b]) => gatherRows([a!, b!], Int32Array.of(1, 0, 1, 1, 0), Int32Array.of(3, 2, 0, 3, 0)));
      check('gatherRows (one source constant)', [[2, 3], [2, 3]], ([a, b]) => gatherRows([a!, b!], Int32Array.of(0, 1), Int32Array.of(1, 1)), { constants: [1] });
      check('scatterAddRows', [[6, 4]], ([x]) => scatterAddRows(x!, Int32Array.of(2, 0, 2, 2, 0, 3), 5));
    },
  },
];

/**
 * The native backend: the C kernels of native/ (build/Release/llmts_native.node, built by
 * `npm install` through node-gyp) behind the `Backend` interface.
 *
 * The C code trusts the sizes it is given, so every method here first checks, cheaply,
 * that each buffer is long enough for the shapes (and that ids/targets are in range) and
 * throws an `LlmtsError` otherwise: a wrong size is a clear error, never corrupt memory.
 *
 * `LLMTS_NATIVE_PATH=/path/to/llmts_native.node` loads the addon from an explicit path
 * (a missing file gives `backend: null` with the reason). `LLMTS_ISA=avx2|sse2|...`
 * forces a lower instruction set than the best one the CPU supports.
 *
 * @example
 * const { backend, reason } = loadNativeBackend();
 * if (backend) backend.gemm(false, false, 2, 2, 2, 1, a, 2, 0, b, 2, 0, 0, c, 2, 0, 1);
 * else console.warn(reason);
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backend.ts';
import { LlmtsError } from '../util/errors.ts';
import { dims, extent, ids, need } from './native-checks.ts';
import { NativeLowp, type LowpAddon, type LowpInfo } from './native-lowp.ts';
import { NativeEncoderKernels, type EncoderAddon } from './native-encoder.ts';

/** What the addon reports about itself. */
export interface NativeInfo {
  /** Instruction set of the kernels in use: 'avx512', 'avx2', 'sse2', 'neon' or 'scalar'. */
  isa: string;
  /** Threads of the pool. */
  threads: number;
  /** Floats per SIMD vector. */
  vectorWidth: number;
  /** GEMM register tile [MR, NR]. */
  gemmTile: [number, number];
  /** Instruction sets this CPU can run (any of them can be chosen with setIsa). */
  isas: string[];
}

/** The functions exported by llmts_native.node (argument order as in `Backend`). */
interface Addon extends Partial<LowpAddon>, Partial<EncoderAddon> {
  info(): NativeInfo;
  setIsa(name: string): boolean;
  getThreads(): number;
  setThreads(n: number): void;
  /** Absent in addons built before it existed. */
  fmaPeak?(seconds: number): number;
  gemm: Backend['gemm'];
  add: Backend['add'];
  mul: Backend['mul'];
  mulAcc: Backend['mulAcc'];
  scale: Backend['scale'];
  axpy: Backend['axpy'];
  addBias: Backend['addBias'];
  addBiasBackward: Backend['addBiasBackward'];
  sumAxis: Backend['sumAxis'];
  sumAxisBackward: Backend['sumAxisBackward'];
  sumSquares: Backend['sumSquares'];
  argmax: Backend['argmax'];
  transpose12: Backend['transpose12'];
  softmax: Backend['softmax'];
  softmaxBackward: Backend['softmaxBackward'];
  layerNorm: Backend['layerNorm'];
  layerNormBackward: Backend['layerNormBackward'];
  rmsNorm: Backend['rmsNorm'];
  rmsNormBackward: Backend['rmsNormBackward'];
  gelu: Backend['gelu'];
  geluBackward: Backend['geluBackward'];
  geluErf: Backend['geluErf'];
  geluErfBackward: Backend['geluErfBackward'];
  silu: Backend['silu'];
  siluBackward: Backend['siluBackward'];
  swiglu: Backend['swiglu'];
  swigluBackward: Backend['swigluBackward'];
  attention: Backend['attention'];
  attentionBackward: Backend['attentionBackward'];
  attentionQkv: Backend['attentionQkv'];
  attentionQkvBackward: Backend['attentionQkvBackward'];
  selfAttention: Backend['selfAttention'];
  selfAttentionBackward: Backend['selfAttentionBackward'];
  rope: Backend['rope'];
  embedding: Backend['embedding'];
  embeddingBackward: Backend['embeddingBackward'];
  crossEntropy: Backend['crossEntropy'];
  crossEntropyBackward: Backend['crossEntropyBackward'];
  dropout: Backend['dropout'];
  adamw: Backend['adamw'];
  sgd: Backend['sgd'];
}

type F32 = Float32Array;

/** The native kernels behind the `Backend` interface (sizes checked before each call). */
export class NativeBackend implements Backend {
  readonly name = 'native';
  private readonly m: Addon;
  private readonly lowp: NativeLowp;
  // the bf16 and int8 kernels: native-lowp.ts
  readonly toBf16: Backend['toBf16'];
  readonly fromBf16: Backend['fromBf16'];
  readonly gemmBf16: Backend['gemmBf16'];
  readonly gemvBf16: Backend['gemvBf16'];
  readonly quantizeQ8_0: Backend['quantizeQ8_0'];
  readonly dequantizeQ8_0: Backend['dequantizeQ8_0'];
  readonly gemvQ8_0: Backend['gemvQ8_0'];
  // the encoder-inference kernels: native-encoder.ts
  readonly packedAttention: Backend['packedAttention'];
  readonly biasGeluErf: Backend['biasGeluErf'];
  readonly addLayerNorm: Backend['addLayerNorm'];

  constructor(addon: Addon) {
    this.m = addon;
    const l = new NativeLowp(addon);
    this.lowp = l;
    this.toBf16 = l.toBf16.bind(l);
    this.fromBf16 = l.fromBf16.bind(l);
    this.gemmBf16 = l.gemmBf16.bind(l);
    this.gemvBf16 = l.gemvBf16.bind(l);
    this.quantizeQ8_0 = l.quantizeQ8_0.bind(l);
    this.dequantizeQ8_0 = l.dequantizeQ8_0.bind(l);
    this.gemvQ8_0 = l.gemvQ8_0.bind(l);
    const e = new NativeEncoderKernels(addon);
    this.packedAttention = e.packedAttention.bind(e);
    this.biasGeluErf = e.biasGeluErf.bind(e);
    this.addLayerNorm = e.addLayerNorm.bind(e);
  }

  /** Variant of the bf16/int8 kernels in use ('amx', 'avx512bf16', 'scalar') and those this CPU runs. */
  lowpInfo(): LowpInfo {
    return this.lowp.lowpInfo();
  }

  /** Switches the bf16/int8 kernels to another variant this CPU runs; false if not. */
  setLowpIsa(name: string): boolean {
    return this.lowp.setLowpIsa(name);
  }

  /** ISA, threads and GEMM tile of the loaded addon. */
  info(): NativeInfo {
    return this.m.info();
  }

  /** Switches to another instruction set this CPU supports ('avx512', 'avx2', 'sse2', ...); false if not. */
  setIsa(name: string): boolean {
    return this.m.setIsa(name);
  }

  getThreads(): number {
    return this.m.getThreads();
  }

  setThreads(n: number): void {
    this.m.setThreads(Math.max(1, Math.floor(n)));
  }

  /**
   * GFLOP/s of register-only FMAs (the GEMM micro-kernel's pattern, no memory) on every
   * pool thread, best of ~10 ms rounds over about `seconds`: the ceiling a GEMM can reach
   * on this machine right now (clock speeds move with the load of a shared machine), so
   * benchmarks can give GEMM figures as a fraction of it. null with an older addon.
   */
  fmaPeak(seconds = 0.2): number | null {
    return this.m.fmaPeak ? this.m.fmaPeak(seconds) : null;
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, a: F32, lda: number,
    strideA: number, b: F32, ldb: number, strideB: number, beta: number, c: F32, ldc: number, strideC: number,
    batch: number): void {
    const k = 'gemm';
    dims(k, { M, N, K, lda, strideA, ldb, strideB, ldc, strideC, batch });
    const [ar, ac] = transA ? [K, M] : [M, K];
    const [br, bc] = transB ? [N, K] : [K, N];
    if (lda < ac || ldb < bc || ldc < N) {
      throw new LlmtsError('E_NATIVE_ARG', `gemm: leading dimensions too small (lda ${lda} < ${ac}, ldb ${ldb} < ${bc} or ldc ${ldc} < ${N})`,
        { where: 'backend.gemm', hint: 'lda/ldb/ldc are the row lengths of A, B and C as stored' });
    }
    need(k, 'a', a, extent(ar, ac, lda, strideA, batch));
    need(k, 'b', b, extent(br, bc, ldb, strideB, batch));
    need(k, 'c', c, extent(M, N, ldc, strideC, batch));
    this.m.gemm(transA, transB, M, N, K, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
  }

  add(n: number, a: F32, b: F32, out: F32): void {
    this.check3('add', n, a, b, out);
    this.m.add(n, a, b, out);
  }

  mul(n: number, a: F32, b: F32, out: F32): void {
    this.check3('mul', n, a, b, out);
    this.m.mul(n, a, b, out);
  }

  mulAcc(n: number, a: F32, b: F32, out: F32): void {
    this.check3('mulAcc', n, a, b, out);
    this.m.mulAcc(n, a, b, out);
  }

  scale(n: number, s: number, x: F32, out: F32): void {
    this.check2('scale', n, x, out);
    this.m.scale(n, s, x, out);
  }

  axpy(n: number, alpha: number, x: F32, y: F32): void {
    this.check2('axpy', n, x, y);
    this.m.axpy(n, alpha, x, y);
  }

  addBias(rows: number, cols: number, x: F32, bias: F32, out: F32): void {
    dims('addBias', { rows, cols });
    need('addBias', 'x', x, rows * cols);
    need('addBias', 'bias', bias, cols);
    need('addBias', 'out', out, rows * cols);
    this.m.addBias(rows, cols, x, bias, out);
  }

  addBiasBackward(rows: number, cols: number, dout: F32, dbias: F32): void {
    dims('addBiasBackward', { rows, cols });
    need('addBiasBackward', 'dout', dout, rows * cols);
    need('addBiasBackward', 'dbias', dbias, cols);
    this.m.addBiasBackward(rows, cols, dout, dbias);
  }

  sumAxis(outer: number, axis: number, inner: number, x: F32, out: F32): void {
    dims('sumAxis', { outer, axis, inner });
    need('sumAxis', 'x', x, outer * axis * inner);
    need('sumAxis', 'out', out, outer * inner);
    this.m.sumAxis(outer, axis, inner, x, out);
  }

  sumAxisBackward(outer: number, axis: number, inner: number, s: number, dout: F32, dx: F32): void {
    dims('sumAxisBackward', { outer, axis, inner });
    need('sumAxisBackward', 'dout', dout, outer * inner);
    need('sumAxisBackward', 'dx', dx, outer * axis * inner);
    this.m.sumAxisBackward(outer, axis, inner, s, dout, dx);
  }

  sumSquares(n: number, x: F32): number {
    dims('sumSquares', { n });
    need('sumSquares', 'x', x, n);
    return this.m.sumSquares(n, x);
  }

  argmax(n: number, x: F32): number {
    dims('argmax', { n });
    need('argmax', 'x', x, n);
    return this.m.argmax(n, x);
  }

  transpose12(d0: number, d1: number, d2: number, d3: number, x: F32, out: F32): void {
    dims('transpose12', { d0, d1, d2, d3 });
    const n = d0 * d1 * d2 * d3;
    need('transpose12', 'x', x, n);
    need('transpose12', 'out', out, n);
    this.m.transpose12(d0, d1, d2, d3, x, out);
  }

  softmax(rows: number, cols: number, x: F32, out: F32): void {
    dims('softmax', { rows, cols });
    need('softmax', 'x', x, rows * cols);
    need('softmax', 'out', out, rows * cols);
    this.m.softmax(rows, cols, x, out);
  }

  softmaxBackward(rows: number, cols: number, y: F32, dy: F32, dx: F32): void {
    dims('softmaxBackward', { rows, cols });
    const n = rows * cols;
    need('softmaxBackward', 'y', y, n);
    need('softmaxBackward', 'dy', dy, n);
    need('softmaxBackward', 'dx', dx, n);
    this.m.softmaxBackward(rows, cols, y, dy, dx);
  }

  layerNorm(rows: number, C: number, eps: number, x: F32, w: F32, b: F32, out: F32, mean: F32, rstd: F32): void {
    const k = 'layerNorm';
    dims(k, { rows, C });
    need(k, 'x', x, rows * C);
    need(k, 'w', w, C);
    need(k, 'b', b, C);
    need(k, 'out', out, rows * C);
    need(k, 'mean', mean, rows);
    need(k, 'rstd', rstd, rows);
    this.m.layerNorm(rows, C, eps, x, w, b, out, mean, rstd);
  }

  layerNormBackward(rows: number, C: number, dout: F32, x: F32, w: F32, mean: F32, rstd: F32,
    dx: F32, dw: F32, db: F32): void {
    const k = 'layerNormBackward';
    dims(k, { rows, C });
    need(k, 'dout', dout, rows * C);
    need(k, 'x', x, rows * C);
    need(k, 'w', w, C);
    need(k, 'mean', mean, rows);
    need(k, 'rstd', rstd, rows);
    need(k, 'dx', dx, rows * C);
    need(k, 'dw', dw, C);
    need(k, 'db', db, C);
    this.m.layerNormBackward(rows, C, dout, x, w, mean, rstd, dx, dw, db);
  }

  rmsNorm(rows: number, C: number, eps: number, x: F32, w: F32, out: F32, rstd: F32): void {
    const k = 'rmsNorm';
    dims(k, { rows, C });
    need(k, 'x', x, rows * C);
    need(k, 'w', w, C);
    need(k, 'out', out, rows * C);
    need(k, 'rstd', rstd, rows);
    this.m.rmsNorm(rows, C, eps, x, w, out, rstd);
  }

  rmsNormBackward(rows: number, C: number, dout: F32, x: F32, w: F32, rstd: F32, dx: F32, dw: F32): void {
    const k = 'rmsNormBackward';
    dims(k, { rows, C });
    need(k, 'dout', dout, rows * C);
    need(k, 'x', x, rows * C);
    need(k, 'w', w, C);
    need(k, 'rstd', rstd, rows);
    need(k, 'dx', dx, rows * C);
    need(k, 'dw', dw, C);
    this.m.rmsNormBackward(rows, C, dout, x, w, rstd, dx, dw);
  }

  gelu(n: number, x: F32, out: F32): void {
    this.check2('gelu', n, x, out);
    this.m.gelu(n, x, out);
  }

  geluBackward(n: number, x: F32, dout: F32, dx: F32): void {
    this.check3('geluBackward', n, x, dout, dx);
    this.m.geluBackward(n, x, dout, dx);
  }

  geluErf(n: number, x: F32, out: F32): void {
    this.check2('geluErf', n, x, out);
    this.m.geluErf(n, x, out);
  }

  geluErfBackward(n: number, x: F32, dout: F32, dx: F32): void {
    this.check3('geluErfBackward', n, x, dout, dx);
    this.m.geluErfBackward(n, x, dout, dx);
  }

  silu(n: number, x: F32, out: F32): void {
    this.check2('silu', n, x, out);
    this.m.silu(n, x, out);
  }

  siluBackward(n: number, x: F32, dout: F32, dx: F32): void {
    this.check3('siluBackward', n, x, dout, dx);
    this.m.siluBackward(n, x, dout, dx);
  }

  swiglu(n: number, gate: F32, up: F32, out: F32): void {
    this.check3('swiglu', n, gate, up, out);
    this.m.swiglu(n, gate, up, out);
  }

  swigluBackward(n: number, gate: F32, up: F32, dout: F32, dgate: F32, dup: F32): void {
    this.check3('swigluBackward', n, gate, up, dout);
    need('swigluBackward', 'dgate', dgate, n);
    need('swigluBackward', 'dup', dup, n);
    this.m.swigluBackward(n, gate, up, dout, dgate, dup);
  }

  attention(B: number, nh: number, nkv: number, Tq: number, Tk: number, kvCap: number, hs: number,
    scale: number, causal: boolean, posOffset: number, keyMask: F32 | null,
    q: F32, k: F32, v: F32, out: F32, att: F32): void {
    const kn = 'attention';
    this.checkHeads(kn, B, nh, nkv, Tq, Tk, hs);
    dims(kn, { kvCap, posOffset });
    if (kvCap < Tk) {
      throw new LlmtsError('E_NATIVE_ARG', `attention: kvCap ${kvCap} < Tk ${Tk}`, {
        where: 'backend.attention', hint: 'the KV cache capacity must hold every key',
      });
    }
    const kvLen = B * nkv === 0 || Tk === 0 ? 0 : ((B * nkv - 1) * kvCap + Tk) * hs;
    need(kn, 'q', q, B * nh * Tq * hs);
    need(kn, 'k', k, kvLen);
    need(kn, 'v', v, kvLen);
    if (keyMask) need(kn, 'keyMask', keyMask, B * Tk);
    need(kn, 'out', out, B * nh * Tq * hs);
    need(kn, 'att', att, B * nh * Tq * Tk);
    this.m.attention(B, nh, nkv, Tq, Tk, kvCap, hs, scale, causal, posOffset, keyMask, q, k, v, out, att);
  }

  attentionBackward(B: number, nh: number, nkv: number, Tq: number, Tk: number, hs: number, scale: number,
    q: F32, k: F32, v: F32, att: F32, dout: F32, dq: F32, dk: F32, dv: F32): void {
    const kn = 'attentionBackward';
    this.checkHeads(kn, B, nh, nkv, Tq, Tk, hs);
    const nq = B * nh * Tq * hs, nkvLen = B * nkv * Tk * hs;
    need(kn, 'q', q, nq);
    need(kn, 'k', k, nkvLen);
    need(kn, 'v', v, nkvLen);
    need(kn, 'att', att, B * nh * Tq * Tk);
    need(kn, 'dout', dout, nq);
    need(kn, 'dq', dq, nq);
    need(kn, 'dk', dk, nkvLen);
    need(kn, 'dv', dv, nkvLen);
    this.m.attentionBackward(B, nh, nkv, Tq, Tk, hs, scale, q, k, v, att, dout, dq, dk, dv);
  }

  attentionQkv(B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
    keyMask: F32 | null, qkv: F32, out: F32, att: F32): void {
    const kn = 'attentionQkv';
    dims(kn, { B, T, nh, hs });
    need(kn, 'qkv', qkv, B * T * 3 * nh * hs);
    if (keyMask) need(kn, 'keyMask', keyMask, B * T);
    need(kn, 'out', out, B * T * nh * hs);
    need(kn, 'att', att, B * nh * T * T);
    this.m.attentionQkv(B, T, nh, hs, scale, causal, keyMask, qkv, out, att);
  }

  attentionQkvBackward(B: number, T: number, nh: number, hs: number, scale: number,
    qkv: F32, att: F32, dout: F32, dqkv: F32): void {
    const kn = 'attentionQkvBackward';
    dims(kn, { B, T, nh, hs });
    need(kn, 'qkv', qkv, B * T * 3 * nh * hs);
    need(kn, 'att', att, B * nh * T * T);
    need(kn, 'dout', dout, B * T * nh * hs);
    need(kn, 'dqkv', dqkv, B * T * 3 * nh * hs);
    this.m.attentionQkvBackward(B, T, nh, hs, scale, qkv, att, dout, dqkv);
  }

  selfAttention(B: number, T: number, nh: number, nkv: number, hs: number, scale: number, causal: boolean,
    keyMask: F32 | null, cs: F32 | null, interleaved: boolean, q: F32, k: F32, v: F32, out: F32, lse: F32): void {
    const kn = 'selfAttention';
    this.checkSelfAttention(kn, B, T, nh, nkv, hs, keyMask, cs, q, k, v, out, lse);
    this.m.selfAttention(B, T, nh, nkv, hs, scale, causal, keyMask, cs, interleaved, q, k, v, out, lse);
  }

  selfAttentionBackward(B: number, T: number, nh: number, nkv: number, hs: number, scale: number, causal: boolean,
    keyMask: F32 | null, cs: F32 | null, interleaved: boolean, q: F32, k: F32, v: F32, out: F32, lse: F32, dout: F32,
    dq: F32, dk: F32, dv: F32): void {
    const kn = 'selfAttentionBackward';
    this.checkSelfAttention(kn, B, T, nh, nkv, hs, keyMask, cs, q, k, v, out, lse);
    need(kn, 'dout', dout, B * T * nh * hs);
    need(kn, 'dq', dq, B * T * nh * hs);
    need(kn, 'dk', dk, B * T * nkv * hs);
    need(kn, 'dv', dv, B * T * nkv * hs);
    this.m.selfAttentionBackward(B, T, nh, nkv, hs, scale, causal, keyMask, cs, interleaved, q, k, v, out, lse, dout, dq, dk, dv);
  }

  rope(B: number, H: number, T: number, hs: number, posOffset: number, theta: number,
    interleaved: boolean, inverse: boolean, x: F32, invFreq: F32 | null = null, attnFactor = 1): void {
    dims('rope', { B, H, T, hs, posOffset });
    need('rope', 'x', x, B * H * T * hs);
    if (invFreq) need('rope', 'invFreq', invFreq, hs >> 1);
    this.m.rope(B, H, T, hs, posOffset, theta, interleaved, inverse, x, invFreq, attnFactor);
  }

  embedding(n: number, C: number, idArr: Int32Array, table: F32, out: F32): void {
    dims('embedding', { n, C });
    need('embedding', 'ids', idArr, n);
    need('embedding', 'out', out, n * C);
    if (C > 0) ids('embedding', 'ids', idArr, n, Math.floor(table.length / C));
    this.m.embedding(n, C, idArr, table, out);
  }

  embeddingBackward(n: number, C: number, idArr: Int32Array, dout: F32, dtable: F32): void {
    dims('embeddingBackward', { n, C });
    need('embeddingBackward', 'ids', idArr, n);
    need('embeddingBackward', 'dout', dout, n * C);
    if (C > 0) ids('embeddingBackward', 'ids', idArr, n, Math.floor(dtable.length / C));
    this.m.embeddingBackward(n, C, idArr, dout, dtable);
  }

  crossEntropy(N: number, V: number, logits: F32, targets: Int32Array, ignoreIndex: number,
    losses: F32, lse: F32): number {
    const k = 'crossEntropy';
    dims(k, { N, V });
    need(k, 'logits', logits, N * V);
    need(k, 'targets', targets, N);
    need(k, 'losses', losses, N);
    need(k, 'lse', lse, N);
    ids(k, 'targets', targets, N, V, ignoreIndex);
    return this.m.crossEntropy(N, V, logits, targets, ignoreIndex, losses, lse);
  }

  crossEntropyBackward(N: number, V: number, logits: F32, targets: Int32Array, ignoreIndex: number,
    lse: F32, dloss: number, dlogits: F32): void {
    const k = 'crossEntropyBackward';
    dims(k, { N, V });
    need(k, 'logits', logits, N * V);
    need(k, 'targets', targets, N);
    need(k, 'lse', lse, N);
    need(k, 'dlogits', dlogits, N * V);
    ids(k, 'targets', targets, N, V, ignoreIndex);
    this.m.crossEntropyBackward(N, V, logits, targets, ignoreIndex, lse, dloss, dlogits);
  }

  dropout(n: number, p: number, seed: number, x: F32, out: F32, mask: F32): void {
    this.check3('dropout', n, x, out, mask);
    if (!(p >= 0 && p <= 1)) {
      throw new LlmtsError('E_NATIVE_ARG', `dropout: p must be in [0, 1], got ${p}`, { where: 'backend.dropout', hint: 'use a probability' });
    }
    this.m.dropout(n, p, seed >>> 0, x, out, mask);
  }

  adamw(n: number, p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, t: number): void {
    this.check3('adamw', n, p, g, m);
    need('adamw', 'v', v, n);
    this.m.adamw(n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, t);
  }

  sgd(n: number, p: F32, g: F32, buf: F32, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void {
    this.check3('sgd', n, p, g, buf);
    this.m.sgd(n, p, g, buf, lr, momentum, weightDecay, nesterov);
  }

  private check2(kernel: string, n: number, a: F32, b: F32): void {
    dims(kernel, { n });
    need(kernel, 'input', a, n);
    need(kernel, 'output', b, n);
  }

  private check3(kernel: string, n: number, a: F32, b: F32, c: F32): void {
    dims(kernel, { n });
    need(kernel, 'first buffer', a, n);
    need(kernel, 'second buffer', b, n);
    need(kernel, 'third buffer', c, n);
  }

  private checkSelfAttention(kn: string, B: number, T: number, nh: number, nkv: number, hs: number,
    keyMask: F32 | null, cs: F32 | null, q: F32, k: F32, v: F32, out: F32, lse: F32): void {
    this.checkHeads(kn, B, nh, nkv, T, T, hs);
    if (nkv === 0) throw new LlmtsError('E_NATIVE_ARG', `${kn}: nkv must be >= 1`, { where: `backend.${kn}` });
    if (cs && hs % 2 !== 0) throw new LlmtsError('E_NATIVE_ARG', `${kn}: RoPE needs an even head size, got ${hs}`, { where: `backend.${kn}` });
    need(kn, 'q', q, B * T * nh * hs);
    need(kn, 'k', k, B * T * nkv * hs);
    need(kn, 'v', v, B * T * nkv * hs);
    if (keyMask) need(kn, 'keyMask', keyMask, B * T);
    if (cs) need(kn, 'cs', cs, T * hs);
    need(kn, 'out', out, B * T * nh * hs);
    need(kn, 'lse', lse, B * nh * T);
  }

  private checkHeads(kernel: string, B: number, nh: number, nkv: number, Tq: number, Tk: number, hs: number): void {
    dims(kernel, { B, nh, nkv, Tq, Tk, hs });
    if (nkv === 0 ? nh !== 0 : nh % nkv !== 0) {
      throw new LlmtsError('E_NATIVE_ARG', `${kernel}: nh ${nh} is not a multiple of nkv ${nkv}`, {
        where: `backend.${kernel}`, hint: 'grouped-query attention needs nh % nkv == 0',
      });
    }
  }
}

/** Default location of the addon: <repo>/build/Release/llmts_native.node (same from src/ and dist/). */
export function defaultNativePath(): string {
  const here = dirname(fileURLToPath(import.meta.url)); // <repo>/src/backend or <repo>/dist/backend
  return join(here, '..', '..', 'build', 'Release', 'llmts_native.node');
}

const cache = new Map<string, { backend: NativeBackend | null; reason: string }>();

/**
 * Loads the native addon (once per path; `LLMTS_NATIVE_PATH` overrides the default path).
 * Returns the backend, or null with the reason it could not load.
 */
export function loadNativeBackend(): { backend: NativeBackend | null; reason: string } {
  const path = resolve(process.env.LLMTS_NATIVE_PATH || defaultNativePath());
  const hit = cache.get(path);
  if (hit) return hit;
  let result: { backend: NativeBackend | null; reason: string };
  if (!existsSync(path)) {
    result = { backend: null, reason: `the native addon is missing at ${path} (build it with \`npm install\` or \`npm run build\`)` };
  } else {
    try {
      const req = createRequire(import.meta.url);
      const addon = req(path) as Addon;
      const backend = new NativeBackend(addon);
      const info = backend.info();
      result = { backend, reason: `loaded ${path} (${info.isa}, ${info.threads} threads)` };
    } catch (err) {
      result = { backend: null, reason: `the native addon at ${path} failed to load: ${(err as Error).message}` };
    }
  }
  cache.set(path, result);
  return result;
}

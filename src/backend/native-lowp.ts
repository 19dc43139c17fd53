/**
 * The bf16 and int8 (Q8_0) kernels of the native addon (native/src/addon_lowp.c) behind
 * their `Backend` methods, each buffer checked against the shapes first. Their CPU
 * variant is chosen apart from the fp32 kernels': 'amx' (AMX tiles; Intel Sapphire Rapids
 * and later), 'avx512bf16' (AVX512-BF16 + VNNI; AMD Zen 4/5) or 'scalar';
 * `LLMTS_LOWP_ISA=avx512bf16|scalar` forces a lower one.
 *
 * @example
 * const nb = loadNativeBackend().backend!;
 * nb.lowpInfo(); // { isa: 'amx', isas: ['amx', 'avx512bf16', 'scalar'] }
 * nb.gemmBf16(false, true, M, N, K, 1, x, K, 0, w, K, 0, 0, y, N, 0, 1);
 */
import type { Backend } from './backend.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkQ8_0Row, q8_0Bytes } from './lowp-format.ts';
import { dims, extent, need } from './native-checks.ts';

/** Which variant of the bf16/int8 kernels runs, and which this CPU allows (best first). */
export interface LowpInfo {
  isa: string;
  isas: string[];
}

/** The addon's bf16/int8 entries (argument order as in `Backend`). */
export interface LowpAddon {
  lowpInfo(): LowpInfo;
  setLowpIsa(name: string): boolean;
  toBf16: Backend['toBf16'];
  fromBf16: Backend['fromBf16'];
  gemmBf16: Backend['gemmBf16'];
  gemvBf16: Backend['gemvBf16'];
  quantizeQ8_0: Backend['quantizeQ8_0'];
  dequantizeQ8_0: Backend['dequantizeQ8_0'];
  gemvQ8_0: Backend['gemvQ8_0'];
}

/** Checked calls into the addon's bf16/int8 kernels. */
export class NativeLowp {
  private readonly m: Partial<LowpAddon>;

  constructor(addon: Partial<LowpAddon>) {
    this.m = addon;
  }

  /** The addon's entries, or E_NATIVE_STALE when it was built before they existed. */
  private addon(kernel: string): LowpAddon {
    if (!this.m.gemvQ8_0 || !this.m.lowpInfo) {
      throw new LlmtsError('E_NATIVE_STALE', `${kernel}: the loaded native addon has no bf16/int8 kernels`, {
        where: `backend.${kernel}`, hint: 'rebuild it with `npm run build` (or unset LLMTS_NATIVE_PATH)',
      });
    }
    return this.m as LowpAddon;
  }

  lowpInfo(): LowpInfo {
    return this.addon('lowpInfo').lowpInfo();
  }

  setLowpIsa(name: string): boolean {
    return this.addon('setLowpIsa').setLowpIsa(name);
  }

  toBf16(n: number, x: Float32Array, out: Uint16Array): void {
    dims('toBf16', { n });
    need('toBf16', 'x', x, n);
    need('toBf16', 'out', out, n);
    this.addon('toBf16').toBf16(n, x, out);
  }

  fromBf16(n: number, x: Uint16Array, out: Float32Array): void {
    dims('fromBf16', { n });
    need('fromBf16', 'x', x, n);
    need('fromBf16', 'out', out, n);
    this.addon('fromBf16').fromBf16(n, x, out);
  }

  gemmBf16(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: Float32Array | Uint16Array, lda: number, strideA: number, b: Float32Array | Uint16Array, ldb: number,
    strideB: number, beta: number, c: Float32Array, ldc: number, strideC: number, batch: number): void {
    const k = 'gemmBf16';
    dims(k, { M, N, K, lda, strideA, ldb, strideB, ldc, strideC, batch });
    const [ar, ac] = transA ? [K, M] : [M, K];
    const [br, bc] = transB ? [N, K] : [K, N];
    if (lda < ac || ldb < bc || ldc < N) {
      throw new LlmtsError('E_NATIVE_ARG', `${k}: leading dimensions too small (lda ${lda} < ${ac}, ldb ${ldb} < ${bc} or ldc ${ldc} < ${N})`,
        { where: `backend.${k}`, hint: 'lda/ldb/ldc are the row lengths of A, B and C as stored' });
    }
    need(k, 'a', a, extent(ar, ac, lda, strideA, batch));
    need(k, 'b', b, extent(br, bc, ldb, strideB, batch));
    need(k, 'c', c, extent(M, N, ldc, strideC, batch));
    this.addon(k).gemmBf16(transA, transB, M, N, K, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
      batch);
  }

  gemvBf16(M: number, N: number, K: number, x: Float32Array, w: Uint16Array, y: Float32Array): void {
    const k = 'gemvBf16';
    dims(k, { M, N, K });
    need(k, 'x', x, M * K);
    need(k, 'w', w, N * K);
    need(k, 'y', y, M * N);
    this.addon(k).gemvBf16(M, N, K, x, w, y);
  }

  quantizeQ8_0(n: number, x: Float32Array, out: Uint8Array): void {
    const k = 'quantizeQ8_0';
    dims(k, { n });
    checkQ8_0Row(k, n);
    need(k, 'x', x, n);
    need(k, 'out', out, q8_0Bytes(n));
    this.addon(k).quantizeQ8_0(n, x, out);
  }

  dequantizeQ8_0(n: number, q: Uint8Array, out: Float32Array): void {
    const k = 'dequantizeQ8_0';
    dims(k, { n });
    checkQ8_0Row(k, n);
    need(k, 'q', q, q8_0Bytes(n));
    need(k, 'out', out, n);
    this.addon(k).dequantizeQ8_0(n, q, out);
  }

  gemvQ8_0(M: number, N: number, K: number, x: Float32Array, w: Uint8Array, y: Float32Array): void {
    const k = 'gemvQ8_0';
    dims(k, { M, N, K });
    checkQ8_0Row(k, K);
    need(k, 'x', x, M * K);
    need(k, 'w', w, q8_0Bytes(N * K));
    need(k, 'y', y, M * N);
    this.addon(k).gemvQ8_0(M, N, K, x, w, y);
  }
}

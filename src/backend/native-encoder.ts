/**
 * The encoder-inference kernels of the native addon (native/src/kernels/encoder.c) behind
 * their `Backend` methods, each buffer and the packed-row layout checked first (the C code
 * trusts them). Forward only: packed attention, bias + exact GELU, bias + residual +
 * LayerNorm.
 *
 * @example
 * const k = new NativeEncoderKernels(addon);
 * k.packedAttention(S, nh, hs, 1 / Math.sqrt(hs), rowStart, nKeys, qkv, out);
 */
import type { Backend } from './backend.ts';
import { LlmtsError } from '../util/errors.ts';
import { dims, need } from './native-checks.ts';

/** The addon's encoder entries (argument order as in `Backend`). */
export interface EncoderAddon {
  packedAttention: Backend['packedAttention'];
  biasGeluErf: Backend['biasGeluErf'];
  addLayerNorm: Backend['addLayerNorm'];
}

/** Throws unless rowStart (S + 1) is non-decreasing from 0 and every nKeys[s] is within its sequence's rows; returns N. */
export function checkPackedRows(kernel: string, S: number, rowStart: Int32Array, nKeys: Int32Array): number {
  need(kernel, 'rowStart', rowStart, S + 1);
  need(kernel, 'nKeys', nKeys, S);
  const bad = (what: string): never => {
    throw new LlmtsError('E_NATIVE_ARG', `${kernel}: ${what}`, {
      where: `backend.${kernel}`, hint: 'rowStart must rise from 0 (one entry per sequence, plus the end) and nKeys[s] lie in [0, rows of s]' });
  };
  if (rowStart[0] !== 0) bad(`rowStart[0] is ${rowStart[0]}, not 0`);
  for (let s = 0; s < S; s++) {
    const rows = rowStart[s + 1]! - rowStart[s]!;
    if (rows < 0) bad(`rowStart falls at sequence ${s} (${rowStart[s]} -> ${rowStart[s + 1]})`);
    if (nKeys[s]! < 0 || nKeys[s]! > rows) bad(`nKeys[${s}] = ${nKeys[s]} is outside [0, ${rows}]`);
  }
  return rowStart[S]!;
}

/** Checked calls into the addon's encoder kernels. */
export class NativeEncoderKernels {
  private readonly m: Partial<EncoderAddon>;

  constructor(addon: Partial<EncoderAddon>) {
    this.m = addon;
  }

  /** The addon's entries, or E_NATIVE_STALE when it was built before they existed. */
  private addon(kernel: string): EncoderAddon {
    if (!this.m.packedAttention || !this.m.biasGeluErf || !this.m.addLayerNorm) {
      throw new LlmtsError('E_NATIVE_STALE', `${kernel}: the loaded native addon has no encoder kernels`, {
        where: `backend.${kernel}`, hint: 'rebuild it with `npm run build` (or unset LLMTS_NATIVE_PATH)' });
    }
    return this.m as EncoderAddon;
  }

  packedAttention(S: number, nh: number, hs: number, scale: number, rowStart: Int32Array, nKeys: Int32Array,
    qkv: Float32Array, out: Float32Array): void {
    const k = 'packedAttention';
    dims(k, { S, nh, hs });
    const N = checkPackedRows(k, S, rowStart, nKeys);
    need(k, 'qkv', qkv, N * 3 * nh * hs);
    need(k, 'out', out, N * nh * hs);
    this.addon(k).packedAttention(S, nh, hs, scale, rowStart, nKeys, qkv, out);
  }

  biasGeluErf(rows: number, cols: number, x: Float32Array, bias: Float32Array, out: Float32Array): void {
    const k = 'biasGeluErf';
    dims(k, { rows, cols });
    need(k, 'x', x, rows * cols);
    need(k, 'bias', bias, cols);
    need(k, 'out', out, rows * cols);
    this.addon(k).biasGeluErf(rows, cols, x, bias, out);
  }

  addLayerNorm(rows: number, C: number, eps: number, x: Float32Array, bias: Float32Array | null, residual: Float32Array,
    w: Float32Array, b: Float32Array, out: Float32Array): void {
    const k = 'addLayerNorm';
    dims(k, { rows, C });
    need(k, 'x', x, rows * C);
    if (bias) need(k, 'bias', bias, C);
    need(k, 'residual', residual, rows * C);
    need(k, 'w', w, C);
    need(k, 'b', b, C);
    need(k, 'out', out, rows * C);
    this.addon(k).addLayerNorm(rows, C, eps, x, bias, residual, w, b, out);
  }
}

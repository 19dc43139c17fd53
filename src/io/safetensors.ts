/**
 * safetensors files (https://github.com/huggingface/safetensors): read and write.
 *
 * Layout: `u64 little-endian N | N bytes of JSON header | raw tensor bytes`. The header
 * maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative
 * to the start of the data section) plus an optional `__metadata__` of string -> string.
 *
 * @example
 * saveSafetensors('model.safetensors', {
 *   'lm_head.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) },
 * }, { format: 'pt' });
 * const { tensors, metadata } = loadSafetensors('model.safetensors');
 * tensors['lm_head.weight'].data; // Float32Array(6)
 */
import * as fs from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** Element types of the safetensors format that we read and write. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** The typed array holding one tensor's elements (F16 / BF16 as raw 16-bit patterns in a Uint16Array). */
export type SafetensorsData =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** One tensor: dtype, shape (row-major) and its elements. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** What `loadSafetensors` returns: the tensors in file order and the string metadata. */
export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

type ArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): SafetensorsData; new (length: number): SafetensorsData; BYTES_PER_ELEMENT: number };

const DTYPES: Record<SafetensorsDtype, ArrayCtor> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array,
  I64: BigInt64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array,
  U64: BigUint64Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
};

/** Largest header we accept (the Rust reference uses 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function bad(file: string, message: string, hint = 'the file is truncated or not a safetensors file; re-create or re-download it'): LlmtsError {
  return new LlmtsError('E_SAFETENSORS', `${file}: ${message}`, { where: file, hint });
}

function elementCount(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Writes `tensors` (in insertion order) and optional string `metadata` to `file`
 * atomically: the bytes go to a temporary file in the same directory, which is fsynced
 * and then renamed over `file`, so a crash never leaves a half-written file behind.
 * Throws `LlmtsError('E_SAFETENSORS')` when a tensor's data length does not match its shape.
 */
export function saveSafetensors(file: string, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const ctor = DTYPES[t.dtype];
    if (!ctor) throw new LlmtsError('E_SAFETENSORS', `tensor '${name}': unknown dtype '${String(t.dtype)}'`, { where: file, hint: `use one of ${Object.keys(DTYPES).join(', ')}` });
    const n = elementCount(t.shape);
    if (t.data.length !== n) {
      throw new LlmtsError('E_SAFETENSORS', `tensor '${name}': shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`, { where: file, hint: 'pass data of exactly the shape\'s size' });
    }
    if (t.data.BYTES_PER_ELEMENT !== ctor.BYTES_PER_ELEMENT) {
      throw new LlmtsError('E_SAFETENSORS', `tensor '${name}': dtype ${t.dtype} needs ${ctor.BYTES_PER_ELEMENT}-byte elements, data has ${t.data.BYTES_PER_ELEMENT}`, { where: file, hint: `pass a ${ctor.name}` });
    }
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned (as HF does).
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBuf = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  writeFileAtomic(file, (put) => {
    put(lenBuf);
    put(headerBuf);
    for (const [, t] of entries) put(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
}

/** Parses and validates the header of a safetensors buffer; `file` names it in errors. */
function parseHeader(file: string, buf: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (buf.length < 8) throw bad(file, `only ${buf.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw bad(file, `header length ${n} is implausibly large`);
  const headerLen = Number(n);
  if (8 + headerLen > buf.length) throw bad(file, `header needs ${headerLen} bytes but the file has only ${buf.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8'));
  } catch (err) {
    throw bad(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad(file, 'header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLen };
}

/** One header entry checked (dtype, shape, offsets within `dataLen` data bytes); errors name the file and tensor. */
function checkEntry(file: string, name: string, value: unknown, dataLen: number): { name: string; begin: number; end: number; dtype: SafetensorsDtype; shape: number[] } {
  const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const dtype = info?.dtype as SafetensorsDtype;
  const ctor = DTYPES[dtype];
  if (!info || !ctor) throw bad(file, `tensor '${name}' has unsupported dtype '${String(info?.dtype)}'`, `supported: ${Object.keys(DTYPES).join(', ')}`);
  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(file, `tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
  const offs = info.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
    throw bad(file, `tensor '${name}' has bad data_offsets ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  const want = elementCount(shape as number[]) * ctor.BYTES_PER_ELEMENT;
  if (end - begin !== want) throw bad(file, `tensor '${name}' (${dtype} [${(shape as number[]).join(', ')}]) needs ${want} bytes but its offsets span ${end - begin}`);
  if (end > dataLen) throw bad(file, `tensor '${name}' ends at byte ${end} of the data section but the file holds only ${dataLen} data bytes (truncated?)`);
  return { name, begin, end, dtype, shape: shape as number[] };
}

/**
 * Reads a whole safetensors file. Tensors come back in file order as typed arrays
 * (views into the file buffer when aligned, copies otherwise; F16/BF16 as raw Uint16Array
 * bits, see `toFloat32`). A truncated or corrupt file throws `LlmtsError('E_SAFETENSORS')`
 * naming the file and the tensor at fault.
 */
export function loadSafetensors(file: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new LlmtsError('E_SAFETENSORS', `cannot read ${file}: ${(err as Error).message}`, { where: file, hint: 'check the path', cause: err });
  }
  return parseSafetensors(buf, file);
}

/** Parses safetensors bytes already in memory; `file` is only used in error messages. */
export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): SafetensorsFile {
  const { header, dataStart } = parseHeader(file, buf);
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafetensorsTensor> = {};
  const items: { name: string; begin: number; end: number; dtype: SafetensorsDtype; shape: number[] }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null) throw bad(file, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(file, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    items.push(checkEntry(file, name, value, dataLen));
  }
  items.sort((a, b) => a.begin - b.begin);
  for (const it of items) {
    const ctor = DTYPES[it.dtype];
    const byteOffset = buf.byteOffset + dataStart + it.begin;
    const count = (it.end - it.begin) / ctor.BYTES_PER_ELEMENT;
    let data: SafetensorsData;
    if (byteOffset % ctor.BYTES_PER_ELEMENT === 0) {
      data = new ctor(buf.buffer, byteOffset, count);
    } else {
      data = new ctor(count);
      new Uint8Array(data.buffer).set(buf.subarray(dataStart + it.begin, dataStart + it.end));
    }
    tensors[it.name] = { dtype: it.dtype, shape: it.shape, data };
  }
  return { tensors, metadata };
}

/**
 * Reads only the header (names, dtypes, shapes, metadata) without the tensor bytes;
 * handy for `model info` style commands on big files. Entries are checked as
 * `loadSafetensors` checks them (against the file's size).
 */
export function readSafetensorsHeader(file: string): { tensors: Record<string, { dtype: SafetensorsDtype; shape: number[] }>; metadata: Record<string, string> } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const n = size >= 8 ? Number(lenBuf.readBigUInt64LE(0)) : 0;
    const head = Buffer.alloc(Math.min(size, 8 + Math.min(n, MAX_HEADER_BYTES + 1)));
    fs.readSync(fd, head, 0, head.length, 0);
    const { header, dataStart } = parseHeader(file, head);
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    const tensors: Record<string, { dtype: SafetensorsDtype; shape: number[] }> = {};
    for (const [name, v] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape } = checkEntry(file, name, v, size - dataStart);
      tensors[name] = { dtype, shape };
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Converts a tensor of any float dtype (F32/F64/F16/BF16) to a Float32Array (F32 returned as is). */
export function toFloat32(t: SafetensorsTensor): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  const out = new Float32Array(t.data.length);
  if (t.dtype === 'F64') {
    out.set(t.data as Float64Array);
  } else if (t.dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    const src = t.data as Uint16Array;
    for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  } else if (t.dtype === 'F16') {
    const src = t.data as Uint16Array;
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
  } else {
    throw new LlmtsError('E_SAFETENSORS', `cannot convert dtype ${t.dtype} to float32`, { hint: 'only F64, F32, F16 and BF16 tensors hold weights' });
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

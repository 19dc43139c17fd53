/**
 * GGUF files (ggml's model format, read by llama.cpp): parse and write the container.
 *
 * Layout (little-endian, version 3; version 2 reads the same): magic "GGUF", u32 version,
 * u64 tensor count, u64 metadata count; metadata key/value pairs (key: u64 length + UTF-8
 * bytes; u32 value type; the value: scalars, strings as above, arrays as u32 item type +
 * u64 count + items); tensor infos (name, u32 n_dims, u64 dims[n_dims] with the fastest
 * varying dimension first, u32 ggml type, u64 offset into the data section); zero padding
 * to `general.alignment` (u32, default 32); the tensor data, each tensor starting at an
 * aligned offset. Model semantics (names, hyper-parameters) live in gguf-model.ts.
 *
 * Malformed input of any kind throws `LlmtsError('E_GGUF')` naming the file and the field
 * (key, tensor name, byte offset) at fault.
 *
 * @example
 * const g = parseGguf(readFileSync('m.gguf'), 'm.gguf');
 * metaString(g, 'general.architecture'); // 'llama'
 * g.tensors[0].name;                     // 'token_embd.weight'
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { writeFileAtomic, type Put } from '../util/atomic-write.ts';
import { Q8_0_BLOCK, weightBytes, type WeightType } from './quant.ts';

/** Metadata value types, in the order of their ids (GGUF_TYPE_*). */
const VALUE_TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'] as const;

/** A scalar metadata type. */
export type GgufScalarType = Exclude<(typeof VALUE_TYPES)[number], 'array'>;
/** The JS value of a scalar: numbers, bigint for 64-bit integers, boolean, string. */
export type GgufScalar = number | bigint | boolean | string;

/** One metadata value with its GGUF type (kept, so a file reads back as it was written). */
export type GgufValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: 'array'; itemType: GgufScalarType; values: GgufScalar[] };

/** ggml tensor types we read and write, by id. */
const GGML_TYPE_IDS: Record<WeightType, number> = { F32: 0, F16: 1, Q8_0: 8, BF16: 30 };
const GGML_NAMES = new Map(Object.entries(GGML_TYPE_IDS).map(([k, v]) => [v, k as WeightType]));

/** One tensor of a parsed file: its dims (ggml order: fastest first), type and bytes. */
export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the contiguous (row) length; torch shape = dims reversed. */
  dims: number[];
  type: WeightType;
  /** The tensor's bytes (a view into the file buffer). */
  data: Uint8Array;
}

/** A parsed GGUF file. */
export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  alignment: number;
  /** Where it was read from (for error messages). */
  file: string;
}

/** What `writeGguf` takes: metadata in write order, tensors with their encoded bytes. */
export interface GgufContent {
  metadata: Map<string, GgufValue>;
  tensors: { name: string; dims: number[]; type: WeightType; data: Uint8Array }[];
}

const MAGIC = 0x46554747; // "GGUF"
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;

function bad(file: string, field: string, message: string, hint = 'the file is truncated or not a GGUF file; re-create it (llmts export gguf) or re-download it'): LlmtsError {
  return new LlmtsError('E_GGUF', `${file}: ${field}: ${message}`, { where: `${file}: ${field}`, hint });
}

/** Sequential little-endian reader over a buffer; every read is bounds-checked. */
class Cursor {
  pos = 0;
  private readonly dv: DataView;
  private readonly text = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly buf: Uint8Array, private readonly file: string) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) throw bad(this.file, field, `needs ${n} bytes at offset ${this.pos} but the file has ${this.buf.length}`);
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 that must fit a JS number below `max`. */
  u64(field: string, max: number): number {
    this.need(8, field);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(max)) throw bad(this.file, field, `value ${v} at offset ${this.pos - 8} is larger than ${max}`);
    return Number(v);
  }

  string(field: string): string {
    const n = this.u64(`${field} (string length)`, this.buf.length - this.pos);
    this.need(n, field);
    const bytes = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return this.text.decode(bytes);
    } catch {
      throw bad(this.file, field, `string at offset ${this.pos - n} is not valid UTF-8`);
    }
  }

  scalar(type: GgufScalarType, field: string): GgufScalar {
    const size = SCALAR_BYTES[type];
    if (type === 'string') return this.string(field);
    this.need(size, field);
    const p = this.pos;
    this.pos += size;
    switch (type) {
      case 'uint8': return this.dv.getUint8(p);
      case 'int8': return this.dv.getInt8(p);
      case 'uint16': return this.dv.getUint16(p, true);
      case 'int16': return this.dv.getInt16(p, true);
      case 'uint32': return this.dv.getUint32(p, true);
      case 'int32': return this.dv.getInt32(p, true);
      case 'float32': return this.dv.getFloat32(p, true);
      case 'float64': return this.dv.getFloat64(p, true);
      case 'uint64': return this.dv.getBigUint64(p, true);
      case 'int64': return this.dv.getBigInt64(p, true);
      case 'bool': {
        const b = this.dv.getUint8(p);
        if (b > 1) throw bad(this.file, field, `bool byte is ${b}, expected 0 or 1`);
        return b === 1;
      }
    }
  }
}

/** Bytes of each scalar type (strings: their u64 length prefix at least). */
const SCALAR_BYTES: Record<GgufScalarType, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, string: 8, uint64: 8, int64: 8, float64: 8,
};

function valueType(id: number, file: string, field: string): (typeof VALUE_TYPES)[number] {
  const t = VALUE_TYPES[id];
  if (t === undefined) throw bad(file, field, `unknown value type ${id} (GGUF defines 0..${VALUE_TYPES.length - 1})`);
  return t;
}

/** Parses a whole GGUF file held in memory; see the module comment. */
export function parseGguf(buf: Uint8Array, file = '<buffer>'): GgufFile {
  const c = new Cursor(buf, file);
  if (buf.length < 4 || new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true) !== MAGIC) {
    throw bad(file, 'magic', 'does not start with "GGUF"', 'pass a .gguf file (e.g. from llmts export gguf or llama.cpp\'s convert script)');
  }
  c.pos = 4;
  const version = c.u32('version');
  if (version !== 2 && version !== 3) throw bad(file, 'version', `GGUF version ${version} is not supported (2 and 3 are)`, 'convert the file with a current llama.cpp');
  // Each tensor info takes >= 24 bytes and each key/value >= 13: bounds the counts by the file size.
  const nTensors = c.u64('tensor_count', Math.floor(buf.length / 24));
  const nKv = c.u64('metadata_kv_count', Math.floor(buf.length / 13));
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < nKv; i++) {
    const key = c.string(`metadata[${i}].key`);
    if (metadata.has(key)) throw bad(file, key, 'key appears twice');
    const type = valueType(c.u32(`${key} (value type)`), file, key);
    if (type === 'array') {
      const itemType = valueType(c.u32(`${key} (array item type)`), file, key);
      if (itemType === 'array') throw bad(file, key, 'nested arrays are not supported (llama.cpp does not read them either)');
      const n = c.u64(`${key} (array length)`, Math.floor((buf.length - c.pos) / SCALAR_BYTES[itemType]));
      const values: GgufScalar[] = new Array<GgufScalar>(n);
      for (let j = 0; j < n; j++) values[j] = c.scalar(itemType, `${key}[${j}]`);
      metadata.set(key, { type: 'array', itemType, values });
    } else {
      metadata.set(key, { type, value: c.scalar(type, key) });
    }
  }
  const alignValue = metadata.get('general.alignment');
  let alignment = DEFAULT_ALIGNMENT;
  if (alignValue) {
    if (alignValue.type !== 'uint32') throw bad(file, 'general.alignment', `has type ${alignValue.type}, expected uint32`);
    alignment = alignValue.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw bad(file, 'general.alignment', `${alignment} is not a power of two`);
  }
  const infos: { name: string; dims: number[]; type: WeightType; offset: number; bytes: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = c.string(`tensor[${i}].name`);
    if (names.has(name)) throw bad(file, `tensor ${name}`, 'name appears twice');
    names.add(name);
    const nDims = c.u32(`tensor ${name} (n_dims)`);
    if (nDims < 1 || nDims > MAX_DIMS) throw bad(file, `tensor ${name}`, `has ${nDims} dims; ggml tensors have 1..${MAX_DIMS}`);
    const dims: number[] = [];
    let count = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64(`tensor ${name} (dims[${d}])`, buf.length);
      if (n === 0) throw bad(file, `tensor ${name}`, `dims[${d}] is 0`);
      dims.push(n);
      count *= n;
      if (count > buf.length) throw bad(file, `tensor ${name}`, `dims [${dims.join(', ')}] hold more elements than the file has bytes`);
    }
    const typeId = c.u32(`tensor ${name} (type)`);
    const type = GGML_NAMES.get(typeId);
    if (type === undefined) {
      throw bad(file, `tensor ${name}`, `ggml type ${typeId} is not supported`, 'llm.ts reads F32, F16, BF16 and Q8_0 tensors; requantize the model to one of them (llama-quantize ... Q8_0)');
    }
    if (type === 'Q8_0' && dims[0]! % Q8_0_BLOCK !== 0) throw bad(file, `tensor ${name}`, `Q8_0 rows of ${dims[0]} are not a multiple of ${Q8_0_BLOCK}`);
    const offset = c.u64(`tensor ${name} (offset)`, buf.length);
    if (offset % alignment !== 0) throw bad(file, `tensor ${name}`, `offset ${offset} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, dims, type, offset, bytes: weightBytes(type, count) });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const tensors: GgufTensor[] = infos.map((t) => {
    const begin = dataStart + t.offset;
    if (begin + t.bytes > buf.length) {
      throw bad(file, `tensor ${t.name}`, `data [${begin}, ${begin + t.bytes}) lies beyond the end of the file (${buf.length} bytes)`);
    }
    return { name: t.name, dims: t.dims, type: t.type, data: buf.subarray(begin, begin + t.bytes) };
  });
  return { version, metadata, tensors, alignment, file };
}

/** Reads and parses a GGUF file. */
export function readGguf(file: string): GgufFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new LlmtsError('E_GGUF', `cannot read ${file}: ${(err as Error).message}`, { where: file, hint: 'check the path', cause: err });
  }
  return parseGguf(buf, file);
}

/** True when the first bytes of `buf` are the GGUF magic. */
export function isGgufBytes(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x47 && buf[1] === 0x47 && buf[2] === 0x55 && buf[3] === 0x46;
}

// ---- writing ----

/** Little-endian byte builder for the header part of a file. */
class Builder {
  private parts: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  private fixed(n: number, set: (dv: DataView) => void): void {
    const b = new Uint8Array(n);
    set(new DataView(b.buffer));
    this.bytes(b);
  }

  u32(v: number): void { this.fixed(4, (dv) => dv.setUint32(0, v, true)); }
  u64(v: number | bigint): void { this.fixed(8, (dv) => dv.setBigUint64(0, BigInt(v), true)); }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }

  scalar(type: GgufScalarType, v: GgufScalar, key: string): void {
    const wrong = (): never => {
      throw new LlmtsError('E_GGUF', `metadata ${key}: value ${String(v)} does not fit type ${type}`, { where: key, hint: 'pass a value of the declared type' });
    };
    switch (type) {
      case 'string': return typeof v === 'string' ? this.string(v) : wrong();
      case 'bool': return typeof v === 'boolean' ? this.fixed(1, (dv) => dv.setUint8(0, v ? 1 : 0)) : wrong();
      case 'uint64': case 'int64': {
        if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) return wrong();
        const big = BigInt(v);
        return this.fixed(8, (dv) => (type === 'uint64' ? dv.setBigUint64(0, big, true) : dv.setBigInt64(0, big, true)));
      }
      default: {
        if (typeof v !== 'number') return wrong();
        const [size, lo, hi] = INT_RANGE[type];
        if (lo !== null && (!Number.isInteger(v) || v < lo || v > (hi as number))) return wrong();
        return this.fixed(size, (dv) => {
          switch (type) {
            case 'uint8': dv.setUint8(0, v); break;
            case 'int8': dv.setInt8(0, v); break;
            case 'uint16': dv.setUint16(0, v, true); break;
            case 'int16': dv.setInt16(0, v, true); break;
            case 'uint32': dv.setUint32(0, v, true); break;
            case 'int32': dv.setInt32(0, v, true); break;
            case 'float32': dv.setFloat32(0, v, true); break;
            case 'float64': dv.setFloat64(0, v, true); break;
          }
        });
      }
    }
  }

  /** Writes the parts through `put`. */
  flush(put: Put): void {
    for (const p of this.parts) put(p);
  }
}

/** [bytes, min, max] of the numeric types (min null: any finite float). */
const INT_RANGE: Record<Exclude<GgufScalarType, 'string' | 'bool' | 'uint64' | 'int64'>, [number, number | null, number | null]> = {
  uint8: [1, 0, 0xff], int8: [1, -0x80, 0x7f], uint16: [2, 0, 0xffff], int16: [2, -0x8000, 0x7fff],
  uint32: [4, 0, 0xffffffff], int32: [4, -0x80000000, 0x7fffffff], float32: [4, null, null], float64: [8, null, null],
};

/**
 * Streams a GGUF file through `put`: header, metadata, tensor infos, padding, tensor data
 * (each tensor padded to the alignment, as gguf-py's GGUFWriter and llama.cpp lay it out).
 */
export function encodeGguf(content: GgufContent, put: Put): void {
  const alignValue = content.metadata.get('general.alignment');
  const alignment = alignValue && alignValue.type === 'uint32' ? (alignValue.value as number) : DEFAULT_ALIGNMENT;
  const h = new Builder();
  h.u32(MAGIC);
  h.u32(3);
  h.u64(content.tensors.length);
  h.u64(content.metadata.size);
  for (const [key, v] of content.metadata) {
    h.string(key);
    if (v.type === 'array') {
      h.u32(VALUE_TYPES.indexOf('array'));
      h.u32(VALUE_TYPES.indexOf(v.itemType));
      h.u64(v.values.length);
      for (const x of v.values) h.scalar(v.itemType, x, key);
    } else {
      h.u32(VALUE_TYPES.indexOf(v.type));
      h.scalar(v.type, v.value, key);
    }
  }
  let offset = 0;
  const padded = (n: number) => Math.ceil(n / alignment) * alignment;
  for (const t of content.tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== weightBytes(t.type, count) || (t.type === 'Q8_0' && t.dims[0]! % Q8_0_BLOCK !== 0)) {
      throw new LlmtsError('E_GGUF', `tensor ${t.name}: ${t.data.length} bytes do not hold dims [${t.dims.join(', ')}] of ${t.type}`, { where: t.name, hint: 'encode the data with encodeWeights(type, ...)' });
    }
    h.string(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(GGML_TYPE_IDS[t.type]);
    h.u64(offset);
    offset += padded(t.data.length);
  }
  h.bytes(new Uint8Array(padded(h.length) - h.length));
  h.flush(put);
  for (const t of content.tensors) {
    put(t.data);
    put(new Uint8Array(padded(t.data.length) - t.data.length));
  }
}

/** Writes a GGUF file atomically (temp file + rename). */
export function writeGguf(file: string, content: GgufContent): void {
  writeFileAtomic(file, (put) => encodeGguf(content, put));
}

/** The file's bytes in memory (tests, small files); a plain Uint8Array (not a Buffer, whose slice() is a view). */
export function ggufBytes(content: GgufContent): Uint8Array {
  const parts: Uint8Array[] = [];
  encodeGguf(content, (p) => parts.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p.slice()));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- metadata access ----

/** A required metadata value; E_GGUF naming the key when it is missing. */
export function metaValue(g: GgufFile, key: string): GgufValue {
  const v = g.metadata.get(key);
  if (!v) throw bad(g.file, key, 'is missing', `a GGUF model needs ${key}; re-export it with llmts export gguf or llama.cpp's convert script`);
  return v;
}

/** A string metadata value (required). */
export function metaString(g: GgufFile, key: string): string {
  const v = metaValue(g, key);
  if (v.type !== 'string') throw bad(g.file, key, `has type ${v.type}, expected string`);
  return v.value as string;
}

/**
 * A numeric metadata value (any integer or float type; 64-bit values must be safe
 * integers). float32 values come back as the shortest decimal that rounds to them
 * (1e-5 stored as float32 reads 1e-5, not 9.99999974e-6).
 */
export function metaNumber(g: GgufFile, key: string, fallback?: number): number {
  const v = g.metadata.get(key);
  if (!v && fallback !== undefined) return fallback;
  const val = metaValue(g, key);
  if (val.type === 'array' || val.type === 'string' || val.type === 'bool') throw bad(g.file, key, `has type ${val.type}, expected a number`);
  const x = val.value;
  if (typeof x === 'bigint') {
    if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER)) throw bad(g.file, key, `${x} is too large`);
    return Number(x);
  }
  return val.type === 'float32' ? shortestFloat32(x as number) : (x as number);
}

/** The shortest decimal whose float32 rounding is `x` (x itself a float32 value). */
function shortestFloat32(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const v = Number(x.toPrecision(digits));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

/** An array metadata value of the given item types (required unless `optional`). */
export function metaArray(g: GgufFile, key: string, itemTypes: readonly GgufScalarType[], optional = false): GgufScalar[] | undefined {
  const v = g.metadata.get(key);
  if (!v && optional) return undefined;
  const val = metaValue(g, key);
  if (val.type !== 'array' || !itemTypes.includes(val.itemType)) {
    throw bad(g.file, key, `has type ${val.type === 'array' ? `array of ${val.itemType}` : val.type}, expected an array of ${itemTypes.join(' or ')}`);
  }
  return val.values;
}

/**
 * Token shards: our own self-describing binary file of token ids.
 *
 * Layout (little-endian), 32-byte header then the ids:
 *   0  magic    8 bytes  "LLMTSTOK"
 *   8  version  uint32   1
 *  12  dtype    uint32   2 = uint16 ids, 4 = uint32 ids (the byte width)
 *  16  count    uint64   number of ids
 *  24  vocab    uint32   vocabulary size the ids index (0 = unknown)
 *  28  reserved uint32   0
 *  32  ids      count * dtype bytes
 * The file size must be exactly 32 + count * dtype; anything else (a truncated copy, a
 * different file) is reported naming the file.
 *
 * @example
 * writeShard('out/train-000.bin', [5, 7, 9], { vocabSize: 65 });  // uint16 ids
 * readShard('out/train-000.bin').ids;                              // Uint16Array [5, 7, 9]
 */
import { closeSync, openSync, readFileSync, realpathSync, renameSync, statSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { LlmtsError } from '../util/errors.ts';

export const SHARD_MAGIC = 'LLMTSTOK';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 32;

/** Ids of one shard, as stored (uint16 when the vocabulary fits, else uint32). */
export type ShardIds = Uint16Array | Uint32Array;

export interface Shard {
  ids: ShardIds;
  /** Vocabulary size recorded in the header (0 = unknown). */
  vocabSize: number;
}

/** 2 (uint16) when every id of a `vocabSize` vocabulary fits in 16 bits, else 4. */
export function dtypeFor(vocabSize: number): 2 | 4 {
  return vocabSize > 0 && vocabSize <= 65536 ? 2 : 4;
}

/** Encodes a shard's header. */
function header(dtype: 2 | 4, count: number, vocabSize: number): Buffer {
  const h = Buffer.alloc(SHARD_HEADER_BYTES);
  h.write(SHARD_MAGIC, 0, 'latin1');
  h.writeUInt32LE(SHARD_VERSION, 8);
  h.writeUInt32LE(dtype, 12);
  h.writeBigUInt64LE(BigInt(count), 16);
  h.writeUInt32LE(vocabSize >>> 0, 24);
  return h;
}

/**
 * Writes `ids` to `path` atomically (a temporary file renamed into place). The dtype is
 * uint16 when `vocabSize` <= 65536, else uint32; an id outside [0, vocabSize) is an error.
 */
export function writeShard(path: string, ids: ArrayLike<number>, opts: { vocabSize: number }): void {
  const dtype = dtypeFor(opts.vocabSize);
  const arr = dtype === 2 ? new Uint16Array(ids.length) : new Uint32Array(ids.length);
  const limit = opts.vocabSize > 0 ? opts.vocabSize : 2 ** 32;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < limit)) {
      throw new LlmtsError('E_SHARD', `id ${v} at position ${i} is outside [0, ${limit})`, { where: path, hint: 'tokenize with the tokenizer whose vocabulary size you pass' });
    }
    arr[i] = v;
  }
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, header(dtype, ids.length, opts.vocabSize));
    writeSync(fd, new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** True when `path` is `dir` itself or below it (both already resolved). */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * The path of a file that a data folder's meta.json names (a shard, the tokenizer),
 * checked to stay inside the folder: `name` must be a relative path without `..`
 * segments, and once symlinks are resolved it must still lie inside `dir` and be a
 * regular file, so a meta.json cannot make llmts read (and report on) a file elsewhere
 * on the machine. `field` names the entry in errors (e.g. "train[0].file").
 */
export function dataFilePath(dir: string, name: unknown, field: string): string {
  const metaPath = join(dir, 'meta.json');
  const refuse = (why: string): LlmtsError =>
    new LlmtsError('E_SHARD', `meta.json ${field} ${why}`, { where: metaPath, hint: 'meta.json names files inside its own folder (e.g. "train-000.bin"); re-run `llmts data tokenize`' });
  if (typeof name !== 'string' || name === '') throw refuse(`must be a file name, got ${name === '' ? 'an empty string' : name === null ? 'null' : typeof name}`);
  if (name.includes('\0')) throw refuse('holds a NUL character');
  const shown = JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}...` : name);
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw refuse(`is an absolute path (${shown}); only files inside the data folder are read`);
  if (name.split(/[\\/]/).includes('..')) throw refuse(`leads out of the data folder (${shown}: a ".." segment)`);
  const path = join(dir, name);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return path; // missing: reported by the reader, naming the path
  }
  if (!isInside(realpathSync(dir), real)) throw refuse(`is a link that leads out of the data folder (${shown})`);
  if (!statSync(real).isFile()) throw refuse(`is not a regular file (${shown})`);
  return path;
}

/** Reads and checks a shard; every problem is an `E_SHARD` error naming the file (never echoing its bytes). */
export function readShard(path: string): Shard {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new LlmtsError('E_SHARD', `cannot read token shard ${path}`, { where: path, hint: 'check the path (run `llmts data tokenize` to make shards)', cause: err });
  }
  const bad = (what: string, hint = 're-create it with `llmts data tokenize`'): LlmtsError =>
    new LlmtsError('E_SHARD', `${path} is not a valid llmts token shard: ${what}`, { where: path, hint });
  if (buf.length < SHARD_HEADER_BYTES) throw bad(`${buf.length} bytes, shorter than the ${SHARD_HEADER_BYTES}-byte header`);
  const magic = buf.toString('latin1', 0, 8);
  // the bytes are not shown: the file may be anything, and its contents are not ours to print
  if (magic !== SHARD_MAGIC) throw bad(`it does not start with the magic "${SHARD_MAGIC}" (a different kind of file)`);
  const version = buf.readUInt32LE(8);
  if (version !== SHARD_VERSION) throw bad(`version ${version}; this llmts reads version ${SHARD_VERSION}`, 'upgrade llmts or re-create the shard');
  const dtype = buf.readUInt32LE(12);
  if (dtype !== 2 && dtype !== 4) throw bad(`dtype ${dtype}; expected 2 (uint16) or 4 (uint32)`);
  const count = Number(buf.readBigUInt64LE(16));
  const vocabSize = buf.readUInt32LE(24);
  const expected = SHARD_HEADER_BYTES + count * dtype;
  if (buf.length !== expected) {
    throw bad(`${buf.length} bytes, but the header announces ${count} ids (${expected} bytes)${buf.length < expected ? ': the file is truncated' : ''}`);
  }
  // copy into an aligned buffer of its own (readFileSync may return a view at any offset)
  const body = buf.subarray(SHARD_HEADER_BYTES);
  const bytes = new Uint8Array(body.length);
  bytes.set(body);
  const ids = dtype === 2 ? new Uint16Array(bytes.buffer) : new Uint32Array(bytes.buffer);
  if (vocabSize > 0) {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! >= vocabSize) throw bad(`id ${ids[i]} at position ${i} is not below the recorded vocabulary size ${vocabSize}`);
    }
  }
  return { ids, vocabSize };
}

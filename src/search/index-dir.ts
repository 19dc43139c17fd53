/**
 * A search index on disk: one directory, written to a temporary sibling and renamed into
 * place (an existing index is swapped out only once the new one is whole), holding
 *
 *   manifest.json  format 'llmts-search-index', version, the embedding model, chunking,
 *                  counts, the vector file's and the ANN file's sizes and SHA-256
 *   chunks.jsonl   one chunk a line: {"source", "start", "end", "text"} (chunk.ts)
 *   vectors.bin    'LLMTSVEC', u32 version, u32 count, u32 dim, u32 0, then count * dim
 *                  little-endian float32 (unit vectors, chunk order)
 *   ann.usearch    the HNSW graph (ann.ts), only for collections of `annMinChunks`+ chunks
 *
 * BM25 is not stored: it is rebuilt from chunks.jsonl when the index loads (a pass over
 * the text). Reading checks everything before use: a missing or malformed file or field is
 * an E_INDEX error naming it, and a vector or graph file whose size or digest differs from
 * the manifest's is refused before its bytes are parsed.
 *
 * @example
 * writeIndexDir('runs/idx', { manifest, chunks, vectors });
 * const { manifest, chunks, vectors } = readIndexDir('runs/idx');
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import type { Chunk } from './chunk.ts';
import type { AnnParams } from './ann.ts';

export const INDEX_FORMAT = 'llmts-search-index';
export const INDEX_VERSION = 1;
const VEC_MAGIC = 'LLMTSVEC';
const VEC_VERSION = 1;
const VEC_HEADER = 24;

/** What manifest.json holds. */
export interface IndexManifest {
  format: typeof INDEX_FORMAT;
  version: number;
  /** The embedding model (absolute path at build time) and how it pooled. */
  model: string;
  pooling: 'mean';
  dim: number;
  chunks: number;
  chunking: { maxWords: number; overlap: number };
  /** The indexed files, in order. */
  sources: string[];
  vectors: { file: 'vectors.bin'; bytes: number; sha256: string };
  ann: ({ file: 'ann.usearch'; bytes: number; sha256: string } & AnnParams) | null;
}

/** An index as read from disk (the ANN file is checked, not loaded: see index-search.ts). */
export interface IndexFiles {
  dir: string;
  manifest: IndexManifest;
  chunks: Chunk[];
  /** (chunks, dim) unit vectors. */
  vectors: Float32Array;
}

function indexError(where: string, what: string, hint = 'rebuild it with llmts index build'): LlmtsError {
  return new LlmtsError('E_INDEX', `${where}: ${what}`, { where, hint });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The vector file's bytes. */
export function vectorFileBytes(vectors: Float32Array, dim: number): Uint8Array {
  const count = dim > 0 ? vectors.length / dim : 0;
  const out = new Uint8Array(VEC_HEADER + vectors.length * 4);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(VEC_MAGIC, 'latin1'), 0);
  view.setUint32(8, VEC_VERSION, true);
  view.setUint32(12, count, true);
  view.setUint32(16, dim, true);
  view.setUint32(20, 0, true);
  for (let i = 0; i < vectors.length; i++) view.setFloat32(VEC_HEADER + 4 * i, vectors[i]!, true);
  return out;
}

/** Parses a vector file, checking it holds `count` x `dim` finite numbers. */
export function parseVectorFile(bytes: Uint8Array, where: string, count: number, dim: number): Float32Array {
  if (bytes.length < VEC_HEADER || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== VEC_MAGIC) throw indexError(where, `not an llmts vector file (no ${VEC_MAGIC} header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true), n = view.getUint32(12, true), d = view.getUint32(16, true);
  if (version !== VEC_VERSION) throw indexError(where, `vector file version ${version}; this llmts reads version ${VEC_VERSION}`);
  if (n !== count || d !== dim) throw indexError(where, `holds ${n} vectors of ${d} dimensions; the manifest says ${count} of ${dim}`);
  if (bytes.length !== VEC_HEADER + n * d * 4) throw indexError(where, `is ${bytes.length} bytes; ${n} x ${d} vectors take ${VEC_HEADER + n * d * 4}`);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(VEC_HEADER + 4 * i, true);
    if (!Number.isFinite(v)) throw indexError(where, `vector ${Math.floor(i / d)} holds a non-finite number`);
    out[i] = v;
  }
  return out;
}

/** What `writeIndexDir` writes; `ann` saves the graph into the file it is given. */
export interface IndexContent {
  manifest: Omit<IndexManifest, 'format' | 'version' | 'vectors' | 'ann'>;
  chunks: readonly Chunk[];
  vectors: Float32Array;
  ann?: { params: AnnParams; save: (file: string) => void } | null;
}

/** True when `dir` is absent, empty, or an index (so replacing it loses nothing else). */
function replaceable(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) return false;
  if (readdirSync(dir).length === 0) return true;
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown }).format === INDEX_FORMAT;
  } catch {
    return false;
  }
}

/** Writes the index directory atomically (see the module comment); replaces only an older index or an empty folder. */
export function writeIndexDir(dir: string, c: IndexContent): void {
  const target = resolve(dir);
  if (!replaceable(target)) {
    throw new LlmtsError('E_INDEX', `${dir} exists and is not a search index; refusing to replace it`, { where: '--out', hint: 'pass a new folder (or an index built before)' });
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const vec = vectorFileBytes(c.vectors, c.manifest.dim);
    writeFileAtomic(join(tmp, 'vectors.bin'), (put) => put(vec));
    writeFileAtomic(join(tmp, 'chunks.jsonl'), (put) => { for (const ch of c.chunks) put(JSON.stringify({ source: ch.source, start: ch.start, end: ch.end, text: ch.text }) + '\n'); });
    let ann: IndexManifest['ann'] = null;
    if (c.ann) {
      c.ann.save(join(tmp, 'ann.usearch'));
      const bytes = readFileSync(join(tmp, 'ann.usearch'));
      ann = { file: 'ann.usearch', bytes: bytes.length, sha256: sha256(bytes), ...c.ann.params };
    }
    const manifest: IndexManifest = { format: INDEX_FORMAT, version: INDEX_VERSION, ...c.manifest, vectors: { file: 'vectors.bin', bytes: vec.length, sha256: sha256(vec) }, ann };
    writeFileAtomic(join(tmp, 'manifest.json'), (put) => put(JSON.stringify(manifest, null, 2) + '\n'));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = join(dirname(target), `.${basename(target)}.old-${process.pid}`);
  const had = existsSync(target);
  if (had) renameSync(target, old);
  renameSync(tmp, target);
  if (had) rmSync(old, { recursive: true, force: true });
}

function field<T>(m: Record<string, unknown>, name: string, where: string, ok: (v: unknown) => v is T, want: string): T {
  const v = m[name];
  if (!ok(v)) throw indexError(`${where}: ${name}`, `must be ${want}, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 31;
const isDim = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65536;
const isString = (v: unknown): v is string => typeof v === 'string';
const isHex = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks manifest.json's text (see the module comment). */
export function parseManifest(text: string, where: string): IndexManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw indexError(where, `is not JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) throw indexError(where, 'must be a JSON object');
  if (raw.format !== INDEX_FORMAT) throw indexError(`${where}: format`, `must be '${INDEX_FORMAT}', got ${JSON.stringify(raw.format) ?? 'nothing'}`, 'pass a folder written by llmts index build');
  const version = field(raw, 'version', where, isCount, 'an integer');
  if (version !== INDEX_VERSION) throw indexError(`${where}: version`, `is ${version}; this llmts reads version ${INDEX_VERSION}`);
  const chunking = field(raw, 'chunking', where, isObject, 'an object');
  const vectors = field(raw, 'vectors', where, isObject, 'an object');
  const sources = field(raw, 'sources', where, (v): v is string[] => Array.isArray(v) && v.every(isString), 'an array of strings');
  const annRaw = raw.ann;
  let ann: IndexManifest['ann'] = null;
  if (annRaw !== null) {
    if (!isObject(annRaw)) throw indexError(`${where}: ann`, 'must be an object or null');
    ann = {
      file: 'ann.usearch', bytes: field(annRaw, 'bytes', `${where}: ann`, isCount, 'a byte count'), sha256: field(annRaw, 'sha256', `${where}: ann`, isHex, 'a SHA-256 in hex'),
      connectivity: field(annRaw, 'connectivity', `${where}: ann`, isDim, 'an integer 1..65536'),
      expansionAdd: field(annRaw, 'expansionAdd', `${where}: ann`, isDim, 'an integer 1..65536'),
      expansionSearch: field(annRaw, 'expansionSearch', `${where}: ann`, isDim, 'an integer 1..65536'),
    };
  }
  const pooling = field(raw, 'pooling', where, (v): v is 'mean' => v === 'mean', "'mean'");
  return {
    format: INDEX_FORMAT, version, model: field(raw, 'model', where, isString, 'a path'), pooling,
    dim: field(raw, 'dim', where, isDim, 'an integer 1..65536'), chunks: field(raw, 'chunks', where, isCount, 'a chunk count'),
    chunking: { maxWords: field(chunking, 'maxWords', `${where}: chunking`, isDim, 'an integer 1..65536'), overlap: field(chunking, 'overlap', `${where}: chunking`, isCount, 'an integer >= 0') },
    sources,
    vectors: { file: 'vectors.bin', bytes: field(vectors, 'bytes', `${where}: vectors`, isCount, 'a byte count'), sha256: field(vectors, 'sha256', `${where}: vectors`, isHex, 'a SHA-256 in hex') },
    ann,
  };
}

/** Parses chunks.jsonl's text: exactly `count` chunks with in-range offsets. */
export function parseChunks(text: string, where: string, count: number): Chunk[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== count) throw indexError(where, `holds ${lines.length} chunks; the manifest says ${count}`);
  return lines.map((line, i) => {
    const at = `${where}:${i + 1}`;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      throw indexError(at, 'is not a JSON object');
    }
    if (!isObject(r)) throw indexError(at, 'is not a JSON object');
    const source = field(r, 'source', at, isString, 'a string'), t = field(r, 'text', at, isString, 'a string');
    const start = field(r, 'start', at, isCount, 'an offset'), end = field(r, 'end', at, isCount, 'an offset');
    if (end < start) throw indexError(at, `end ${end} is before start ${start}`);
    return { source, start, end, text: t };
  });
}

function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LlmtsError('E_INDEX', `${file}: ${code === 'ENOENT' ? 'missing' : `cannot read (${code ?? String(err)})`}: ${what}`, {
      where: file, hint: 'pass a folder written by llmts index build (--index DIR)', cause: err });
  }
}

/** Reads and checks an index directory (the ANN file's digest too, without loading it). */
export function readIndexDir(dir: string): IndexFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LlmtsError('E_INDEX', `${dir} is not a folder`, { where: '--index', hint: 'pass the folder written by llmts index build --out DIR' });
  }
  const mPath = join(dir, 'manifest.json');
  const manifest = parseManifest(readBytes(mPath, 'the index manifest').toString('utf8'), mPath);
  const cPath = join(dir, 'chunks.jsonl');
  const chunks = parseChunks(readBytes(cPath, 'the chunk texts').toString('utf8'), cPath, manifest.chunks);
  const vPath = join(dir, manifest.vectors.file);
  const vbytes = readBytes(vPath, 'the chunk vectors');
  if (vbytes.length !== manifest.vectors.bytes || sha256(vbytes) !== manifest.vectors.sha256) throw indexError(vPath, 'does not match the size and SHA-256 in manifest.json (changed or damaged)');
  const vectors = parseVectorFile(vbytes, vPath, manifest.chunks, manifest.dim);
  if (manifest.ann) {
    const aPath = join(dir, manifest.ann.file);
    const abytes = readBytes(aPath, 'the HNSW graph');
    if (abytes.length !== manifest.ann.bytes || sha256(abytes) !== manifest.ann.sha256) throw indexError(aPath, 'does not match the size and SHA-256 in manifest.json (changed or damaged)');
  }
  return { dir, manifest, chunks, vectors };
}

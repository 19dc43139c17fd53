/**
 * Mutators of the fuzz test (test/fuzz/fuzz.test.ts) and of `npm run bench -- fuzz`: they
 * turn a valid seed input into a broken one, and log every step in words so that a
 * finding can be reproduced and reduced by hand.
 *
 * - bytes: bit flips, interesting bytes and int32s (0, -1, 2^31-1, ...), inserted and
 *   deleted ranges, truncation, duplicated chunks, splices from another seed;
 * - text: the byte mutations plus line-level ones (drop, duplicate, swap, insert a
 *   strange line);
 * - JSON: walk down the parsed tree to a node (structure more often than leaves) and
 *   replace it with null, an array, an object, huge or negative numbers, strange
 *   strings, another node of the tree; or delete it, duplicate it, add a key.
 *
 * Everything draws from one `Rng`, so (seed, index) gives the same input every time.
 *
 * @example
 * const rng = new Rng(hash32(seed, index));
 * const m = mutateJson(rng, JSON.parse(seedText));  // m.value, m.log: ['post_processor.single[0] := null']
 */
import type { Rng } from '../../src/util/rng.ts';

/** A mutated input and what was done to it. */
export interface Mutated<T> {
  value: T;
  log: string[];
}

/** Values a JSON node is replaced with. */
const JSON_VALUES: readonly unknown[] = [
  null, [], {}, [null], { '': null }, true, false, 0, -1, 1, 0.5, -0.5, 1e308, -1e308, 2 ** 31, -(2 ** 31), 2 ** 32,
  2 ** 53, 1e15, 65536, 100000, 5_000_000, 2 ** 24 - 1, '', ' ', 'x', '\u0000', '\ud800', '\uffff', '<unk>', '[UNK]', '<s>', 'BPE', 'WordPiece',
  '../../../../etc/passwd', '__proto__', 'constructor', '-1', '1e309', 'NaN', 'a'.repeat(5000),
  // component names of tokenizer.json / config.json, to reach other branches of the readers
  'Sequence', 'TemplateProcessing', 'BertProcessing', 'ByteLevel', 'Split', 'Fuse', 'Metaspace', 'Isolated', 'gpt2', 'llama',
];

/** Strings inserted into text as whole lines. */
const STRANGE_LINES: readonly string[] = [
  '', ' ', '\t', '\u0000', '\r', 'a b', 'x'.repeat(3000), '[UNK]', '##', '=', '==== 0', 'AAAA -1', 'AAAA 1e9',
  'AAAA 99999999999999999999', '!!!! 5', '\ufeff', '\ud800', '{', '}', '[', ']', '"', '\\', '<', '</', '<!--', '<![CDATA[',
  '{"text": null}', '{"text": 1}', '{"text": ["a"]}', '"text"', ',,,,', '"a""b', '"unterminated', '\u2028',
];

const INT32S: readonly number[] = [0, 1, -1, 0x7fffffff, -0x80000000, 0x7fff, 0xffff, 255, 256, 1000000, 1 << 30];

/** How many mutations to stack: 1 most often, up to 4. */
function stackDepth(rng: Rng): number {
  let n = 1;
  while (n < 4 && rng.uniform() < 0.35) n++;
  return n;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/**
 * A position in `buf`: with `focus` bytes given, half the time inside the first `focus`
 * bytes (headers), else anywhere.
 */
function position(rng: Rng, length: number, focus: number): number {
  if (length === 0) return 0;
  if (focus > 0 && rng.uniform() < 0.5) return rng.int(Math.min(focus, length));
  return rng.int(length);
}

/** One byte-level mutation of `buf` (a new array); `others` are seeds to splice from. */
function mutateBytesOnce(rng: Rng, buf: Uint8Array, log: string[], focus: number, others: readonly Uint8Array[]): Uint8Array {
  const n = buf.length;
  const op = rng.int(9);
  const at = position(rng, n, focus);
  switch (op) {
    case 0: {
      if (n === 0) break;
      const out = new Uint8Array(buf); // a copy: a Buffer's slice() is a view of its (maybe shared) memory
      const bit = rng.int(8);
      out[at] = out[at]! ^ (1 << bit);
      log.push(`flip bit ${bit} of byte ${at}`);
      return out;
    }
    case 1: {
      if (n === 0) break;
      const out = new Uint8Array(buf); // a copy: a Buffer's slice() is a view of its (maybe shared) memory
      const v = pick(rng, [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x22, 0x7b]);
      out[at] = v;
      log.push(`set byte ${at} = 0x${v.toString(16)}`);
      return out;
    }
    case 2: {
      if (n < 4) break;
      const out = new Uint8Array(buf); // a copy: a Buffer's slice() is a view of its (maybe shared) memory
      const p = Math.min(at, n - 4);
      const v = pick(rng, INT32S);
      new DataView(out.buffer, out.byteOffset, out.byteLength).setInt32(p, v, true);
      log.push(`set int32 at ${p} = ${v}`);
      return out;
    }
    case 3: {
      const len = 1 + rng.int(16);
      const ins = new Uint8Array(len);
      for (let i = 0; i < len; i++) ins[i] = rng.int(256);
      log.push(`insert ${len} random bytes at ${at}`);
      return concat(buf.subarray(0, at), ins, buf.subarray(at));
    }
    case 4: {
      if (n === 0) break;
      const len = 1 + rng.int(Math.min(64, n - at));
      log.push(`delete bytes ${at}..${at + len}`);
      return concat(buf.subarray(0, at), buf.subarray(at + len));
    }
    case 5: {
      log.push(`truncate to ${at} bytes`);
      return new Uint8Array(buf.subarray(0, at));
    }
    case 6: {
      if (n === 0) break;
      const len = 1 + rng.int(Math.min(256, n - at));
      const to = rng.int(n + 1);
      log.push(`copy bytes ${at}..${at + len} to ${to}`);
      return concat(buf.subarray(0, to), buf.subarray(at, at + len), buf.subarray(to));
    }
    case 7: {
      const other = others.length > 0 ? pick(rng, others) : buf;
      if (other.length === 0) break;
      const from = rng.int(other.length);
      log.push(`splice: bytes ${at}.. replaced by another seed's bytes ${from}..`);
      return concat(buf.subarray(0, at), other.subarray(from));
    }
    default: {
      const digits = new TextEncoder().encode(String(pick(rng, [0, -1, 99999999999, 1e308, 4294967296, 65535])));
      log.push(`insert ${new TextDecoder().decode(digits)} at ${at}`);
      return concat(buf.subarray(0, at), digits, buf.subarray(at));
    }
  }
  log.push('empty input');
  return new Uint8Array(0);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** 1-4 byte-level mutations; `focus` > 0 aims half of them at the first `focus` bytes. */
export function mutateBytes(rng: Rng, buf: Uint8Array, opts: { focus?: number; others?: readonly Uint8Array[] } = {}): Mutated<Uint8Array> {
  const log: string[] = [];
  let out = buf;
  for (let k = stackDepth(rng); k > 0; k--) out = mutateBytesOnce(rng, out, log, opts.focus ?? 0, opts.others ?? []);
  return { value: out, log };
}

/** 1-4 line-level or byte-level mutations of a text. */
export function mutateText(rng: Rng, text: string, others: readonly string[] = []): Mutated<string> {
  const log: string[] = [];
  let out = text;
  for (let k = stackDepth(rng); k > 0; k--) {
    if (rng.uniform() < 0.35) {
      const m = mutateBytesOnce(rng, new TextEncoder().encode(out), log, 0, others.map((o) => new TextEncoder().encode(o)));
      out = new TextDecoder().decode(m);
      continue;
    }
    const lines = out.split('\n');
    const i = rng.int(lines.length);
    const op = rng.int(5);
    if (op === 0 && lines.length > 1) {
      log.push(`drop line ${i + 1}`);
      lines.splice(i, 1);
    } else if (op === 1) {
      log.push(`duplicate line ${i + 1}`);
      lines.splice(i, 0, lines[i]!);
    } else if (op === 2) {
      const j = rng.int(lines.length);
      log.push(`swap lines ${i + 1} and ${j + 1}`);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    } else if (op === 3) {
      const s = pick(rng, STRANGE_LINES);
      log.push(`insert line ${JSON.stringify(s.slice(0, 30))} before line ${i + 1}`);
      lines.splice(i, 0, s);
    } else {
      const s = pick(rng, STRANGE_LINES);
      const at = rng.int(lines[i]!.length + 1);
      log.push(`insert ${JSON.stringify(s.slice(0, 30))} into line ${i + 1} at ${at}`);
      lines[i] = lines[i]!.slice(0, at) + s + lines[i]!.slice(at);
    }
    out = lines.join('\n');
  }
  return { value: out, log };
}

type JsonContainer = Record<string, unknown> | unknown[];

function isContainer(x: unknown): x is JsonContainer {
  return typeof x === 'object' && x !== null;
}

/** Every node of the tree (for splicing one node into another place); bounded. */
function someNodes(root: unknown, rng: Rng, max = 200): unknown[] {
  const out: unknown[] = [];
  const visit = (x: unknown, depth: number): void => {
    if (out.length >= max || depth > 20) return;
    out.push(x);
    if (!isContainer(x)) return;
    const keys = Object.keys(x);
    // large containers (vocabularies): a sample of their children
    const chosen = keys.length <= 8 ? keys : Array.from({ length: 8 }, () => keys[rng.int(keys.length)]!);
    for (const k of chosen) visit((x as Record<string, unknown>)[k], depth + 1);
  };
  visit(root, 0);
  return out;
}

/** Walks from the root into random children; stops at a leaf, or early with probability 0.3 per level. */
function walk(rng: Rng, root: unknown): { parent: JsonContainer | null; key: string; path: string } {
  let parent: JsonContainer | null = null;
  let key = '';
  let path = '';
  let cur = root;
  while (isContainer(cur)) {
    const keys = Object.keys(cur);
    if (keys.length === 0 || (parent !== null && rng.uniform() < 0.3)) break;
    key = keys[rng.int(keys.length)]!;
    path += Array.isArray(cur) ? `[${key}]` : path === '' ? key : `.${key}`;
    parent = cur;
    cur = (cur as Record<string, unknown>)[key];
  }
  return { parent, key, path: path === '' ? '(root)' : path };
}

function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** One JSON-aware mutation; returns the new root (the tree is mutated in place). */
function mutateJsonOnce(rng: Rng, root: unknown, log: string[]): unknown {
  const { parent, key, path } = walk(rng, root);
  const cur = parent === null ? root : (parent as Record<string, unknown>)[key];
  const op = rng.int(10);
  let value: unknown;
  if (op <= 4) value = structuredClone(pick(rng, JSON_VALUES));
  else if (op === 5) value = structuredClone(pick(rng, someNodes(root, rng)));
  else if (op === 6 && typeof cur === 'number') value = pick(rng, [-cur, cur + 1, cur - 1, cur * 1e6, cur + 0.5, -cur - 1]);
  else if (op === 6 && typeof cur === 'string') value = pick(rng, [cur + cur, cur.slice(1), `${cur}\u0000`, cur.toUpperCase(), [...cur].reverse().join('')]);
  else if (op === 7 && parent !== null) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
    log.push(`delete ${path}`);
    return root;
  } else if (op === 8 && Array.isArray(cur)) {
    const extra = cur.length > 0 ? structuredClone(cur[rng.int(cur.length)]) : null;
    const at = rng.int(cur.length + 1);
    cur.splice(at, 0, extra);
    log.push(`insert ${shown(extra)} into ${path} at ${at}`);
    return root;
  } else if (op === 8 && isContainer(cur)) {
    const k = pick(rng, ['type', 'id', 'ids', 'vocab', 'merges', 'content', '', '__proto__', 'extra']);
    const v = structuredClone(pick(rng, JSON_VALUES));
    (cur as Record<string, unknown>)[k] = v;
    log.push(`set ${path}.${k} := ${shown(v)}`);
    return root;
  } else value = structuredClone(pick(rng, JSON_VALUES));
  log.push(`${path} := ${shown(value)}`);
  if (parent === null) return value;
  (parent as Record<string, unknown>)[key] = value;
  return root;
}

/** 1-4 JSON-aware mutations of a parsed value (which is cloned first). */
export function mutateJson(rng: Rng, value: unknown): Mutated<unknown> {
  const log: string[] = [];
  let out = structuredClone(value);
  for (let k = stackDepth(rng); k > 0; k--) out = mutateJsonOnce(rng, out, log);
  return { value: out, log };
}

/**
 * A JSON file's text after mutation: mostly JSON-aware (then serialised), sometimes the
 * serialised text mutated byte-wise (broken syntax).
 */
export function mutateJsonText(rng: Rng, value: unknown): Mutated<string> {
  if (rng.uniform() < 0.8) {
    const m = mutateJson(rng, value);
    return { value: JSON.stringify(m.value) ?? 'null', log: m.log };
  }
  return mutateText(rng, JSON.stringify(value));
}

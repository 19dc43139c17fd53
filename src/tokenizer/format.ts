/**
 * Recognises a tokenizer file by its content: a JSON object (tokenizer.json or the old
 * llmts char file), a llama2.c tokenizer.bin (binary: a plausible max_token_length, then
 * <unk>, <s>, </s> as its first entries), a tiktoken rank file (`base64 rank` lines) or a
 * BERT vocab.txt (text, one token per line, no spaces). The name only decides between the
 * text formats (a text file named .json or .tiktoken goes to that parser). Anything
 * else is `E_NOT_TOKENIZER`: "X is not a tokenizer file (why; expected ...)", with a guess
 * at what it is (a PNG image, a safetensors file, ...).
 *
 * @example
 * detectTokenizerFormat(readFileSync('tok512.bin'), 'tok512.bin')  // 'llama2c-bin'
 * detectTokenizerFormat(readFileSync('logo.png'), 'logo.png')      // throws E_NOT_TOKENIZER ("it looks like a PNG image")
 */
import { LlmtsError } from '../util/errors.ts';

/** The tokenizer file formats `loadTokenizer` reads. */
export type TokenizerFileFormat = 'json' | 'llama2c-bin' | 'tiktoken' | 'vocab-txt';

const EXPECTED = 'expected a tokenizer.json, a BERT vocab.txt, a tiktoken .tiktoken file or a llama2.c tokenizer.bin';

/** The error for a file that is no tokenizer file; `why` says what was found. */
export function notTokenizerFile(path: string, why: string): LlmtsError {
  return new LlmtsError('E_NOT_TOKENIZER', `${path} is not a tokenizer file (${why}; ${EXPECTED})`, {
    where: path, hint: 'pass a tokenizer file, a folder holding tokenizer.json or vocab.txt, or a built-in name (gpt2, cl100k, bert-base-uncased)' });
}

/** Well-known binary formats, by their first bytes. */
const MAGICS: [string, number[]][] = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a zip archive', [0x50, 0x4b, 0x03, 0x04]],
  ['a gzip file', [0x1f, 0x8b]],
  ['a GGUF model', [0x47, 0x47, 0x55, 0x46]],
  ['an llmts token shard', [...'LLMTSTOK'].map((c) => c.charCodeAt(0))],
];

/** A guess at what a binary file is, for the error message. */
function binaryKind(buf: Uint8Array): string {
  for (const [name, magic] of MAGICS) if (magic.every((b, i) => buf[i] === b)) return `it looks like ${name}`;
  if (buf.length >= 10) {
    // safetensors: u64 header length, then a JSON object
    const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
    if (n > 0 && n < buf.length && buf[8] === 0x7b) return 'it looks like a safetensors file';
  }
  return 'it is binary data';
}

/** True when `buf` starts as a llama2.c tokenizer.bin: max_token_length, then the three special pieces. */
function isLlama2cTokenizerBin(buf: Uint8Array): boolean {
  if (buf.length < 4 + 3 * 8) return false;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const maxLen = dv.getInt32(0, true);
  if (maxLen <= 0 || maxLen > 1024) return false;
  let off = 4;
  for (const want of ['<unk>', '\n<s>\n', '\n</s>\n']) {
    if (off + 8 > buf.length) return false;
    const len = dv.getInt32(off + 4, true);
    if (len !== want.length || off + 8 + len > buf.length) return false;
    if (Buffer.from(buf.subarray(off + 8, off + 8 + len)).toString('latin1') !== want) return false;
    off += 8 + len;
  }
  return true;
}

/** True when `buf` holds a NUL byte or is not valid UTF-8 (looked at in the first 64 KB). */
function isBinary(buf: Uint8Array): boolean {
  const head = buf.subarray(0, 65536);
  if (head.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.length < buf.length ? head.subarray(0, lastCharStart(head)) : head);
    return false;
  } catch {
    return true;
  }
}

/** Where the last (possibly cut) UTF-8 character of `b` starts, so a prefix decodes cleanly. */
function lastCharStart(b: Uint8Array): number {
  let i = b.length - 1;
  while (i > 0 && b.length - i < 4 && (b[i]! & 0xc0) === 0x80) i--;
  return i;
}

/** True when the whole of `buf` parses as a JSON array. */
function isJsonArray(buf: Uint8Array): boolean {
  try {
    return Array.isArray(JSON.parse(new TextDecoder().decode(buf)));
  } catch {
    return false;
  }
}

/** The line that makes `text` no vocab.txt (whitespace or control characters inside a token), or null. */
function badVocabLine(text: string): string | null {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const token = lines[i]!.replace(/\r$/, '');
    if (token === '') return `line ${i + 1} is empty`;
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/.test(token)) return `line ${i + 1} (${JSON.stringify(token.slice(0, 30))}) has spaces or control characters, and a vocab.txt has one token per line`;
  }
  return null;
}

/**
 * The format of a tokenizer file's bytes (`path` only names it in errors). Throws
 * `E_NOT_TOKENIZER` when the content matches none of them.
 */
export function detectTokenizerFormat(buf: Uint8Array, path: string): TokenizerFileFormat {
  if (buf.length === 0) throw notTokenizerFile(path, 'it is empty');
  if (isLlama2cTokenizerBin(buf)) return 'llama2c-bin';
  if (isBinary(buf)) throw notTokenizerFile(path, binaryKind(buf));
  const text = new TextDecoder().decode(buf.subarray(0, 65536)).replace(/^\ufeff/, '');
  const first = text.trimStart()[0];
  // text named .json / .tiktoken goes to that parser, whose errors say what is wrong inside
  if (first === '{' || path.endsWith('.json')) return 'json';
  if (path.endsWith('.tiktoken')) return 'tiktoken';
  if (first === '[' && isJsonArray(buf)) throw notTokenizerFile(path, 'it is a JSON array, not a tokenizer.json object');
  const firstLine = text.slice(0, (text.indexOf('\n') + 1 || text.length + 1) - 1);
  if (/^[A-Za-z0-9+/=]+ \d+\r?$/.test(firstLine)) return 'tiktoken';
  const bad = badVocabLine(new TextDecoder().decode(buf));
  if (bad !== null) throw notTokenizerFile(path, `a text file, but ${bad}`);
  return 'vocab-txt';
}

// Malformed and foreign tokenizer files: every one is an LlmtsError that names the file
// and, for tokenizer.json, the field path (issue 11). Before, these raised raw TypeErrors
// or RangeErrors, and any unknown file (a PNG) loaded as a BERT vocab.txt.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { loadTokenizer, tokenizerFromJson } from '../../src/tokenizer/load.ts';
import { parseTiktoken } from '../../src/tokenizer/tiktoken-file.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-malformed-'));
const wordpiece = (): Record<string, unknown> => WordPieceTokenizer.fromVocabTxt('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n').toTokenizerJson();
const gpt2 = (): Record<string, unknown> => JSON.parse(readFileSync('test/fixtures/hf-models/hf-gpt2-float32/tokenizer.json', 'utf8')) as Record<string, unknown>;
const llama = (): Record<string, unknown> => Llama2cTokenizer.fromFile('data/llama2c-stories260k/tok512.bin').toTokenizerJson();

/** Asserts that loading `json` fails with an LlmtsError of `code` whose message names `path`. */
function rejects(json: unknown, code: string, path: RegExp): void {
  assert.throws(() => tokenizerFromJson(json, 'tok.json'), (err: unknown) => {
    assert.ok(err instanceof LlmtsError, `expected an LlmtsError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, path);
    return true;
  });
}

/** `json` with the value at `keys` replaced (a deep copy). */
function withField(json: Record<string, unknown>, keys: (string | number)[], value: unknown): Record<string, unknown> {
  const out = structuredClone(json);
  let cur: Record<string | number, unknown> = out;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[keys[keys.length - 1]!] = value;
  return out;
}

test('tokenizer.json: malformed structures name the field path (the six TypeError/RangeError sites)', () => {
  // post_processor.single: [null] (was: TypeError reading 'SpecialToken' of null)
  rejects(withField(wordpiece(), ['post_processor', 'single'], [null]), 'E_TOKENIZER_JSON', /tok\.json: post_processor\.single\[0\] must be an object, got null/);
  // added_tokens as an object (was: TypeError .map is not a function)
  rejects(withField(wordpiece(), ['added_tokens'], { a: 1 }), 'E_TOKENIZER_JSON', /tok\.json: added_tokens must be an array, got an object/);
  rejects(withField(wordpiece(), ['added_tokens'], [null]), 'E_TOKENIZER_JSON', /added_tokens\[0\] must be an object, got null/);
  // a template special token whose special_tokens entry has no ids (was: TypeError reading 'length')
  rejects(withField(wordpiece(), ['post_processor', 'special_tokens', '[SEP]'], '<unk>'), 'E_TOKENIZER_JSON', /special token "\[SEP\]" of post_processor\.single\[2\] is missing/);
  // a byte-fallback vocabulary with an id of 1e308 (was: RangeError Invalid array length)
  rejects(withField(llama(), ['model', 'vocab', 'J'], 1e308), 'E_TOKENIZER_JSON', /model\.vocab\["J"\] must be an integer in \[0, 16777215\], got 1e\+308/);
  // merges that are not strings (was: TypeError m.split is not a function)
  rejects(withField(llama(), ['model', 'merges', 0], 7), 'E_TOKENIZER_JSON', /model\.merges\[0\] must be a "left right" string/);
  // BertProcessing with an empty cls pair (was: undefined ids in the output)
  rejects(withField(wordpiece(), ['post_processor'], { type: 'BertProcessing', cls: [], sep: ['[SEP]', 3] }), 'E_TOKENIZER_JSON', /post_processor\.cls must be a \[token, id\] pair/);
  // byte-level BPE: a vocabulary id beyond any real vocabulary (was: a sparse array of 4e9 entries)
  rejects(withField(gpt2(), ['model', 'vocab', 'a'], 4e9), 'E_TOKENIZER_JSON', /model\.vocab\["a"\] must be an integer/);
  // one id far beyond the vocabulary (a byte-fallback reader built 16M empty pieces: seconds and GBs)
  rejects(withField(llama(), ['model', 'vocab', 'J'], 2 ** 24 - 1), 'E_TOKENIZER_JSON', /model\.vocab\["J"\] must be an id below 2048 \(the vocabulary has 512 tokens\), got 16777215/);
  rejects(withField(gpt2(), ['pre_tokenizer'], 5), 'E_TOKENIZER_JSON', /pre_tokenizer must be an object, got 5/);
  rejects(withField(gpt2(), ['added_tokens', 0, 'id'], -1), 'E_TOKENIZER_JSON', /added_tokens\[0\]\.id must be an integer/);
  rejects(withField(wordpiece(), ['normalizer', 'lowercase'], 'yes'), 'E_TOKENIZER_JSON', /normalizer\.lowercase must be true or false, got "yes"/);
  rejects(withField(wordpiece(), ['model', 'vocab'], null), 'E_TOKENIZER_JSON', /model\.vocab must be an object, got null/);
  rejects(withField(wordpiece(), ['model'], 'WordPiece'), 'E_TOKENIZER_JSON', /tok\.json: model must be an object/);
  // a Split regex that does not compile
  rejects(withField(gpt2(), ['pre_tokenizer'], { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', use_regex: false }] }),
    'E_TOKENIZER_JSON', /pre_tokenizer\.pretokenizers\[0\]\.pattern\.Regex does not compile/);
  // byte-fallback vocabularies need their byte tokens where run.c's encoder puts them
  const noBytes = llama();
  delete (noBytes.model as { vocab: Record<string, number> }).vocab['<0x41>'];
  rejects(noBytes, 'E_TOKENIZER_JSON', /<0x41> to nothing; a byte-fallback vocabulary has <0x00>\.\.<0xFF> at ids 3\.\.258/);
});

test('tokenizer.json: JSON that is not a tokenizer is "not a tokenizer file"', () => {
  rejects({ name: 'package', version: '1.0.0' }, 'E_NOT_TOKENIZER', /tok\.json is not a tokenizer file \(it is a JSON object without a "model" field; expected a tokenizer\.json/);
  rejects(42, 'E_NOT_TOKENIZER', /not a tokenizer file \(it is a JSON value \(42\)/);
  rejects(null, 'E_NOT_TOKENIZER', /not a tokenizer file/);
});

test('the valid files still load: a WordPiece, byte-level BPE and byte-fallback tokenizer.json', () => {
  assert.deepEqual(tokenizerFromJson(wordpiece()).encode('hello world'), [5, 6]);
  const g = tokenizerFromJson(gpt2());
  assert.equal(g.decode(g.encode('Hello world')), 'Hello world');
  assert.deepEqual(tokenizerFromJson(llama()).encode('Once upon a time', { addSpecialTokens: true }), [1, 403, 407, 261, 378]);
});

/** Writes `data` to `name` and asserts that loading it says it is not a tokenizer file, and why. */
function notATokenizer(name: string, data: string | Uint8Array, why: RegExp): void {
  const path = join(dir, name);
  writeFileSync(path, data);
  assert.throws(() => loadTokenizer(path), (err: unknown) => {
    assert.ok(err instanceof LlmtsError, String(err));
    assert.equal(err.code, 'E_NOT_TOKENIZER', err.message);
    assert.ok(err.message.startsWith(`${path} is not a tokenizer file (`), err.message);
    assert.match(err.message, why);
    assert.match(err.message, /expected a tokenizer\.json, a BERT vocab\.txt, a tiktoken \.tiktoken file or a llama2\.c tokenizer\.bin/);
    return true;
  });
}

test('files are recognised by content: a PNG, random bytes, an empty file and a JSON that is no tokenizer are refused', () => {
  // a PNG loaded as a BERT vocab.txt before, then failed with a misleading [UNK] error
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1);
  notATokenizer('logo.png', png, /it looks like a PNG image/);
  notATokenizer('tokenizer.bin', png, /it looks like a PNG image/); // a .bin name no longer means llama2.c
  let x = 12345;
  const random = Uint8Array.from({ length: 4096 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24));
  notATokenizer('random.dat', random, /it is binary data/);
  notATokenizer('vocab.txt', '', /it is empty/);
  notATokenizer('package.json', JSON.stringify({ name: 'x', dependencies: {} }), /a JSON object without a "model" field/);
  notATokenizer('list.json', '[1, 2, 3]', /it is a JSON value \(an array of 3\)/);
  notATokenizer('notes.txt', 'This is a README.\nIt has sentences with spaces.\n', /a text file, but line 1 \("This is a README\."\) has spaces/);
  notATokenizer('model.safetensors', Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), /it looks like a safetensors file|it is binary data/);
});

test('each real format is still recognised, whatever its name', () => {
  const copy = (src: string, name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, readFileSync(src));
    return path;
  };
  assert.deepEqual(loadTokenizer(copy('data/llama2c-stories260k/tok512.bin', 'tok.anything')).encode('Once upon a time', { addSpecialTokens: true }), [1, 403, 407, 261, 378]);
  assert.equal(loadTokenizer(copy('data/bert-base-uncased/vocab.txt', 'bert.vocab')).vocabSize, 30522);
  const ranks = readFileSync('data/tokenizers/r50k_base.tiktoken', 'utf8');
  writeFileSync(join(dir, 'ranks.txt'), ranks);
  assert.equal(loadTokenizer(join(dir, 'ranks.txt')).vocabSize, 50256);
  writeFileSync(join(dir, 'tok-no-extension'), JSON.stringify(CharTokenizer.fromText('ab').toTokenizerJson()));
  assert.deepEqual(loadTokenizer(join(dir, 'tok-no-extension')).encode('ba'), [1, 0]);
  // a damaged tokenizer.bin whose start is right gets llama2.c's own error
  const bin = readFileSync('data/llama2c-stories260k/tok512.bin');
  writeFileSync(join(dir, 'cut.bin'), bin.subarray(0, 3000));
  assert.throws(() => loadTokenizer(join(dir, 'cut.bin')), /E_LLAMA2C_TOKENIZER|cut off|entries/);
});

test('.tiktoken: a rank far beyond the file (a huge sparse vocabulary) and an empty token are refused', () => {
  const lines = readFileSync('data/tokenizers/r50k_base.tiktoken', 'utf8').split('\n').slice(0, 300);
  // inserting digits into a rank (fuzz finding) used to build a 38M-entry sparse vocabulary: a 10 s hang
  const far = [...lines.slice(0, 299), `${lines[299]!.split(' ')[0]} 38465535`].join('\n');
  assert.throws(() => parseTiktoken(far, 'r.tiktoken'), /line 300 has rank 38465535, far beyond the 300 tokens of the file/);
  assert.throws(() => parseTiktoken(`${lines.slice(0, 10).join('\n')}\n= 10\n`, 'r.tiktoken'), /line 11 has a token of no bytes/);
});

test('llmts tokenizer encode / decode with a PNG: one error line and exit 1 (decode printed garbage and exited 0)', () => {
  const png = join(dir, 'picture.png');
  writeFileSync(png, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52));
  for (const args of [['encode', '--text', 'hello'], ['decode', '--ids', '1 2 3']]) {
    let code = 0;
    let stderr = '';
    let stdout = '';
    try {
      stdout = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'tokenizer', args[0]!, '--tokenizer', png, ...args.slice(1)], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { status: number; stderr: string; stdout: string };
      code = e.status;
      stderr = e.stderr;
      stdout = e.stdout;
    }
    assert.equal(code, 1, args[0]);
    assert.equal(stdout, '');
    assert.match(stderr, /^llmts: error E_NOT_TOKENIZER: .*picture\.png is not a tokenizer file \(it looks like a PNG image;/);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});

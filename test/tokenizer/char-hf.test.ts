// The char-level tokenizer (shakespeare-char runs) is written as a Hugging Face
// tokenizer.json that HF `tokenizers` loads and encodes to the same ids (issue 11: it used
// to write a custom JSON under that name); files written the old way still load.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { saveTokenizer } from '../../src/tokenizer/save.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-char-hf-'));
const shakespeare = readFileSync('data/tinyshakespeare/input.txt', 'utf8');

async function hfIds(path: string, text: string): Promise<number[]> {
  const enc = await HfTokenizer.fromFile(path).encode(text, null, { addSpecialTokens: false });
  return enc.getIds();
}

test('char tokenizer.json loads in HF tokenizers with the same ids (newlines, tabs, non-ASCII) and decodes back', async () => {
  const text = `${shakespeare.slice(0, 3000)}\n\n\tcaf\u00e9 \u6771\u4eac \ud83d\ude00 \r\n end`;
  const tok = CharTokenizer.fromText(text);
  const path = join(dir, 'tokenizer.json');
  saveTokenizer(tok, path);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { model: { type: string } };
  assert.equal(json.model.type, 'BPE');
  for (const t of [text, 'First Citizen:\nBefore we proceed', '\n', '', '\ud83d\ude00\ud83d\ude00\t\u6771']) {
    assert.deepEqual(await hfIds(path, t), tok.encode(t), JSON.stringify(t.slice(0, 30)));
  }
  const ids = tok.encode(text);
  assert.equal(await HfTokenizer.fromFile(path).decode(ids, false), text);
  assert.equal(tok.decode(ids), text);
});

test('unknown characters: HF (no unk token) drops them, llmts refuses them with E_CHAR_UNKNOWN', async () => {
  const tok = CharTokenizer.fromText('abc \n');
  const path = join(dir, 'abc.json');
  saveTokenizer(tok, path);
  // the known characters keep their ids in HF; the unknown 'Z' and '!' are dropped
  assert.deepEqual(await hfIds(path, 'aZb c!\n'), tok.encode('ab c\n'));
  assert.throws(() => tok.encode('aZb'), (err: Error & { code?: string }) => err.code === 'E_CHAR_UNKNOWN' && /"Z" \(U\+005A\)/.test(err.message));
});

test('loadTokenizer reads the HF form back as the char tokenizer, and still reads the old llmts-char-tokenizer file', () => {
  const tok = CharTokenizer.fromText(shakespeare);
  assert.equal(tok.vocabSize, 65);
  const path = join(dir, 'sh.json');
  saveTokenizer(tok, path);
  const back = loadTokenizer(path);
  assert.equal(back.kind, 'char');
  assert.deepEqual(back.encode(shakespeare.slice(0, 500)), tok.encode(shakespeare.slice(0, 500)));
  // a checkpoint or token folder written before this change
  const old = join(dir, 'old-tokenizer.json');
  writeFileSync(old, JSON.stringify({ format: 'llmts-char-tokenizer', version: 1, chars: [...tok.chars] }));
  const legacy = loadTokenizer(old);
  assert.equal(legacy.kind, 'char');
  assert.deepEqual(legacy.encode('First Citizen:\n'), tok.encode('First Citizen:\n'));
});

test('a tokenized char data folder (the shakespeare-char preset) holds a tokenizer.json HF loads', async () => {
  const src = join(dir, 'input.txt');
  const text = shakespeare.slice(0, 5000);
  writeFileSync(src, text);
  const tok = CharTokenizer.fromText(text);
  const meta = tokenizeFiles([src], tok, join(dir, 'data'));
  assert.equal(meta.tokenizerSource, 'char');
  const path = join(dir, 'data', meta.tokenizer);
  assert.deepEqual(await hfIds(path, text.slice(0, 800)), tok.encode(text.slice(0, 800)));
  assert.equal(loadTokenizer(path).kind, 'char');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { loadTokenizer, tokenizerFromJson } from '../../src/tokenizer/load.ts';
import { TextStream } from '../../src/infer/text-stream.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'data/llama2c-stories260k';
const tok = Llama2cTokenizer.fromFile(path.join(DIR, 'tok512.bin'));
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-greedy.json'), 'utf8')) as {
  cases: { prompt: string; prompt_ids_with_bos: number[]; next_tokens_per_step: number[]; stdout_text: string }[];
};

/** run.c's encode, transcribed literally (quadratic merge loop over C strings) as the oracle. */
function runcEncode(t: Llama2cTokenizer, text: string): number[] {
  const piece = (id: number) => Buffer.from(t.idToToken(id)!, 'utf8').toString('latin1');
  const lookup = new Map<string, number>();
  for (let id = t.vocabSize - 1; id >= 0; id--) lookup.set(piece(id), id);
  const tokens: number[] = [1];
  if (text.length > 0) tokens.push(lookup.get(' ')!);
  const bytes = Buffer.from(text, 'utf8');
  let buf: number[] = [];
  for (let c = 0; c < bytes.length; c++) {
    if ((bytes[c]! & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[c]!);
    const next = c + 1 < bytes.length ? bytes[c + 1]! : 0;
    if ((next & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup.get(Buffer.from(buf).toString('latin1'));
    if (id !== undefined) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(piece(tokens[i]!) + piece(tokens[i + 1]!));
      if (id !== undefined && t.score(id) > best) {
        best = t.score(id);
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

test('tok512: prompt ids equal the ones llama2.c run.c produced', () => {
  assert.equal(tok.vocabSize, 512);
  for (const c of expected.cases) assert.deepEqual(tok.encode(c.prompt, { addSpecialTokens: true }), c.prompt_ids_with_bos, c.prompt);
  assert.deepEqual(tok.encode(''), []);
  assert.deepEqual(tok.encode('', { addSpecialTokens: true }), [1]);
});

test('tok512: encode equals a literal transcription of run.c encode (heap merge = quadratic merge)', () => {
  const texts = [
    expected.cases[0]!.stdout_text,
    'Hello, world!  Two  spaces, tabs\tand\nnewlines.',
    'héllo wörld 🦙 naïve café — “quotes” ™ 日本語',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa the the the thethethe',
    ' leading space', 'x', '\u0001\u007f~',
  ];
  for (const text of texts) assert.deepEqual(tok.encode(text, { addSpecialTokens: true }), runcEncode(tok, text), JSON.stringify(text));
});

test('tok512: decoding the run.c greedy tokens one by one prints run.c stdout exactly', () => {
  for (const c of expected.cases) {
    const ids = [1, ...c.next_tokens_per_step];
    let out = '';
    for (let i = 1; i < ids.length; i++) out += tok.decode([ids[i]!], { prevId: ids[i - 1] });
    assert.equal(out + '\n', c.stdout_text);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }) + '\n', c.stdout_text, 'whole-sequence decode');
  }
});

test('tok512: byte fallback round-trips non-ASCII text; streaming never splits a character', () => {
  const text = 'naïve 🦙 日本';
  const ids = tok.encode(text, { addSpecialTokens: true });
  assert.ok(ids.some((id) => id >= 3 && id < 259), 'uses byte-fallback tokens');
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), text);
  const ts = new TextStream(tok);
  const pieces = ids.map((id) => ts.push(id));
  assert.equal(pieces.join('') + ts.flush(), text);
  for (const p of pieces) assert.ok(!p.includes('\uFFFD'), `no replacement char in ${JSON.stringify(p)}`);
  assert.ok(pieces.filter((p) => p === '').length >= 3, 'incomplete characters are held back');
});

test('tok512: token lookups, specials, tokenizer.json export, loadTokenizer dispatch', () => {
  assert.equal(tok.tokenToId('<s>'), 1);
  assert.equal(tok.tokenToId(' Once'), tok.encode('Once')[0]);
  assert.equal(tok.idToToken(3), '<0x00>');
  assert.deepEqual([...tok.specialTokens().values()], [0, 1, 2]);
  const json = tok.toTokenizerJson() as { model: { vocab: Record<string, number>; merges: [string, string][]; byte_fallback: boolean } };
  assert.equal(Object.keys(json.model.vocab).length, 512);
  assert.equal(json.model.byte_fallback, true);
  assert.deepEqual(json.model.merges[0], ['\u2581', 't'], 'the best-scored piece " t" is the first merge');
  const loaded = loadTokenizer(path.join(DIR, 'tok512.bin'));
  assert.ok(loaded instanceof Llama2cTokenizer);
});

test('truncated or foreign tokenizer.bin files give errors naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-tok-'));
  const full = fs.readFileSync(path.join(DIR, 'tok512.bin'));
  const cut = path.join(dir, 'cut.bin');
  fs.writeFileSync(cut, full.subarray(0, full.length - 3));
  assert.throws(() => Llama2cTokenizer.fromFile(cut), (e: unknown) => e instanceof LlmtsError && e.message.includes(cut) && /entry 511/.test(e.message));
  const junk = path.join(dir, 'junk.bin');
  fs.writeFileSync(junk, Buffer.from('not a tokenizer at all'));
  assert.throws(() => Llama2cTokenizer.fromFile(junk), (e: unknown) => e instanceof LlmtsError && e.message.includes(junk));
});

test('tokenizer.json export -> import encodes and decodes exactly like the tokenizer.bin', () => {
  const back = Llama2cTokenizer.fromTokenizerJson(tok.toTokenizerJson());
  assert.equal(back.vocabSize, tok.vocabSize);
  const texts = [expected.cases[0]!.stdout_text, 'héllo wörld 🦙 naïve café', 'Once upon a time, Tom', '  two  spaces '];
  for (const text of texts) {
    const ids = tok.encode(text, { addSpecialTokens: true });
    assert.deepEqual(back.encode(text, { addSpecialTokens: true }), ids, text);
    assert.equal(back.decode(ids, { skipSpecialTokens: true }), text);
  }
  assert.throws(() => Llama2cTokenizer.fromTokenizerJson({ model: { type: 'BPE', vocab: {}, merges: [] } }), /not a sentencepiece-style BPE/);
});

test('its tokenizer.json (as a checkpoint saves it) loads back as a llama2.c tokenizer with the same ids', () => {
  const back = tokenizerFromJson(JSON.parse(JSON.stringify(tok.toTokenizerJson())));
  assert.ok(back instanceof Llama2cTokenizer);
  const text = 'Once upon a time, Tom met a big dog. Ünïcödé 東京!';
  assert.deepEqual(back.encode(text), tok.encode(text));
  assert.equal(back.decode(tok.encode(text)), tok.decode(tok.encode(text)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readShard, writeShard, SHARD_HEADER_BYTES } from '../../src/data/shards.ts';
import { loadTokenData, tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-shards-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('shards round-trip as uint16 below 65,537 ids and uint32 above, with the header fields', () => {
  const small = join(dir, 'small.bin');
  writeShard(small, [0, 5, 64, 7], { vocabSize: 65 });
  const a = readShard(small);
  assert.ok(a.ids instanceof Uint16Array);
  assert.deepEqual([...a.ids], [0, 5, 64, 7]);
  assert.equal(a.vocabSize, 65);
  const buf = readFileSync(small);
  assert.equal(buf.toString('latin1', 0, 8), 'LLMTSTOK');
  assert.equal(buf.readUInt32LE(8), 1); // version
  assert.equal(buf.readUInt32LE(12), 2); // dtype bytes
  assert.equal(Number(buf.readBigUInt64LE(16)), 4); // count
  assert.equal(buf.length, SHARD_HEADER_BYTES + 8);
  const big = join(dir, 'big.bin');
  writeShard(big, [70000, 1, 100276], { vocabSize: 100277 });
  const b = readShard(big);
  assert.ok(b.ids instanceof Uint32Array);
  assert.deepEqual([...b.ids], [70000, 1, 100276]);
});

test('an id outside the vocabulary is refused when writing', () => {
  assert.throws(() => writeShard(join(dir, 'x.bin'), [1, 65], { vocabSize: 65 }), /id 65 at position 1 is outside \[0, 65\)/);
});

test('truncated, foreign, future-version and bad-id shards give errors naming the file', () => {
  const good = join(dir, 'good.bin');
  writeShard(good, Array.from({ length: 100 }, (_, i) => i % 50), { vocabSize: 50 });
  const bytes = readFileSync(good);
  const cut = join(dir, 'cut.bin');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => readShard(cut), (e: Error) => e.message.includes(cut) && /truncated/.test(e.message) && /E_SHARD|not a valid/.test(e.message));
  const tiny = join(dir, 'tiny.bin');
  writeFileSync(tiny, bytes.subarray(0, 10));
  assert.throws(() => readShard(tiny), new RegExp(`${tiny.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*shorter than the 32-byte header`));
  const foreign = join(dir, 'foreign.bin');
  writeFileSync(foreign, Buffer.concat([Buffer.from('NOTASHRD'), bytes.subarray(8)]));
  // the error names the file and never shows its bytes (it may be any file on the machine)
  assert.throws(() => readShard(foreign), (e: Error) => /foreign\.bin is not a valid llmts token shard: it does not start with the magic "LLMTSTOK"/.test(e.message) && !e.message.includes('NOTASHRD'));
  const future = Buffer.from(bytes);
  future.writeUInt32LE(9, 8);
  writeFileSync(join(dir, 'future.bin'), future);
  assert.throws(() => readShard(join(dir, 'future.bin')), /future\.bin.*version 9/);
  const badId = Buffer.from(bytes);
  badId.writeUInt16LE(60, SHARD_HEADER_BYTES + 2 * 7);
  writeFileSync(join(dir, 'badid.bin'), badId);
  assert.throws(() => readShard(join(dir, 'badid.bin')), /badid\.bin.*id 60 at position 7 is not below the recorded vocabulary size 50/);
  assert.throws(() => readShard(join(dir, 'missing.bin')), /cannot read token shard .*missing\.bin/);
});

test('tokenizeFiles: last 10% of a plain file validates, prepare-style files keep their split, EOT between documents', () => {
  const text = 'abcdefghij'.repeat(10); // 100 chars
  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, text);
  const out = join(dir, 'tok-char');
  const meta = tokenizeFiles([plain], CharTokenizer.fromText(text), out);
  assert.equal(meta.train[0]!.tokens, 90);
  assert.equal(meta.val[0]!.tokens, 10);
  const data = loadTokenData(out);
  assert.equal(data.tokenizer.decode(Array.from(data.val[0]!)), 'abcdefghij');
  assert.equal(data.tokenizer.decode(Array.from(data.train[0]!)), text.slice(0, 90));

  const trainJsonl = join(dir, 'train-00000.jsonl');
  const valJsonl = join(dir, 'val-00000.jsonl');
  writeFileSync(trainJsonl, '{"text":"hello world"}\n{"text":"again"}\n');
  writeFileSync(valJsonl, '{"text":"bye"}\n');
  const gpt2 = loadTokenizer('gpt2');
  const out2 = join(dir, 'tok-gpt2');
  const m2 = tokenizeFiles([trainJsonl, valJsonl], gpt2, out2);
  const d2 = loadTokenData(out2);
  assert.equal(m2.eot, 50256);
  assert.deepEqual(Array.from(d2.train[0]!), [...gpt2.encode('hello world'), 50256, ...gpt2.encode('again'), 50256]);
  assert.deepEqual(Array.from(d2.val[0]!), [...gpt2.encode('bye'), 50256]);
  assert.equal(m2.dtype, 'uint16');
  // a run killed mid-write (SIGTERM, SIGKILL) leaves temporary files; the next run removes them
  writeFileSync(join(out2, 'train-000.bin.tmp-99999'), 'half');
  writeFileSync(join(out2, '.meta.json.tmp-99999'), '{');
  tokenizeFiles([trainJsonl, valJsonl], gpt2, out2);
  assert.deepEqual(readdirSync(out2).sort(), ['meta.json', 'tokenizer.json', 'train-000.bin', 'val-000.bin']);
});

test('loadTokenData: a shard whose length disagrees with meta.json, or a missing meta.json, is named', () => {
  const out = join(dir, 'tok-char');
  const metaPath = join(out, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  meta.train[0].tokens = 91;
  writeFileSync(metaPath, JSON.stringify(meta));
  assert.throws(() => loadTokenData(out), /train-000\.bin holds 90 ids, meta\.json says 91/);
  assert.throws(() => loadTokenData(join(dir, 'nowhere')), /nowhere\/meta\.json not found/);
});

test('loadTokenData: meta.json cannot name files outside its folder (.., absolute, links out), and no error shows their contents', () => {
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'root:x:0:0:TOP-SECRET-LINE\n'.repeat(4));
  const src = join(dir, 'tok-src');
  writeFileSync(join(dir, 'src.txt'), 'abcdefghij'.repeat(10));
  tokenizeFiles([join(dir, 'src.txt')], CharTokenizer.fromText('abcdefghij'), src);
  type Meta = { tokenizer: unknown; train: { file: unknown }[]; val: { file: unknown }[] };
  const attempt = (name: string, edit: (meta: Meta, out: string) => void): Error => {
    const out = join(dir, `evil-${name}`);
    cpSync(src, out, { recursive: true });
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Meta;
    edit(meta, out);
    writeFileSync(join(out, 'meta.json'), JSON.stringify(meta));
    try {
      loadTokenData(out);
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'E_SHARD', `${name}: ${(err as Error).message}`);
      assert.ok(!(err as Error).message.includes('root:') && !(err as Error).message.includes('SECRET'), `${name}: ${(err as Error).message}`);
      return err as Error;
    }
    assert.fail(`${name}: loaded`);
  };
  const depth = join(dir, 'evil-dotdot').split('/').length;
  assert.match(attempt('dotdot', (m) => { m.train[0]!.file = `${'../'.repeat(depth)}${secret.slice(1)}`; }).message,
    /meta\.json train\[0\]\.file leads out of the data folder .*"\.\." segment.*\(at .*evil-dotdot\/meta\.json\)/);
  assert.match(attempt('passwd', (m) => { m.val[0]!.file = '../../../../etc/passwd'; }).message, /meta\.json val\[0\]\.file leads out of the data folder/);
  assert.match(attempt('absolute', (m) => { m.train[0]!.file = secret; }).message, /train\[0\]\.file is an absolute path/);
  assert.match(attempt('link', (m, out) => { symlinkSync(secret, join(out, 'train-009.bin')); m.train[0]!.file = 'train-009.bin'; }).message,
    /train\[0\]\.file is a link that leads out of the data folder/);
  assert.match(attempt('tokenizer', (m) => { m.tokenizer = '../secret.txt'; }).message, /meta\.json "tokenizer" leads out of the data folder/);
  assert.match(attempt('not-string', (m) => { m.train[0]!.file = 42; }).message, /train\[0\]\.file must be a file name, got number/);
  // a foreign file inside the folder: named, its bytes not shown
  const inside = attempt('inside', (m, out) => { cpSync(secret, join(out, 'train-000.bin')); m.train[0]!.file = 'train-000.bin'; });
  assert.match(inside.message, /train-000\.bin is not a valid llmts token shard: it does not start with the magic/);
});

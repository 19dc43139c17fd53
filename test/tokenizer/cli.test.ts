// `llmts tokenizer` end to end: spawns the real CLI on real files in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import hf from 'tokenizers';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { run } from '../../src/cli/tokenizer.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const ROOT = resolve('.');
/** tsx resolved from the repo, so `--import tsx` also works with the temp dir as cwd. */
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'llmts-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Result { code: number; stdout: string; stderr: string }

/** Runs `node --import tsx src/cli/main.ts tokenizer ...args` from the temp dir. */
function cli(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'tokenizer', ...args],
      { cwd: dir, maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const corpus = join(dir, 'corpus.txt');
const shakespeare = readFileSync(join(ROOT, 'data/tinyshakespeare/input.txt'), 'utf8');
writeFileSync(corpus, shakespeare.slice(0, 400_000) + '\nCafé naïve 東京 🤗 déjà vu.\n');
const sampleFile = join(dir, 'sample.txt');
const sample = shakespeare.slice(600_000, 603_000) + '\nÜnïcödé 東京 🤗 <|endoftext|> [SEP]\n';
writeFileSync(sampleFile, sample);

test('encode with built-ins: --json prints one JSON array; plain output is space-separated', async () => {
  const [a, b, c] = await Promise.all([
    cli('encode', '--tokenizer', 'gpt2', '--text', 'hello world', '--json'),
    cli('encode', '--tokenizer', 'cl100k', '--text', 'hello world'),
    cli('encode', '--tokenizer', 'gpt2', '--text', 'a<|endoftext|>', '--json'),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, '[31373,995]\n');
  assert.equal(b.stdout, '15339 1917\n');
  // No special tokens unless --add-special: the string is encoded as plain text.
  assert.ok(!JSON.parse(c.stdout).includes(50256));
  const d = await cli('encode', '--tokenizer', 'gpt2', '--text', 'a<|endoftext|>', '--json', '--add-special');
  assert.deepEqual(JSON.parse(d.stdout), [64, 50256]);
});

test('encode a file with BERT vocab.txt and with the bert-base-uncased built-in; --add-special adds [CLS]/[SEP]', async () => {
  const vocab = join(ROOT, 'data/bert-base-uncased/vocab.txt');
  const [plain, special, named] = await Promise.all([
    cli('encode', '--tokenizer', vocab, '--file', sampleFile, '--json'),
    cli('encode', '--tokenizer', vocab, '--file', sampleFile, '--json', '--add-special'),
    cli('encode', '--tokenizer', 'bert-base-uncased', '--text', 'Hello, World!'),
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  const lib = loadTokenizer(vocab);
  assert.deepEqual(JSON.parse(plain.stdout), lib.encode(sample));
  assert.deepEqual(JSON.parse(special.stdout), lib.encode(sample, { addSpecialTokens: true, allowedSpecial: 'all' }));
  assert.equal(JSON.parse(special.stdout)[0], 101);
  assert.equal(named.stdout, '7592 1010 2088 999\n');
});

test('decode from --ids JSON and from a file of whitespace-separated ids', async () => {
  const ids = loadTokenizer('cl100k').encode(sample);
  const idsFile = join(dir, 'ids.txt');
  writeFileSync(idsFile, ids.join('\n'));
  const [a, b, c] = await Promise.all([
    cli('decode', '--tokenizer', 'cl100k', '--ids', JSON.stringify(ids)),
    cli('decode', '--tokenizer', 'cl100k', '--file', idsFile),
    cli('decode', '--tokenizer', 'bert-base-uncased', '--ids', '[101, 7592, 1010, 2088, 999, 102]', '--skip-special'),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, sample + '\n');
  assert.equal(b.stdout, sample + '\n');
  assert.equal(c.stdout, 'hello, world!\n');
});

test('train wordpiece: tokenizer.json + vocab.txt, size and time printed, progress on stderr, HF encodes the same', async () => {
  const out = join(dir, 'wp');
  const r = await cli('train', '--type', 'wordpiece', '--vocab-size', '3000', '--out', out, corpus);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /vocab size 3000 in \d+\.\d+ s/);
  assert.match(r.stderr, /merging .*100%/);
  assert.ok(existsSync(join(out, 'vocab.txt')));
  assert.equal(readFileSync(join(out, 'vocab.txt'), 'utf8').split('\n').length, 3001);
  const enc = await cli('encode', '--tokenizer', join(out, 'tokenizer.json'), '--file', sampleFile, '--json', '--add-special');
  const ref = hf.Tokenizer.fromFile(join(out, 'tokenizer.json'));
  assert.deepEqual(JSON.parse(enc.stdout), (await ref.encode(sample, null, { addSpecialTokens: true })).getIds());
  const viaTxt = await cli('encode', '--tokenizer', join(out, 'vocab.txt'), '--file', sampleFile, '--json');
  // vocab.txt gets uncased BERT defaults; '[SEP]' in the text stays plain text without --add-special.
  assert.deepEqual(JSON.parse(viaTxt.stdout), loadTokenizer(join(out, 'tokenizer.json')).encode(sample));
});

test('train bpe: tokenizer.json that HF loads and encodes the same; decode round-trips', async () => {
  const out = join(dir, 'bpe');
  const r = await cli('train', '--type', 'bpe', '--vocab-size', '1000', '--special', '<|endoftext|>', '--threads', '1', '--out', out, corpus);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trained bpe tokenizer: vocab size 1000 in \d+\.\d+ s/);
  const tokJson = join(out, 'tokenizer.json');
  const enc = await cli('encode', '--tokenizer', out, '--file', sampleFile, '--json');
  const ids: number[] = JSON.parse(enc.stdout);
  const ref = hf.Tokenizer.fromFile(tokJson);
  // HF matches added tokens in any text; compare on the text without the special string.
  const plain = sample.replace('<|endoftext|>', '');
  const enc2 = await cli('encode', '--tokenizer', tokJson, '--text', plain, '--json');
  assert.deepEqual(JSON.parse(enc2.stdout), (await ref.encode(plain, null, { addSpecialTokens: false })).getIds());
  const dec = await cli('decode', '--tokenizer', tokJson, '--ids', JSON.stringify(ids));
  assert.equal(dec.stdout, sample + '\n');
});

test('mistakes give one-line LlmtsErrors that name the flag or file and the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['encode', '--text', 'x'], /E_FLAG: missing --tokenizer .*fix: give --tokenizer/],
    [['encode', '--tokenizer', 'gpt2', '--text', 'x', '--file', 'y'], /exactly one of --text and --file/],
    [['encode', '--tokenizer', 'nope.json', '--text', 'x'], /E_TOKENIZER_NOT_FOUND.*nope\.json.*fix: use one of gpt2/],
    [['encode', '--tokenizer', 'gpt2', '--file', 'missing.txt'], /cannot read missing\.txt.*--file/],
    [['encode', '--tokenizer', 'gpt2', '--txt', 'x'], /E_FLAG: unknown flag '--txt' \(did you mean --text\?\).*llmts tokenizer encode --help/],
    [['decode', '--tokenizer', 'gpt2', '--ids', '[1, 2'], /E_IDS.*not valid JSON.*--ids/],
    [['decode', '--tokenizer', 'gpt2', '--ids', '[1, 99999999]'], /id 99999999 .*outside the vocabulary of 50257/],
    [['train', '--type', 'wordpiece', '--vocab-size', 'many', '--out', 'o', 'corpus.txt'], /--vocab-size must be an integer/],
    [['train', '--type', 'sentencepiece', '--vocab-size', '100', '--out', 'o', 'corpus.txt'], /--type must be bpe or wordpiece/],
    [['train', '--type', 'wordpiece', '--vocab-size', '100', '--out', 'o'], /no training files given/],
    [['train', '--type', 'wordpiece', '--vocab-size', '100', '--out', 'o', 'absent.txt'], /E_INPUT: input file not found: absent\.txt \(at FILES\)/],
    [['train', '--type', 'wordpiece', '--vocab-size', '100', '--threads', '2', '--out', 'o', 'corpus.txt'], /--threads is for bpe/],
    [['frobnicate'], /unknown subcommand 'frobnicate'/],
  ];
  // Three through a real process (exit code, one line on stderr, no stack trace) ...
  const spawned = await Promise.all(cases.slice(0, 3).map(([args]) => cli(...args)));
  spawned.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i][0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^llmts: error E_[A-Z_]+: /);
    assert.match(r.stderr, cases[i][1]);
    assert.ok(!r.stderr.includes('    at '), `no stack trace: ${r.stderr}`);
  });
  // ... and all of them in-process (same code path, much faster).
  process.chdir(dir);
  try {
    for (const [args, re] of cases) {
      await assert.rejects(run(args), (e: unknown) => e instanceof LlmtsError && re.test(`${e.code}: ${e.message}`), args.join(' '));
    }
  } finally {
    process.chdir(ROOT);
  }
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ model: { type: 'Unigram', vocab: [] } }));
  await assert.rejects(run(['encode', '--tokenizer', bad, '--text', 'x']), /model\.type is "Unigram".*bad\.json/);
});

test('--help for the command and each subcommand', async () => {
  const rs = await Promise.all([cli('--help'), cli('train', '--help'), cli('encode', '-h'), cli('decode', '--help')]);
  for (const r of rs) assert.equal(r.code, 0);
  assert.match(rs[0].stdout, /train .*encode .*decode/s);
  assert.match(rs[1].stdout, /--vocab-size N/);
  assert.match(rs[2].stdout, /--add-special/);
  assert.match(rs[3].stdout, /--ids JSON/);
});

test('train reads the documents of prepared .jsonl shards, not their JSON: same vocabulary as the same documents in a text file', async () => {
  const docs = shakespeare.slice(0, 60_000).split('\n\n');
  const shard = join(dir, 'train-00000.jsonl');
  writeFileSync(shard, docs.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const plainDocs = join(dir, 'docs.txt');
  writeFileSync(plainDocs, docs.join('\n\n'));
  const [fromShard, fromText] = await Promise.all([
    cli('train', '--type', 'bpe', '--vocab-size', '400', '--out', join(dir, 'tok-shard'), shard),
    cli('train', '--type', 'bpe', '--vocab-size', '400', '--out', join(dir, 'tok-text'), plainDocs),
  ]);
  assert.equal(fromShard.code, 0, fromShard.stderr);
  assert.equal(fromText.code, 0, fromText.stderr);
  const a = JSON.parse(readFileSync(join(dir, 'tok-shard', 'tokenizer.json'), 'utf8')) as { model: { merges: unknown } };
  const b = JSON.parse(readFileSync(join(dir, 'tok-text', 'tokenizer.json'), 'utf8')) as { model: { merges: unknown } };
  assert.deepEqual(a.model.merges, b.model.merges);
  assert.ok(!JSON.stringify(a.model.merges).includes('text'), 'the JSON key "text" must not be learned');
});

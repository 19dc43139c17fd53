// `llmts export gguf` and `llmts quantize` as a user runs them: the files they write load
// through --model (generate), and mistakes are one `llmts: error E_...` line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readGguf } from '../../src/io/gguf.ts';
import { llmts } from '../cli-run.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin';
const TOK = 'data/llama2c-stories260k/tok512.bin';

function oneError(args: string[], code: string, re: RegExp): void {
  const r = llmts(args);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^llmts: error ${code}: .*${re.source}`));
  assert.equal(r.code, 1);
}

test('export gguf then generate from the file gives the llama2.c model\'s greedy text; quantize writes DIR/model.gguf that --model takes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-gguf-cli-'));
  const out = path.join(dir, 's.gguf');
  const ex = llmts(['export', 'gguf', '--model', MODEL, '--tokenizer', TOK, '--type', 'f16', '--out', out]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /wrote .*s\.gguf: llama, 47 tensors, f16/);
  assert.deepEqual(readGguf(out).metadata.get('general.name'), { type: 'string', value: 'stories260K' });
  const gen = (model: string, tok: string[] = []) => llmts(['generate', '--model', model, ...tok, '--prompt', 'Once upon a time', '--max-tokens', '24', '--temperature', '0']);
  const want = gen(MODEL, ['--tokenizer', TOK]);
  assert.equal(want.code, 0, want.stderr);
  assert.equal(gen(out).stdout, want.stdout);
  const q = llmts(['quantize', '--model', MODEL, '--tokenizer', TOK, '--type', 'q8_0', '--out', path.join(dir, 'q8')]);
  assert.equal(q.code, 0, q.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'q8', 'model.gguf')));
  assert.equal(gen(path.join(dir, 'q8')).stdout, want.stdout, 'stories260K keeps its greedy text at q8_0');
});

test('export / quantize mistakes are one error line naming the flag', () => {
  oneError(['export', 'gguf', '--model', MODEL, '--tokenizer', TOK, '--type', 'q4_0', '--out', 'x.gguf'], 'E_FLAG', /--type must be one of f32, f16, bf16, q8_0/);
  oneError(['export', 'gguf', '--model', MODEL, '--tokenizer', TOK, '--type', 'f32'], 'E_FLAG', /--out is required/);
  oneError(['export', 'gguf', '--model', MODEL, '--tokenizer', TOK, '--type', 'f32', '--out', '/no/such/dir/x.gguf'], 'E_FLAG', /folder of/);
  oneError(['export', 'onnx'], 'E_FLAG', /unknown subcommand 'export onnx'/);
  oneError(['export', 'gguf', '--model', MODEL, '--tokenizer', 'bert-base-uncased', '--type', 'f32', '--out', 'x.gguf'], 'E_TOKENIZER_MISMATCH', /vocabulary/);
  oneError(['quantize', '--model', MODEL, '--tokenizer', TOK, '--type', 'f16', '--out', 'x'], 'E_FLAG', /--type must be one of bf16, q8_0/);
  oneError(['quantize', '--model', MODEL, '--tokenizer', TOK, '--type', 'q8_0', '--out', MODEL], 'E_FLAG', /is a file/);
});

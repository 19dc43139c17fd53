import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { llmts } from '../cli-run.ts';

const DIR = 'data/llama2c-stories260k';
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-greedy.json'), 'utf8')) as {
  cases: { prompt: string; next_tokens_per_step: number[]; stdout_text: string }[];
};

test('llmts generate on stories260K prints what llama2.c run.c prints, token for token', () => {
  // run.c -n S counts positions from BOS; the recorded 257-step greedy run covers "Once upon a
  // time" + 200 new tokens (its forced prompt tokens equal its greedy ones), i.e. run.c -n 204.
  const tok = Llama2cTokenizer.fromFile(path.join(DIR, 'tok512.bin'));
  const prompt = tok.encode('Once upon a time', { addSpecialTokens: true }); // [1, 403, 407, 261, 378]
  const ref = [1, ...expected.cases[0]!.next_tokens_per_step];
  assert.deepEqual(ref.slice(0, prompt.length), prompt);
  const steps = prompt.length - 1 + 200;
  let want = '';
  for (let i = 1; i <= steps; i++) want += tok.decode([ref[i]!], { prevId: ref[i - 1] });
  want += '\n';
  const r = llmts(['generate', '--model', path.join(DIR, 'stories260K.bin'), '--tokenizer', path.join(DIR, 'tok512.bin'),
    '--prompt', 'Once upon a time', '--temperature', '0', '--max-tokens', '200']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, want);
  assert.ok(expected.cases[0]!.stdout_text.startsWith(r.stdout.slice(0, -1)));
});

test('llmts generate: second recorded case, stats on stderr, --no-echo', () => {
  const c = expected.cases[1]!; // "Once upon a time, Tom", run.c -n 64 (8 prompt ids -> 57 new)
  const r = llmts(['generate', '--model', path.join(DIR, 'stories260K.bin'), '--tokenizer', path.join(DIR, 'tok512.bin'),
    '--prompt', c.prompt, '--temperature', '0', '--max-tokens', '57', '--stats']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, c.stdout_text);
  assert.match(r.stderr, /8 prompt \+ 57 new tokens .* tok\/s decoding \| finish: length/);
  const quiet = llmts(['generate', '--model', path.join(DIR, 'stories260K.bin'), '--tokenizer', path.join(DIR, 'tok512.bin'),
    '--prompt', c.prompt, '--temperature', '0', '--max-tokens', '57', '--no-echo', '--stop', 'box']);
  assert.equal(quiet.stdout, c.stdout_text.slice(c.prompt.length, c.stdout_text.indexOf('box')) + '\n');
});

test('llmts generate: mistakes are one-line errors that name the flag or file', async () => {
  const noTok = llmts(['generate', '--model', path.join(DIR, 'stories260K.bin'), '--prompt', 'x']);
  assert.equal(noTok.code, 1);
  assert.match(noTok.stderr, /^llmts: error E_TOKENIZER_NOT_FOUND: .*stories260K\.bin is a llama2\.c checkpoint and needs its tokenizer\.bin/);
  // the rest in-process (same code path, no process start-up)
  const { run } = await import('../../src/cli/generate.ts');
  await assert.rejects(run(['--model', path.join(DIR, 'stories260K.bin'), '--tokenizer', path.join(DIR, 'tok512.bin'), '--temperature', 'hot']), /--temperature must be a number >= 0, got 'hot'/);
  await assert.rejects(run(['--model', 'no/such/model']), /E_MODEL_NOT_FOUND|no model at no\/such\/model/);
  await assert.rejects(run(['--prompt', 'x']), /needs --model/);
  await assert.rejects(run(['--model', path.join(DIR, 'tok512.bin')]), /neither a checkpoint directory nor a llama2\.c \.bin/);
});

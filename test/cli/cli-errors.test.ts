// The CLI as a user runs it: a mistyped flag, a bad number or a busy port is one
// `llmts: error E_...` line on stderr and exit code 1, never a Node stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { llmtsAsync as llmts, type CliResult as Exit } from '../cli-run.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin';
const TOK = 'data/llama2c-stories260k/tok512.bin';

/**
 * Exit code 1, nothing on stdout, and stderr is exactly one `llmts: error CODE: ...` line matching
 * `re` (besides the backend's `llmts: warning:` line on a machine without the native build).
 */
function assertOneErrorLine(r: Exit, code: string, re: RegExp, what: string): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('llmts: warning: native kernels unavailable'));
  assert.equal(lines.length, 1, `${what}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^llmts: error ${code}: `), what);
  assert.match(lines[0]!, re, what);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError|node:internal/, what);
  assert.equal(r.code, 1, `${what}: exit code`);
  assert.equal(r.stdout, '', what);
}

const MODEL_FLAGS = ['--model', MODEL, '--tokenizer', TOK];

test('generate, chat, serve, eval: an unknown flag is one E_FLAG line naming it, the command and its --help', async () => {
  const cases: [string, string[], RegExp][] = [
    ['generate', [...MODEL_FLAGS, '--max-tokns', '5'], /unknown flag '--max-tokns' \(did you mean --max-tokens\?\) \(at llmts generate\) - fix: run `llmts generate --help`/],
    ['chat', [...MODEL_FLAGS, '--bogus'], /unknown flag '--bogus' \(at llmts chat\) - fix: run `llmts chat --help`/],
    ['serve', [...MODEL_FLAGS, '--prot', '8080'], /unknown flag '--prot' \(did you mean --port\?\) \(at llmts serve\)/],
    ['eval', [...MODEL_FLAGS, '--file', 'README.md', '--json=yes'], /flag '--json' does not take an argument \(at llmts eval\)/],
    ['generate', [...MODEL_FLAGS, 'stray'], /unexpected argument 'stray': this command takes only --flags \(at llmts generate\)/],
    ['eval', ['--model'], /flag '--model <value>' argument missing \(at llmts eval\)/],
  ];
  const results = await Promise.all(cases.map(([cmd, args]) => llmts([cmd, ...args])));
  cases.forEach(([cmd, args, re], i) => assertOneErrorLine(results[i]!, 'E_FLAG', re, `${cmd} ${args.join(' ')}`));
});

test('generate, chat, serve, eval: a bad number (--max-tokens -3, ...) is one E_FLAG line with the rule', async () => {
  const cases: [string, string[], RegExp][] = [
    ['generate', [...MODEL_FLAGS, '--max-tokens', '-3'], /--max-tokens must be an integer >= 1, got '-3' \(at --max-tokens\) - fix: e\.g\. --max-tokens 256/],
    ['generate', [...MODEL_FLAGS, '--temperature', '-0.5'], /--temperature must be a number >= 0, got '-0\.5'/],
    ['chat', [...MODEL_FLAGS, '--max-tokens', '-3'], /--max-tokens must be an integer >= 1, got '-3'/],
    ['chat', [...MODEL_FLAGS, '--top-p', '1.5'], /--top-p must be a number in \(0, 1\], got '1\.5'/],
    ['serve', [...MODEL_FLAGS, '--port', '-3'], /--port must be an integer in \[0, 65535\], got '-3'/],
    ['serve', [...MODEL_FLAGS, '--max-batch', '0'], /--max-batch must be an integer >= 1, got '0'/],
    ['eval', [...MODEL_FLAGS, '--file', 'README.md', '--max-tokens', '-3'], /--max-tokens must be an integer >= 1, got '-3'/],
    ['eval', [...MODEL_FLAGS, '--file', 'README.md', '--batch-size', 'many'], /--batch-size must be an integer >= 1, got 'many'/],
  ];
  const results = await Promise.all(cases.map(([cmd, args]) => llmts([cmd, ...args])));
  cases.forEach(([cmd, args, re], i) => assertOneErrorLine(results[i]!, 'E_FLAG', re, `${cmd} ${args.join(' ')}`));
});

test('every other command: an unknown flag or a bad number is one error line from the same parser', async () => {
  const cases: [string[], string, RegExp][] = [
    [['data', 'prepare', '--out', 'x', '--bogus', 'a.txt'], 'E_FLAG', /unknown flag '--bogus' \(at llmts data prepare\) - fix: run `llmts data prepare --help`/],
    [['data', 'stats', '--thread', '2', 'a.txt'], 'E_FLAG', /unknown flag '--thread' \(did you mean --threads\?\) \(at llmts data stats\)/],
    [['data', 'tokenize', '--tokenizer', 'char', '--out', 'x', '--val-fraction', '-0.5', 'a.txt'], 'E_FLAG', /--val-fraction must be a number in \[0, 1\), got '-0\.5'/],
    [['tokenizer', 'decode', '--tokenizer', 'gpt2', '--id', '[1]'], 'E_FLAG', /unknown flag '--id' \(did you mean --ids\?\) \(at llmts tokenizer decode\)/],
    [['tokenizer', 'train', '--vocab-size', '-3', 'a.txt'], 'E_FLAG', /--vocab-size must be an integer/],
    [['model', 'info', '--preset', 'tiny', '--batch', '-3'], 'E_FLAG', /--batch must be an integer >= 1, got '-3'/],
    [['demo', '--stepz', '5'], 'E_FLAG', /unknown flag '--stepz' \(did you mean --steps\?\) \(at llmts demo\)/],
    [['train', '--maxStep=5'], 'E_CONFIG', /unknown config key 'maxStep'/],
  ];
  const results = await Promise.all(cases.map(([args]) => llmts(args)));
  cases.forEach(([args, code, re], i) => assertOneErrorLine(results[i]!, code, re, args.join(' ')));
});

test('generate: a missing --prompt-file is one E_FILE line', async () => {
  const r = await llmts(['generate', ...MODEL_FLAGS, '--prompt-file', 'no/such/prompt.txt']);
  assertOneErrorLine(r, 'E_FILE', /cannot read the prompt file no\/such\/prompt\.txt \(at --prompt-file\)/, 'generate --prompt-file missing');
});

test('serve on a busy port: one E_LISTEN line with the fix, and the process ends', async () => {
  const other = createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const port = (other.address() as AddressInfo).port;
  try {
    const r = await llmts(['serve', ...MODEL_FLAGS, '--port', String(port), '--quiet']);
    assertOneErrorLine(r, 'E_LISTEN', new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .* - fix: stop the other server, or pick another port`), 'serve on a busy port');
  } finally {
    other.close();
  }
});

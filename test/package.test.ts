// The published surface: `import ... from 'llmts'` resolves through package.json "exports"
// to the built dist/ (npm install builds it), and the CLI binary runs from dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test("import from 'llmts' gives the layers and the top-level helpers", async () => {
  const llm = await import('llmts');
  assert.deepEqual(llm.loadTokenizer('gpt2').encode('hello world'), [31373, 995]);
  for (const ns of ['tensor', 'nn', 'optim', 'models', 'tokenizer', 'data', 'train', 'evaluation', 'infer', 'io'] as const) {
    assert.equal(typeof llm[ns], 'object', ns);
  }
  const t = llm.Tensor.fromArray([1, 2, 3, 4], [2, 2]);
  assert.deepEqual(llm.tensor.matmul(t, t).toArray(), [7, 10, 15, 22]);
});

test('the llmts binary (dist/cli/main.js) prints its usage', () => {
  const out = execFileSync(process.execPath, ['dist/cli/main.js', '--help'], { encoding: 'utf8' });
  assert.match(out, /usage: llmts <command>/);
  assert.match(out, /tokenizer/);
});

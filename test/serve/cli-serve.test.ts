// `llmts serve` as a user runs it: prints its URL, enforces --api-key, writes one access-log
// line per request to stderr, and stops cleanly (exit 0) on SIGTERM while a stream runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import OpenAI from 'openai';

test('llmts serve: URL on stdout, API key, access log on stderr, graceful SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve',
    '--model', 'data/llama2c-stories260k/stories260K.bin', '--tokenizer', 'data/llama2c-stories260k/tok512.bin',
    '--port', '0', '--api-key', 'k-123', '--max-tokens-limit', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stdout: ${out} stderr: ${err}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    assert.match(out, /stories260K \(context 512\)/);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k-123', maxRetries: 0 });
    const r = await client.completions.create({ model: 'stories260K', prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
    assert.equal(r.usage!.completion_tokens, 5);
    await assert.rejects(new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list(), OpenAI.AuthenticationError);
    await assert.rejects(client.completions.create({ model: 'stories260K', prompt: 'Hi', max_tokens: 101 }), OpenAI.BadRequestError);
    // a stream in flight when SIGTERM arrives still ends with [DONE]
    const stream = await client.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100, stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    child.kill('SIGTERM');
    let chunks = 1;
    for (let c = await it.next(); !c.done; c = await it.next()) chunks++;
    assert.ok(chunks > 1);
    assert.equal(await exited, 0);
    assert.match(err, /POST \/v1\/completions 200 \d+ ms 5\+5 tokens/);
    assert.match(err, /GET \/v1\/models 401 \d+ ms/);
    assert.match(err, /POST \/v1\/completions 400 \d+ ms/);
    assert.match(err, /SIGTERM, finishing running requests/);
    assert.match(err, /llmts serve: stopped/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

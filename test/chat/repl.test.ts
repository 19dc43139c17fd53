import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { ChatSession, chatStopTokens } from '../../src/infer/chat.ts';
import { generate } from '../../src/infer/engine.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { chatRepl, run } from '../../src/cli/chat.ts';
import { llmts } from '../cli-run.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin';
const TOK = 'data/llama2c-stories260k/tok512.bin';
const { model, tokenizer } = loadModel(MODEL, TOK);
const chatml = ChatTemplate.chatml();
const SAMPLING = { maxTokens: 24, temperature: 0.8, topK: 0, topP: 0.95, repetitionPenalty: 1, seed: 7 };

/** What the REPL should answer, computed with the library: answer n uses seed + n. */
function expectedAnswers(script: (string | 'reset')[], system?: string, template = chatml): string[] {
  const s = new ChatSession(tokenizer, template, { system, contextLength: model.config.blockSize, reserve: SAMPLING.maxTokens });
  const out: string[] = [];
  for (const line of script) {
    if (line === 'reset') {
      s.reset();
      continue;
    }
    const r = generate(model, s.ask(line).ids, { ...SAMPLING, seed: SAMPLING.seed + out.length, stop: template.stop, stopTokens: chatStopTokens(tokenizer, template) }, tokenizer);
    s.answer(r.text);
    out.push(r.text);
  }
  return out;
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => { text += d.toString('utf8'); });
  return () => text;
}

test('REPL in-process: answers equal the library\'s multi-turn generations; /reset, /history, /system, unknown commands', async () => {
  const input = new PassThrough(), output = new PassThrough(), errors = new PassThrough();
  const out = collect(output), err = collect(errors);
  const repl = chatRepl({ model, tokenizer, template: chatml, system: 'You tell stories.', sampling: SAMPLING, input, output, errors, terminal: false, handleSignals: false });
  input.end('Hello there\nWhat happened next?\n/history\n/reset\n\n/history\nHello there\n/nope\n/system Be brief.\n/system\n');
  assert.equal(await repl.done, 0);
  const want = expectedAnswers(['Hello there', 'What happened next?', 'reset', 'Hello there'], 'You tell stories.');
  assert.equal(out(), want.map((a) => a + '\n').join(''));
  assert.notEqual(want[0], want[2]); // same prompt, different seed (7 vs 9)
  const e = err();
  assert.ok(e.includes(`system: You tell stories.\nuser: Hello there\nassistant: ${want[0]}\nuser: What happened next?\nassistant: ${want[1]}\n`), e);
  assert.ok(e.includes('(conversation cleared)\nsystem: You tell stories.\n(no messages yet)\n'), e);
  assert.ok(e.includes('unknown command /nope (see /help)'));
  assert.ok(e.includes('(system prompt set)\nsystem: Be brief.\n'));
});

test('REPL in-process: interrupt() stops the answer being streamed, keeps it marked, and the next line is answered', async () => {
  const input = new PassThrough(), output = new PassThrough(), errors = new PassThrough();
  const out = collect(output), err = collect(errors);
  const repl = chatRepl({ model, tokenizer, template: chatml, sampling: { ...SAMPLING, maxTokens: 1_000_000 }, ignoreEos: true, input, output, errors, terminal: false, handleSignals: false });
  input.write('Tell me a long story\n');
  await new Promise<void>((resolve) => output.once('data', () => resolve()));
  repl.interrupt();
  await new Promise<void>((resolve) => { const t = setInterval(() => { if (err().includes('[answer stopped]')) { clearInterval(t); resolve(); } }, 5); });
  const first = out();
  assert.ok(first.endsWith('\n') && first.length > 1);
  input.end('/history\n');
  assert.equal(await repl.done, 0);
  assert.equal(out(), first); // /history answers on stderr
  assert.ok(err().includes(`assistant: ${first.slice(0, -1)} [stopped]\n`), err());
  // interrupt() while idle on piped input leaves
  const idleIn = new PassThrough();
  const idle = chatRepl({ model, tokenizer, template: chatml, sampling: SAMPLING, input: idleIn, output: new PassThrough(), errors: new PassThrough(), terminal: false, handleSignals: false });
  idle.interrupt();
  assert.equal(await idle.done, 0);
});

const FLAGS = ['--model', MODEL, '--tokenizer', TOK, '--max-tokens', '24', '--temperature', '0.8', '--top-p', '0.95', '--seed', '7'];

test('llmts chat, piped: two turns, /reset, a third, /exit (later lines ignored); stdout = the answers', () => {
  const r = llmts(['chat', ...FLAGS], { input: 'Hello there\nWhat happened next?\n/reset\nHello there\n/exit\nnot answered\n' });
  assert.equal(r.code, 0, r.stderr);
  const want = expectedAnswers(['Hello there', 'What happened next?', 'reset', 'Hello there']);
  assert.equal(r.stdout, want.map((a) => a + '\n').join(''));
  assert.equal(r.stderr, '(conversation cleared)\n');
  // a HF template from a tokenizer_config.json (TinyLlama / Zephyr), with a system prompt
  const zephyr = 'test/fixtures/chat-templates/tinyllama/tokenizer_config.json';
  const z = llmts(['chat', ...FLAGS, '--chat-template', zephyr, '--system', 'You tell stories.'], { input: 'Hello there\nWhat happened next?\n' });
  assert.equal(z.code, 0, z.stderr);
  assert.ok(z.stdout.length > 20);
  assert.equal(z.stdout, expectedAnswers(['Hello there', 'What happened next?'], 'You tell stories.', ChatTemplate.fromFile(zephyr, tokenizer)).map((a) => a + '\n').join(''));
});

test('llmts chat: SIGINT while an answer streams stops it; the REPL answers the next line', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'chat', '--model', MODEL, '--tokenizer', TOK,
    '--max-tokens', '1000000', '--ignore-eos', '--temperature', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stdout = '', stderr = '';
  const waitFor = (pred: () => boolean): Promise<void> => new Promise((resolve) => {
    const check = (): void => { if (pred()) resolve(); else setTimeout(check, 10); };
    check();
  });
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.write('Tell me a story\n');
  await waitFor(() => stdout.length > 0);
  child.kill('SIGINT');
  await waitFor(() => stderr.includes('[answer stopped]'));
  const first = stdout;
  child.stdin.write('And another one\n');
  await waitFor(() => stdout.length > first.length + 20); // the second answer is streaming
  child.kill('SIGINT');
  await waitFor(() => stderr.split('[answer stopped]').length === 3);
  child.stdin.end();
  const code = await exit;
  clearTimeout(killer);
  assert.equal(code, 0, stderr);
  assert.ok(first.endsWith('\n'));
  assert.ok(stdout.length > first.length + 20 && stdout.endsWith('\n'));
  assert.equal(stderr, '[answer stopped]\n[answer stopped]\n');
});

test('llmts chat: flag mistakes are one-line errors', async () => {
  await assert.rejects(run(['--model', MODEL, '--tokenizer', TOK, '--temperature', 'hot']), /--temperature must be a number >= 0, got 'hot'/);
  await assert.rejects(run([]), /llmts chat needs --model/);
  await assert.rejects(run(['--model', MODEL, '--tokenizer', TOK, '--max-tokens', '0']), /--max-tokens must be an integer >= 1, got '0'/);
  await assert.rejects(run(['--model', MODEL, '--tokenizer', TOK, '--chat-template', 'no/such.json']), /no chat template file no\/such\.json/);
});

test('REPL in-process: a template that refuses the conversation is reported and the REPL goes on', async () => {
  const mistral = ChatTemplate.fromFile('test/fixtures/chat-templates/mistral/tokenizer_config.json');
  const input = new PassThrough(), output = new PassThrough(), errors = new PassThrough();
  const out = collect(output), err = collect(errors);
  const repl = chatRepl({ model, tokenizer, template: mistral, system: 'not allowed here', sampling: SAMPLING, input, output, errors, terminal: false, handleSignals: false });
  input.end('Hi\n/help\n/system\n');
  assert.equal(await repl.done, 0);
  assert.equal(out(), '');
  assert.match(err(), /^error E_CHAT_TEMPLATE: the chat template of .*mistral\/tokenizer_config\.json refused the conversation: Conversation roles must alternate/);
  assert.ok(err().includes('/reset           forget the conversation'));
  assert.ok(err().endsWith('system: not allowed here\n'));
});

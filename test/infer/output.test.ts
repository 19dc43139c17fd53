import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { GenerationOutput } from '../../src/infer/output.ts';
import { TextStream } from '../../src/infer/text-stream.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';

const tok = loadTokenizer('gpt2');

test('GenerationOutput: a stop string split over tokens is held back and cut', () => {
  const out = new GenerationOutput(tok.encode('Say:'), new TextStream(tok), { maxTokens: 10, stopTokens: [], stop: ['\n\n'] });
  assert.equal(out.promptText, 'Say:');
  const [hello, nl, nl2] = tok.encode('Hello\n\nWorld'); // Hello, \n, \n (World)
  assert.deepEqual(out.push(hello!), { text: 'Hello', finish: null });
  assert.deepEqual(out.push(nl!), { text: '', finish: null }); // could start '\n\n'
  assert.deepEqual(out.push(nl2!), { text: '', finish: 'stop' });
  assert.equal(out.flush(), ''); // nothing after a stop string
  assert.equal(out.text, 'Hello');
  assert.deepEqual(out.newIds, [hello, nl, nl2]);
  assert.equal(out.all.length, out.promptLength + 3);
});

test('GenerationOutput: maxTokens ends with length, flush releases held-back text', () => {
  const out = new GenerationOutput(tok.encode('A'), new TextStream(tok), { maxTokens: 2, stopTokens: [50256], stop: ['END'] });
  const ids = tok.encode(' EN there');
  assert.ok(out.isStop(50256) && !out.isStop(ids[0]!));
  const first = out.push(ids[0]!); // ' EN': 'EN' could start 'END' and is held back
  assert.deepEqual(first, { text: ' ', finish: null });
  const second = out.push(ids[1]!);
  assert.equal(second.finish, 'length');
  assert.equal(first.text + second.text + out.flush(), ' EN there');
  assert.equal(out.text, ' EN there');
});

test('GenerationOutput: what the stream holds back of the prompt is not output when nothing was generated', () => {
  const emoji = tok.encode('Hi 😀'); // the emoji's bytes span two tokens
  const out = new GenerationOutput(emoji.slice(0, -1), new TextStream(tok), { maxTokens: 5, stopTokens: [], stop: [] });
  assert.equal(out.promptText, 'Hi '); // the emoji's first bytes are held back
  assert.equal(out.flush(), ''); // a stop token at once: no U+FFFD from the prompt
  const again = new GenerationOutput(emoji.slice(0, -1), new TextStream(tok), { maxTokens: 5, stopTokens: [], stop: [] });
  assert.deepEqual(again.push(emoji.at(-1)!), { text: '😀', finish: null }); // completed by the first new token
});

test('GenerationOutput without a text stream counts ids only', () => {
  const out = new GenerationOutput([1, 2], null, { maxTokens: 2, stopTokens: [0], stop: [] });
  assert.deepEqual(out.push(5), { text: '', finish: null });
  assert.deepEqual(out.push(6), { text: '', finish: 'length' });
  assert.equal(out.flush(), '');
  assert.equal(out.text, '');
  assert.deepEqual(out.all, [1, 2, 5, 6]);
});

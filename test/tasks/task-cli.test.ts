/**
 * The task commands as a user runs them (spawned): `llmts classify` on the BERT classifier
 * fixture from --text and from stdin (--json lines equal to the tasks layer's), `llmts
 * summarize` and `llmts embed` reading stdin, a progress bar on stderr past one batch, and
 * the errors a user can cause as one E_ line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveHanModel } from '../../src/io/han-model-dir.ts';
import { DOCUMENT_DEFAULTS, hanConfig, hanFamily } from '../../src/models/han/index.ts';
import { classify, embed, loadTaskModel, summarize } from '../../src/tasks/index.ts';
import { llmts as runCli } from '../cli-run.ts';

const llmts = (args: string[], input?: string) => runCli([...args], { timeoutMs: 120_000, input });
const CLS = 'test/fixtures/hf-bert/cls', BART = 'test/fixtures/hf-bart/model';
const root = mkdtempSync(join(tmpdir(), 'llmts-task-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const hanDir = join(root, 'han');
saveHanModel(hanDir, {
  model: hanFamily.create(hanConfig({ arch: 'han', vocabSize: 4, embedDim: 8, wordHidden: 4, sentHidden: 4, attnDim: 6, numLabels: 2 }), { seed: 7 }),
  vocab: ['<unk>', 'win', 'money', 'hello'], labels: ['ham', 'spam'], document: DOCUMENT_DEFAULTS,
});
const TEXTS = ['The cat sat on the mat.', 'A little girl played with a big red ball in the park!', 'the end'];

test('llmts classify --json: one line per text (from --text or stdin) with the tasks layer\'s label and probabilities', () => {
  const want = classify(loadTaskModel(CLS), TEXTS);
  for (const r of [llmts(['classify', '--model', CLS, ...TEXTS.flatMap((t) => ['--text', t]), '--json']), llmts(['classify', '--model', CLS, '--json'], `${TEXTS.join('\n')}\n\n`)]) {
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string; id: number; score: number; probabilities: Record<string, number> });
    assert.equal(lines.length, TEXTS.length);
    lines.forEach((l, i) => {
      assert.equal(l.text, TEXTS[i]);
      assert.equal(l.label, want[i]!.label);
      assert.equal(l.id, want[i]!.id);
      want[i]!.scores.forEach((s) => assert.ok(Math.abs(l.probabilities[s.label]! - s.score) < 1e-6));
    });
  }
  const text = llmts(['sentiment', '--model', CLS, '--text', TEXTS[0]!]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${want[0]!.label} \\(${want[0]!.id}\\)  The cat sat on the mat\\.\\n  LABEL_0 +0\\.\\d{3}\\n  LABEL_1 +0\\.\\d{3}\\n  LABEL_2 +0\\.\\d{3}\\n$`));
});

test('llmts summarize and embed read stdin; more inputs than a batch draw a progress line on stderr', () => {
  const docs = ['We study tiny models.', 'A second abstract about beams.', 'A third one.'];
  const s = llmts(['summarize', '--model', BART, '--max-length', '12', '--batch-size', '1', '--json'], docs.join('\n'));
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual(s.stdout.trim().split('\n').map((l) => JSON.parse(l) as string), summarize(loadTaskModel(BART), docs, { maxLength: 12 }));
  assert.match(s.stderr, /^summarize \[#+\] 100% 3\/3 \| /m, 'a progress line (the last one only, on a pipe)');
  const e = llmts(['embed', '--model', BART, '--file', '-', '--json'], 'a cat\n');
  assert.equal(e.code, 0, e.stderr);
  const line = JSON.parse(e.stdout) as { index: number; text: string; embedding: number[] };
  assert.equal(line.text, 'a cat');
  const want = embed(loadTaskModel(BART), ['a cat'])[0]!;
  line.embedding.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-6));
  assert.equal(e.stderr, '', 'one input: no progress bar');
});

test('llmts classify --explain on a HAN: the attention weights as text and in --json', () => {
  const m = loadTaskModel(hanDir);
  const text = 'Win money now! Hello friend.';
  const want = classify(m, [text], { explain: true })[0]!;
  const j = llmts(['classify', '--model', hanDir, '--text', text, '--explain', '--json']);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual((JSON.parse(j.stdout) as { attention: unknown }).attention, want.attention);
  const t = llmts(['classify', '--model', hanDir, '--text', text, '--explain']);
  assert.equal(t.code, 0, t.stderr);
  const s0 = want.attention!.sentences[0]!;
  assert.ok(t.stdout.includes(`attention (sentence weight: word weights):\n  ${s0.weight.toFixed(3)}: ${s0.words.map((w) => `${w.text}(${w.weight.toFixed(2)})`).join(' ')}\n`), t.stdout);
});

test('llmts classify --explain on a BERT classifier: the attention rollout\'s word weights, as classify() gives them', () => {
  const text = 'the film is a gorgeous, witty delight';
  const want = classify(loadTaskModel(CLS), [text], { explain: true })[0]!;
  const j = llmts(['classify', '--model', CLS, '--text', text, '--explain', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const got = JSON.parse(j.stdout) as { attention: typeof want.attention };
  assert.deepEqual(got.attention, want.attention);
  assert.deepEqual(got.attention!.sentences[0]!.words.map((w) => w.text), text.split(' '));
});

test('task commands: user errors are one E_ line naming the model, the flag or the kind', () => {
  const cases: [string[], RegExp][] = [
    [['classify', '--model', BART, '--text', 'x'], /E_MODEL: llmts classify: the model is a bart, not a classifier: .*model is a bart encoder-decoder/],
    [['classify', '--model', CLS, '--text', 'x', '--tree'], /E_FLAG: --tree is for Tree-LSTMs; .*cls is a bert encoder with a sequence-classification head/],
    [['classify', '--model', CLS, '--ptb', '(1 (1 a) (1 b))'], /E_FLAG: --ptb is for Tree-LSTMs/],
    [['classify', '--model', CLS], /E_USAGE: llmts classify needs --text or --file \(or the texts on stdin/],
    [['classify', '--model', CLS, '--text', 'x', '--file', 'nope.txt'], /E_USAGE: cannot read nope\.txt/],
    [['embed', '--model', join('test', 'fixtures', 'hf-models', 'hf-gpt2-float32'), '--text', 'x', '--pooling', 'cls'], /E_INPUT: llmts embed: \[CLS\] pooling needs an encoder/],
    [['summarize', '--model', join('test', 'fixtures', 'hf-models', 'hf-gpt2-float32'), '--text', 'x'], /E_MODEL: llmts summarize: the model is a gpt2, not an encoder-decoder: .*hf-gpt2-float32 is a gpt2 decoder-only language model/],
  ];
  for (const [args, re] of cases) {
    const r = llmts(args, '');
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

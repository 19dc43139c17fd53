/**
 * `llmts train-han` and `llmts classify-doc` end to end on a tiny generated mail folder
 * (never SpamAssassin itself: the tests stay fast): headers stripped before the words
 * are read, train, save, load, labels with the attention behind them (text, JSON, HTML);
 * the errors a user can cause are one `llmts: error E_...` line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { llmts as runCli } from '../cli-run.ts';

const llmts = (...args: string[]) => runCli([...args], { timeoutMs: 180_000 });
const root = mkdtempSync(join(tmpdir(), 'llmts-han-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const SPAM = ['free', 'money', 'click', 'offer', 'win', 'cash', 'now', 'guaranteed', 'prize', 'credit'];
const HAM = ['meeting', 'patch', 'kernel', 'tomorrow', 'review', 'list', 'thanks', 'build', 'release', 'notes'];
const SHARED = ['the', 'a', 'to', 'and', 'you', 'we', 'this', 'is', 'for', 'of'];
const rng = new Rng(4);
const sentence = (pool: string[]): string => Array.from({ length: 4 + rng.int(5) }, () => (rng.uniform() < 0.5 ? pool : SHARED)[rng.int(10)]!).join(' ') + '.';
// every header names its folder (X-Folder-Tag): a reader that kept headers would learn the label from it
const mail = (pool: string[], tag: string): string => `From: someone@example.com\nX-Folder-Tag: ${tag}zz\nSubject: hello\n\n${Array.from({ length: 2 + rng.int(3) }, () => sentence(pool)).join(' ')}\n\n${sentence(pool)}\n`;
const data = join(root, 'mail');
for (const [folder, pool, n] of [['spam-1', SPAM, 20], ['easy-ham-1', HAM, 24]] as const) {
  mkdirSync(join(data, folder), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(data, folder, `${String(i).padStart(5, '0')}.txt`), mail(pool, folder.startsWith('spam') ? 'spam' : 'ham'));
  writeFileSync(join(data, folder, '00000.json'), '{"skipped": true}');
}
const model = join(root, 'model');

function oneErrorLine(r: ReturnType<typeof llmts>, code: string, re: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`^llmts: error ${code}: `));
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('llmts train-han learns a tiny mail folder, prints spam F1 beside the mean-pooled model and naive Bayes, saves the model', () => {
  const r = llmts('train-han', '--data', data, '--out', model, '--epochs', '12', '--batch-size', '4', '--lr', '0.02', '--embed', '8',
    '--word-hidden', '6', '--sent-hidden', '6', '--attn', '8', '--dropout', '0', '--min-count', '1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /44 messages, 0 duplicates dropped \| 31 train \/ 4 dev \/ 9 test/);
  assert.match(r.stdout, /han epoch 12\/12 \| dev spam F1 /);
  assert.match(r.stdout, /HAN \(bi-GRU \+ attention\) +\| 1\.0000 +\| 100\.00% +\| 1\.0000 +\| 100\.00%\nflat mean-pooled words +\| \d\.\d{4} .*\nnaive Bayes \(all body words\) +\| \d\.\d{4} .*\n\(4 dev and 9 test messages/);
  for (const f of ['model.safetensors', 'config.json', 'vocab.txt']) assert.ok(existsSync(join(model, f)), f);
  const vocab = readFileSync(join(model, 'vocab.txt'), 'utf8').split('\n');
  assert.ok(vocab.includes('prize') && vocab.includes('kernel'), 'body words are in the vocabulary');
  assert.ok(!vocab.some((w) => /zz$|^subject$|^example$/.test(w)), 'no header word is');
});

test('llmts classify-doc: the label, its probabilities and (--explain, --html, --json) the attention weights', () => {
  const spamMail = join(data, 'spam-1', '00003.txt');
  const t = llmts('classify-doc', '--model', model, '--file', spamMail, '--email', '--explain');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`^spam \\(1\\)  ${spamMail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n  ham +0\\.\\d{3}\n  spam +0\\.\\d{3}\n  attention`));
  assert.doesNotMatch(t.stdout, /zz|subject/i, 'the headers are not read with --email');
  const html = join(root, 'report.html');
  const j = llmts('classify-doc', '--model', model, '--text', 'Meeting tomorrow about the kernel patch. Thanks for the review.', '--json', '--html', html);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { label: string; probabilities: Record<string, number>; attention: { sentences: { text: string; weight: number; words: { text: string; weight: number }[] }[] } };
  assert.equal(out.label, 'ham');
  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total(Object.values(out.probabilities)) - 1) < 1e-5);
  assert.deepEqual(out.attention.sentences.map((s) => s.text), ['meeting tomorrow about the kernel patch', 'thanks for the review']);
  assert.ok(Math.abs(total(out.attention.sentences.map((s) => s.weight)) - 1) < 1e-5, 'sentence weights sum to 1');
  for (const s of out.attention.sentences) assert.ok(Math.abs(total(s.words.map((w) => w.weight)) - 1) < 1e-5, 'word weights sum to 1 in each sentence');
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<span style="background: rgba\(255, 120, 0, [\d.]+\)" title="[\d.]+">kernel<\/span>/);
});

test('llmts train-han and classify-doc: user errors are one line naming the folder, flag or file', () => {
  oneErrorLine(llmts('train-han'), 'E_USAGE', /needs --data/);
  oneErrorLine(llmts('train-han', '--data', join(root, 'nope')), 'E_INPUT', /cannot read the mail folder/);
  const onlyHam = join(root, 'only-ham');
  mkdirSync(join(onlyHam, 'ham'), { recursive: true });
  writeFileSync(join(onlyHam, 'ham', '1.txt'), 'Subject: x\n\nhello there\n');
  oneErrorLine(llmts('train-han', '--data', onlyHam), 'E_INPUT', /0 spam and 1 ham messages: both are needed/);
  oneErrorLine(llmts('train-han', '--data', data, '--epochs', '0'), 'E_FLAG', /--epochs must be/);
  oneErrorLine(llmts('classify-doc', '--model', model), 'E_USAGE', /needs --file or --text/);
  oneErrorLine(llmts('classify-doc', '--model', model, '--text', '...'), 'E_INPUT', /--text 1 has no words/);
  oneErrorLine(llmts('classify-doc', '--model', model, '--file', join(root, 'missing.eml')), 'E_INPUT', /cannot read .*missing\.eml/);
  const broken = join(root, 'broken');
  mkdirSync(broken);
  for (const f of ['model.safetensors', 'vocab.txt']) writeFileSync(join(broken, f), readFileSync(join(model, f)));
  const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { llmts: { model: { wordHidden: number }; document: { maxWords: unknown } } };
  cfg.llmts.document.maxWords = 'many';
  writeFileSync(join(broken, 'config.json'), JSON.stringify(cfg));
  oneErrorLine(llmts('classify-doc', '--model', broken, '--text', 'hi'), 'E_CHECKPOINT', /llmts\.document\.maxWords must be an integer/);
  cfg.llmts.document.maxWords = 40;
  cfg.llmts.model.wordHidden = 7;
  writeFileSync(join(broken, 'config.json'), JSON.stringify(cfg));
  oneErrorLine(llmts('classify-doc', '--model', broken, '--text', 'hi'), 'E_CHECKPOINT', /han\.word_gru\.weight_ih_l0 has shape \[18,8\], the config needs \[21,8\]/);
  oneErrorLine(llmts('classify-doc', '--model', root, '--text', 'hi'), 'E_CHECKPOINT', /config\.json is missing/);
});

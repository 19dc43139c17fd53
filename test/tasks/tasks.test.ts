/**
 * The tasks layer (src/tasks/) on the fixtures of every model kind: the kind read from the
 * files, classification equal to transformers' BertForSequenceClassification (softmax of
 * its logits), a classifier directory's labels against the trainer's own argmax, a
 * Tree-LSTM's phrases, a HAN's attention weights (explain), summaries equal to transformers' generate, embeddings equal to
 * transformers' pooled states, and an E_MODEL error naming the path and both kinds when a
 * task gets the wrong model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { predictLabels } from '../../src/eval/classification.ts';
import { embedIds } from '../../src/infer/embed.ts';
import { encodePrompt } from '../../src/infer/tokens.ts';
import { saveClassifier } from '../../src/io/classifier-dir.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { saveHanModel } from '../../src/io/han-model-dir.ts';
import { saveTreeModel } from '../../src/io/tree-model-dir.ts';
import { classifyDocument, DOCUMENT_DEFAULTS, hanConfig, hanFamily, splitDocument } from '../../src/models/han/index.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { postOrder, predictTrees, rightBranching, splitWords, treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { classify, embed, embedTokenIds, loadTaskModel, readTaskInputs, summarize, translate, type TaskModel } from '../../src/tasks/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const BERT = 'test/fixtures/hf-bert', BART = 'test/fixtures/hf-bart', GPT2 = 'test/fixtures/hf-models/hf-gpt2-float32';
const bert = JSON.parse(readFileSync(join(BERT, 'expected.json'), 'utf8')) as { sentences: string[]; cls: { logits: number[] }; embed: { mean: number[][] } };
const bart = JSON.parse(readFileSync(join(BART, 'expected.json'), 'utf8')) as { sources: string[]; generate: { settings: Record<string, number>; single: { ids: number[] }[] }[] };
const root = mkdtempSync(join(tmpdir(), 'llmts-tasks-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A classifier directory: the GPT-2 fixture with a 2-label head (zero weights when `zero`). */
function classifierDir(name: string, zero: boolean): string {
  const { model, tokenizer } = loadModel(GPT2);
  const clf = withHead(model, classificationHead({ numLabels: 2, pooling: 'last' }), { seed: 3 });
  if (zero) clf.head.namedParameters()[0]![1].data.fill(0);
  const dir = join(root, name);
  saveClassifier(dir, { model: clf, tokenizer, labels: ['neg', 'pos'] });
  return dir;
}

/** A Tree-LSTM directory with random weights over a few words. */
function treeDir(): string {
  const vocab = ['<unk>', 'a', 'great', 'awful', 'film', 'not'];
  const model = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: vocab.length, embedDim: 8, hiddenSize: 6, numLabels: 3 }), { seed: 5 });
  const dir = join(root, 'tree');
  saveTreeModel(dir, { model, vocab, labels: ['neg', 'neutral', 'pos'], lowercase: true });
  return dir;
}

/** Runs `fn` and returns the LlmtsError it throws. */
function thrown(fn: () => unknown): LlmtsError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LlmtsError, `not an LlmtsError: ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}

test('loadTaskModel reads the kind from the files: encoder (with or without labels), seq2seq, decoder, classifier, tree', () => {
  const kinds = (m: TaskModel) => [m.kind, m.kind === 'encoder' ? m.labels : 'labels' in m ? m.labels : null];
  assert.deepEqual(kinds(loadTaskModel(join(BERT, 'base'))), ['encoder', null]);
  assert.deepEqual(kinds(loadTaskModel(join(BERT, 'cls'))), ['encoder', ['LABEL_0', 'LABEL_1', 'LABEL_2']]);
  assert.deepEqual(kinds(loadTaskModel(join(BART, 'model'))), ['seq2seq', null]);
  assert.deepEqual(kinds(loadTaskModel(GPT2)), ['decoder', null]);
  assert.deepEqual(kinds(loadTaskModel(classifierDir('clf', false))), ['classifier', ['neg', 'pos']]);
  assert.deepEqual(kinds(loadTaskModel(treeDir())), ['tree', ['neg', 'neutral', 'pos']]);
  assert.equal(thrown(() => loadTaskModel(join(root, 'tree'), { tokenizer: 'gpt2' })).code, 'E_FLAG', 'a Tree-LSTM carries its own vocabulary');
});

test('classify with a BERT sequence classifier: the probabilities are the softmax of transformers\' logits; alone = in a batch', () => {
  const m = loadTaskModel(join(BERT, 'cls'));
  const [first] = classify(m, [bert.sentences[0]!]);
  const logits = bert.cls.logits.slice(0, 3); // row 0 (row 1 of the fixture has a second segment)
  const z = logits.reduce((a, x) => a + Math.exp(x), 0);
  first!.scores.forEach((s, k) => assert.ok(Math.abs(s.score - Math.exp(logits[k]!) / z) < 1e-4, `label ${k}: ${s.score}`));
  assert.equal(first!.id, logits.indexOf(Math.max(...logits)));
  assert.equal(first!.label, `LABEL_${first!.id}`);
  assert.equal(first!.truncated, false);
  const batch = classify(m, bert.sentences, { batchSize: 2 });
  batch[0]!.scores.forEach((s, k) => assert.ok(Math.abs(s.score - first!.scores[k]!.score) < 1e-5, 'padding does not change a shorter text'));
  const long = classify(m, ['the cat '.repeat(80)])[0]!;
  assert.equal(long.truncated, true, 'cut to the 64 positions, and said so');
});

test('classify with a classifier directory: the trainer\'s argmax labels; a zero head gives 1/L each', () => {
  const dir = classifierDir('clf2', false);
  const m = loadTaskModel(dir);
  assert.ok(m.kind === 'classifier');
  const texts = ['a good day', 'the worst film ever made', 'plain', 'We went to the park and played.'];
  const got = classify(m, texts);
  const batches = texts.map((t) => {
    const ids = m.tokenizer.encode(t);
    return { ids: Int32Array.from(ids), rows: 1, T: ids.length, labels: Int32Array.of(0) };
  });
  assert.deepEqual(got.map((c) => c.id), predictLabels(m.model, batches).pred);
  for (const c of got) assert.ok(Math.abs(c.scores[0]!.score + c.scores[1]!.score - 1) < 1e-6);
  const flat = classify(loadTaskModel(classifierDir('zero', true)), ['anything at all']);
  assert.deepEqual(flat[0]!.scores, [{ label: 'neg', score: 0.5 }, { label: 'pos', score: 0.5 }]);
  assert.equal(flat[0]!.label, 'neg', 'a tie goes to the first label');
});

test('classify with a Tree-LSTM: the root of the right-branching tree, and every phrase with phrases: true', () => {
  const m = loadTaskModel(join(root, 'tree'));
  assert.ok(m.kind === 'tree');
  const [c] = classify(m, ['not a great film'], { phrases: true });
  const tree = rightBranching(splitWords('not a great film'));
  const probs = predictTrees(m.model, [tree], m.wordId)[0]!;
  const rootProbs = Array.from(probs[probs.length - 1]!);
  c!.scores.forEach((s, k) => assert.equal(s.score, rootProbs[k]));
  assert.equal(c!.phrases!.length, postOrder(tree).length, 'one phrase per node');
  assert.deepEqual(c!.phrases!.slice(0, 2).map((p) => [p.text, p.depth]), [['not a great film', 0], ['not', 1]], 'parents first');
  assert.match(c!.tree!, /^\(\d \(\d not\) \(\d \(\d a\)/);
});

/** A HAN-family directory (arch 'han' or 'mean-pool') with random weights. */
function hanDir(arch: 'han' | 'mean-pool'): string {
  const vocab = ['<unk>', 'win', 'money', 'now', 'hello', 'friend'];
  const model = hanFamily.create(hanConfig({ arch, vocabSize: vocab.length, embedDim: 8, wordHidden: 4, sentHidden: 4, attnDim: 6, numLabels: 2 }), { seed: 4 });
  const dir = join(root, arch);
  saveHanModel(dir, { model, vocab, labels: ['ham', 'spam'], document: { ...DOCUMENT_DEFAULTS, maxSentences: 2 } });
  return dir;
}

test('classify with a HAN: the document\'s label, and with explain its sentence and word attention; the mean-pooled baseline has none', () => {
  const m = loadTaskModel(hanDir('han'));
  assert.ok(m.kind === 'han');
  const text = 'Win money now! Hello friend.';
  const [c] = classify(m, [text], { explain: true });
  const want = classifyDocument(m.model, m.wordId, m.labels, m.document, text, true);
  assert.deepEqual(c!.scores, want.scores);
  assert.deepEqual(c!.attention, want.attention);
  assert.deepEqual(c!.attention!.sentences.map((x) => x.words.map((w) => w.text)), splitDocument(text, m.document));
  assert.equal(c!.attention!.sentences.length, 2);
  const sum = c!.attention!.sentences.reduce((a, x) => a + x.weight, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `sentence weights sum to ${sum}`);
  assert.equal(c!.truncated, false);
  assert.equal(classify(m, ['Hello. Hello. Hello.'])[0]!.truncated, true, 'a third sentence past maxSentences 2');
  assert.equal(classify(m, [text])[0]!.attention, undefined, 'no weights unless asked');
  const flat = loadTaskModel(hanDir('mean-pool'));
  assert.match(thrown(() => classify(flat, [text], { explain: true })).message, /mean-pool document classifier .*, which has no attention weights/);
  assert.equal(thrown(() => embed(m, [text])).code, 'E_MODEL');
});

test('summarize / translate: transformers\' generate outputs (greedy, beam 4), progress after each batch', () => {
  const m = loadTaskModel(join(BART, 'model'));
  const decode = (ids: number[]) => m.kind === 'seq2seq' ? m.tokenizer.decode(ids.slice(1, ids[ids.length - 1] === 2 ? -1 : undefined), { skipSpecialTokens: true }) : '';
  const greedy = bart.generate.find((g) => g.settings.num_beams === 1)!;
  const progress: number[][] = [];
  const out = summarize(m, bart.sources, { maxLength: 20, batchSize: 1, onProgress: (d, t) => progress.push([d, t]) });
  assert.deepEqual(out, greedy.single.map((s) => decode(s.ids)));
  assert.deepEqual(progress, bart.sources.map((_, i) => [i + 1, bart.sources.length]));
  const beam = bart.generate.find((g) => g.settings.num_beams === 4 && g.settings.max_length === 20 && Object.keys(g.settings).length === 2)!;
  assert.deepEqual(translate(m, bart.sources, { numBeams: 4, maxLength: 20 }), beam.single.map((s) => decode(s.ids)));
});

test('embed: BERT masked mean = transformers\'; BART and decoders mean-pooled, unit length, a text alone = in a batch', () => {
  const enc = embed(loadTaskModel(join(BERT, 'base')), bert.sentences);
  enc.forEach((e, i) => e.forEach((v, k) => assert.ok(Math.abs(v - bert.embed.mean[i]![k]!) < 1e-4, `text ${i} dim ${k}`)));
  const s2s = loadTaskModel(join(BART, 'model'));
  const both = embed(s2s, bart.sources), alone = embed(s2s, [bart.sources[0]!]);
  for (const e of both) assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5);
  alone[0]!.forEach((v, k) => assert.ok(Math.abs(v - both[0]![k]!) < 1e-5, 'padding is masked'));
  assert.notDeepEqual(Array.from(both[0]!), Array.from(both[1]!));
  const dec = loadTaskModel(GPT2);
  assert.ok(dec.kind === 'decoder');
  assert.deepEqual(embed(dec, ['a cat']), [embedIds(dec.model, encodePrompt(dec.tokenizer, 'a cat'))]);
  assert.deepEqual(embedTokenIds(loadTaskModel(join(root, 'clf')), [5, 6]).length, dec.model.hiddenSize, 'a classifier\'s trunk embeds');
});

test('a task given the wrong kind of model: E_MODEL naming the path, the kind found and the kind needed', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => summarize(loadTaskModel(GPT2), ['x']), /^summarize: the model is a gpt2, not an encoder-decoder: .*hf-gpt2-float32 is a gpt2 decoder-only language model/],
    [() => translate(loadTaskModel(join(BERT, 'mlm')), ['x'], { caller: 'llmts translate' }), /^llmts translate: the model is a bert, not an encoder-decoder: .*mlm is a bert encoder with a masked-LM head/],
    [() => classify(loadTaskModel(join(BERT, 'base')), ['x']), /not a classifier: .*base is a bert encoder with no head .*BertForSequenceClassification/],
    [() => classify(loadTaskModel(join(BART, 'model')), ['x']), /the model is a bart, not a classifier/],
    [() => embed(loadTaskModel(join(root, 'tree')), ['x']), /the model is a tree-lstm, not a model with sentence embeddings/],
  ];
  for (const [fn, re] of cases) {
    const e = thrown(fn);
    assert.equal(e.code, 'E_MODEL', e.message);
    assert.match(e.message, re);
  }
  assert.equal(thrown(() => embed(loadTaskModel(GPT2), ['x'], { pooling: 'cls' })).code, 'E_INPUT');
  assert.equal(thrown(() => embedTokenIds(loadTaskModel(join(BERT, 'base')), [1, 2])).code, 'E_INPUT');
  assert.equal(thrown(() => classify(loadTaskModel(join(BERT, 'cls')), ['ok', '  '])).code, 'E_INPUT');
  assert.equal(thrown(() => summarize(loadTaskModel(join(BART, 'model')), [])).code, 'E_INPUT');
});

test('readTaskInputs: --text, then the file\'s non-empty lines; stdin with - or when nothing else is given (not a terminal)', async () => {
  const file = join(root, 'in.txt');
  writeFileSync(file, 'one\r\n\ntwo\n');
  const pipe = (s: string) => Object.assign(Readable.from([Buffer.from(s)]), { isTTY: false });
  assert.deepEqual(await readTaskInputs({ texts: ['zero'], file }), ['zero', 'one', 'two']);
  assert.deepEqual(await readTaskInputs({ file: '-', stdin: pipe('a\n\nb\n') }), ['a', 'b']);
  assert.deepEqual(await readTaskInputs({ stdin: pipe('c\n') }), ['c']);
  assert.deepEqual(await readTaskInputs({ texts: ['x'], stdin: pipe('never read\n') }), ['x']);
  assert.deepEqual(await readTaskInputs({ stdin: Object.assign(Readable.from([]), { isTTY: true }) }), [], 'a terminal is not read');
  await assert.rejects(readTaskInputs({ file: join(root, 'missing.txt') }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_USAGE' && /missing\.txt/.test(e.message));
});

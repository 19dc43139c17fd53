// The linear n-gram classifier (src/models/linear-text): it learns a planted task that
// needs bigrams, its directory round-trips, the tasks layer classifies with it, and a
// damaged directory is an E_CHECKPOINT error naming the file and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLinearText, saveLinearText } from '../../src/io/linear-text-dir.ts';
import { fnv1a, linearTextProbs, textFeatures, trainLinearText, type LinearTextExample } from '../../src/models/linear-text/index.ts';
import { canClassify, classify } from '../../src/tasks/classify.ts';
import { embed } from '../../src/tasks/embed.ts';
import { describeTaskModel, loadTaskModel, taskContextLength, taskTokenizer } from '../../src/tasks/model-kind.ts';
import { createServer } from '../../src/serve/server.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const THINGS = ['phone', 'film', 'meal', 'service', 'battery', 'plot', 'cast', 'screen'];
const WORDS = ['good', 'fun', 'bad', 'dull'];

/** Planted: "good"/"fun" are positive, "bad"/"dull" negative, and "not" before the word flips it (a bigram feature is needed). */
function planted(): LinearTextExample[] {
  const rows: LinearTextExample[] = [];
  for (const t of THINGS) {
    WORDS.forEach((w, j) => {
      const pos = j < 2 ? 1 : 0;
      rows.push({ text: `the ${t} was ${w}`, label: pos });
      rows.push({ text: `the ${t} was not ${w}`, label: 1 - pos });
    });
  }
  return rows;
}

function thrown(f: () => unknown): LlmtsError {
  try { f(); } catch (e) { if (e instanceof LlmtsError) return e; throw e; }
  assert.fail('no error');
}

test('features: hashed distinct uni- and bigram slots, ascending; FNV-1a of the empty string is its offset basis', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  const f = textFeatures("It isn't bad! bad", 1 << 20);
  const want = new Set(['it', "isn't", 'bad', '!', "it isn't", "isn't bad", 'bad !', '! bad'].map((g) => fnv1a(g) % (1 << 20)));
  assert.deepEqual([...f], [...want].sort((a, b) => a - b));
});

test('trainLinearText learns a planted negation task (held-out things), and the loss goes down', () => {
  const rows = planted();
  const train = rows.filter((r) => !r.text.includes('screen')), test = rows.filter((r) => r.text.includes('screen'));
  const losses: number[] = [];
  const m = trainLinearText(train, { labels: 2, buckets: 1 << 12, epochs: 60, lr: 0.1, onEpoch: (_, l) => losses.push(l) });
  assert.ok(losses.at(-1)! < losses[0]! / 4, `loss ${losses[0]} -> ${losses.at(-1)}`);
  for (const r of test) {
    const p = linearTextProbs(m, r.text);
    assert.equal(p[1]! > p[0]! ? 1 : 0, r.label, r.text);
    assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-9);
  }
  // Three labels: plain logistic regression (scale 1) learns which word is said.
  const three = THINGS.flatMap((t) => ['red', 'green', 'blue'].map((c, k) => ({ text: `the ${t} is ${c}`, label: k })));
  const m3 = trainLinearText(three, { labels: 3, buckets: 1 << 10, epochs: 60, lr: 0.1 });
  assert.ok(m3.scale.every((v) => v === 1));
  const p3 = linearTextProbs(m3, 'my hat is green');
  assert.equal(p3.indexOf(Math.max(...p3)), 1);
});

test('trainLinearText is deterministic', () => {
  const a = trainLinearText(planted(), { labels: 2, buckets: 256, epochs: 10 });
  const b = trainLinearText(planted(), { labels: 2, buckets: 256, epochs: 10 });
  assert.deepEqual(a.weight, b.weight);
});

test('save / load round trip, and classify through loadTaskModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-linear-'));
  try {
    const m = trainLinearText(planted(), { labels: 2, buckets: 1 << 12, epochs: 60, lr: 0.1 });
    saveLinearText(dir, m, ['negative', 'positive']);
    const back = loadLinearText(dir);
    assert.deepEqual(back.labels, ['negative', 'positive']);
    assert.deepEqual(back.model.config, m.config);
    assert.deepEqual(back.model.weight, m.weight);
    assert.deepEqual(back.model.scale, m.scale);
    const t = loadTaskModel(dir);
    assert.equal(t.kind, 'linear');
    assert.equal(describeTaskModel(t), 'a nbsvm linear n-gram classifier (labels negative, positive)');
    assert.ok(canClassify(t));
    assert.equal(taskTokenizer(t), null);
    assert.equal(taskContextLength(t), null);
    const [c, d] = classify(t, ['the screen was not bad', 'the screen was dull']);
    assert.equal(c!.label, 'positive');
    assert.equal(d!.label, 'negative');
    const want = linearTextProbs(m, 'the screen was dull');
    assert.ok(Math.abs(d!.scores[0]!.score - want[0]!) < 1e-6);
    assert.throws(() => classify(t, ['']), (e: unknown) => e instanceof LlmtsError && e.code === 'E_INPUT');
    assert.throws(() => classify(t, ['x'], { explain: true }), /no attention weights/);
    assert.throws(() => embed(t, ['x']), /not a model with sentence embeddings/);
    assert.throws(() => loadTaskModel(dir, { tokenizer: 'gpt2' }), /linear n-gram classifier directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged directory is E_CHECKPOINT (a broken safetensors file E_SAFETENSORS) naming the file and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-linear-bad-'));
  try {
    saveLinearText(dir, trainLinearText(planted(), { labels: 2, buckets: 64, epochs: 2 }), ['negative', 'positive']);
    const cfg = readFileSync(join(dir, 'config.json'), 'utf8'), weights = readFileSync(join(dir, 'model.safetensors'));
    const edit = (f: (j: { llmts: Record<string, unknown> & { model: Record<string, unknown> } }) => void): void => {
      const j = JSON.parse(cfg);
      f(j);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(j));
    };
    const cases: [() => void, RegExp][] = [
      [() => edit((j) => { j.llmts.model.buckets = 65; }), /scale has shape \[64\], the config needs \[65\]/],
      [() => edit((j) => { j.llmts.model.numLabels = 1; }), /llmts\.model\.numLabels must be an integer 2-1024, got 1/],
      [() => edit((j) => { j.llmts.model.arch = 'svm'; }), /llmts\.model\.arch must be "nbsvm"/],
      [() => edit((j) => { j.llmts.labels = ['only one']; }), /llmts\.labels must be 2 non-empty strings/],
      [() => edit((j) => { j.llmts.version = 2; }), /llmts\.version 2 is not 1/],
      [() => writeFileSync(join(dir, 'config.json'), '{ "llmts": '), /config\.json is not (valid )?JSON/],
      [() => writeFileSync(join(dir, 'model.safetensors'), weights.subarray(0, weights.length - 8)), /model\.safetensors: tensor 'bias' ends at byte/],
      [() => { const w = Buffer.from(weights); w.writeFloatLE(NaN, w.length - 4); writeFileSync(join(dir, 'model.safetensors'), w); }, /tensor \w+ has a value that is not finite/],
      [() => rmSync(join(dir, 'model.safetensors')), /model\.safetensors is missing/],
    ];
    for (const [damage, want] of cases) {
      writeFileSync(join(dir, 'config.json'), cfg);
      writeFileSync(join(dir, 'model.safetensors'), weights);
      damage();
      const e = thrown(() => loadTaskModel(dir));
      assert.equal(e.code, /ends at byte/.test(e.message) ? 'E_SAFETENSORS' : 'E_CHECKPOINT', e.message);
      assert.match(e.message, want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the server: /v1/tasks/classify with a linear model gives the labels of classify()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-linear-serve-'));
  const app = await (async () => {
    saveLinearText(dir, trainLinearText(planted(), { labels: 2, buckets: 1 << 12, epochs: 60, lr: 0.1 }), ['negative', 'positive']);
    return createServer({ task: loadTaskModel(dir), modelId: 'nbsvm', log: () => {} });
  })();
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/v1/tasks/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: ['the screen was not bad', 'the screen was dull'] }) });
    const body = await res.json() as { data?: { label: string }[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.data?.map((d) => d.label), ['positive', 'negative'], JSON.stringify(body));
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

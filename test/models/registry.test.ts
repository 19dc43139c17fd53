import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeStep } from '../../src/infer/decode-step.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { fromHfTensors, toHfTensors } from '../../src/io/hf-format.ts';
import { createModel, modelArchs, modelFamily, modelStats, parameterShapes, parseModelConfig, registerModel, type AnyModel } from '../../src/models/registry.ts';
import { loadTreeModel, saveTreeModel } from '../../src/io/tree-model-dir.ts';
import { parsePtbTrees, planTrees, treeFamily } from '../../src/models/tree/index.ts';
import type { StateEntry } from '../../src/nn/module.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-registry-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,\n');
const ids = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);

function logits(m: AnyModel): Float32Array {
  m.eval();
  let out = new Float32Array(0);
  noGrad(() => tidy(() => { out = m.forward(ids, 2, 5).logits.data.slice(); })); // (2, 5, V)
  return out;
}

const families = [...new Set(modelArchs().map((a) => modelFamily(a)))];
// Tree-LSTMs read trees, not token ids: their round trip is the test after the loop
const examples = families.filter((f) => f.name !== 'tree').flatMap((f) => f.exampleConfigs().map((c, i) => ({ name: `${f.name} ${c.arch} #${i}`, config: c })));

test('the registry holds gpt2, llama, bert, bart and the Tree-LSTMs, each family covers all its archs with examples', () => {
  assert.deepEqual(modelArchs(), ['gpt2', 'llama', 'bert', 'bart', 'tree-lstm', 'child-sum-tree-lstm']);
  for (const f of families) {
    assert.deepEqual([...new Set(f.exampleConfigs().map((c) => c.arch))].sort(), [...f.archs].sort(), `${f.name} examples cover its archs`);
  }
  assert.throws(() => registerModel('gpt2', families[0]!), /registered twice/);
});

for (const { name, config } of examples) {
  test(`${name}: save -> load through the registry gives the same logits, bit for bit`, () => {
    const model = createModel(config, { seed: 11 });
    const dir = join(root, name.replace(/\W+/g, '-'));
    saveCheckpoint(dir, { model, tokenizer: tok });
    const loaded = loadCheckpoint(dir);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(logits(loaded.model), logits(model));
  });

  test(`${name}: sizes from the config alone equal the built model`, () => {
    const model = createModel(config, { seed: 1 });
    assert.deepEqual([...parameterShapes(config)], model.namedParameters().map(([n, p]) => [n, [...p.shape]]));
    assert.equal(modelStats(config).params, model.numParameters());
    assert.deepEqual(model.info({ batchSize: 3 }), modelStats(config, { batchSize: 3 }));
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(config)) as unknown), config, 'a config survives JSON');
  });

  test(`${name}: HF tensor mapping round-trips; the decode plan steps as forward does`, () => {
    const model = createModel(config, { seed: 2 });
    const own = new Map<string, StateEntry>(model.namedParameters());
    const back = fromHfTensors(config, toHfTensors(config, own));
    assert.deepEqual([...back.keys()], [...own.keys()]);
    for (const [n, t] of own) assert.deepEqual(back.get(n)!.data, t.data, n);
    if (config.arch === 'bert') {
      assert.throws(() => model.decodePlan(), /bert is an encoder: it does not generate/); // encoders have no decode step
      return;
    }
    if (config.arch === 'bart') {
      assert.throws(() => model.decodePlan(), /bart is an encoder-decoder: it has no decoder-only decode plan/); // decoded by infer/seq2seq-generate.ts
      return;
    }
    model.eval();
    const cache = model.newCache(1);
    const V = config.vocabSize;
    let full = new Float32Array(0);
    noGrad(() => tidy(() => { full = model.forward(ids.subarray(0, 4), 1, 4).logits.data.slice(3 * V, 4 * V); }));
    noGrad(() => tidy(() => { model.forward(ids.subarray(0, 3), 1, 3, null, cache); }));
    const step = new Float32Array(V);
    new DecodeStep(model).run(ids[3]!, cache, step);
    for (let i = 0; i < V; i++) assert.ok(Math.abs(step[i]! - full[i]!) < 1e-5, `logit ${i}: ${step[i]} vs ${full[i]}`);
  });
}

treeFamily.exampleConfigs().forEach((config, i) => {
  test(`tree ${config.arch} #${i}: save -> load gives the same node logits, bit for bit; sizes from the config alone`, () => {
    const trees = parsePtbTrees('(3 (2 a) (4 (2 b) (3 c)))\n(1 (2 d) (1 e))\n', 'tiny.txt');
    const vocab = ['<unk>', 'a', 'b', 'c', 'd', 'e', ...Array.from({ length: config.vocabSize - 6 }, (_, k) => `w${k}`)];
    const model = treeFamily.create(config, { seed: 11 });
    const dir = join(root, `tree-${i}`);
    saveTreeModel(dir, { model, vocab, labels: ['0', '1', '2', '3', '4'].slice(0, config.numLabels), lowercase: true });
    const loaded = loadTreeModel(dir);
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(loaded.vocab, vocab);
    const run = (m: typeof model): number[] => { m.eval(); return noGrad(() => m.forward(planTrees(trees, loaded.wordId), false).logits.toArray()); };
    assert.deepEqual(run(loaded.model), run(model));
    assert.equal(loaded.wordId('B'), 2, 'lowercased lookup');
    assert.equal(loaded.wordId('zzz'), 0, 'unknown word -> row 0');
    assert.deepEqual([...parameterShapes(config as never)], model.namedParameters().map(([n, p]) => [n, [...p.shape]]));
    assert.equal(modelStats(config as never).params, model.numParameters());
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(config)) as unknown), config, 'a config survives JSON');
  });
});

test('parseModelConfig: defaults per arch, field-path errors for every kind of mistake', () => {
  const c = parseModelConfig({ arch: 'llama', vocabSize: 512, blockSize: 256, nLayer: 5, nHead: 8, nEmbd: 64 });
  assert.ok(c.arch === 'llama');
  assert.equal(c.intermediateSize, 256);
  assert.equal(c.nKvHead, 8);
  assert.equal(c.tieEmbeddings, false);
  assert.equal(parseModelConfig({ arch: 'gpt2', vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }).intermediateSize, 512);
  const bad = (raw: unknown, re: RegExp) => assert.throws(() => parseModelConfig(raw, 'train.model'), (e: unknown) => {
    assert.ok(e instanceof LlmtsError, String(e));
    assert.equal(e.code, 'E_CONFIG');
    assert.match(e.message, re);
    return true;
  });
  const ok = { arch: 'gpt2', vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
  bad({ ...ok, arch: undefined }, /train\.model\.arch is missing/);
  bad({ ...ok, arch: 'mamba' }, /train\.model\.arch "mamba" is not a known model architecture.*gpt2, llama, bert/);
  bad({ ...ok, nLayers: 4 }, /train\.model\.nLayers is not a model field/);
  bad({ ...ok, nLayer: 100000 }, /train\.model\.nLayer must be an integer >= 1 and <= 1024, got 100000/);
  bad({ ...ok, nEmbd: '128' }, /train\.model\.nEmbd must be an integer/);
  bad({ ...ok, bias: 1 }, /train\.model\.bias must be true or false/);
  bad({ ...ok, dropout: 1 }, /train\.model\.dropout must be a finite number >= 0 and <= 0\.999/);
  bad({ ...ok, nHead: 3 }, /train\.model: nEmbd 128 is not divisible by nHead 3.*train\.model\.nEmbd/);
  bad({ arch: 'llama', vocabSize: 65 }, /train\.model\.blockSize is missing/);
  bad([1, 2], /train\.model must be an object/);
});

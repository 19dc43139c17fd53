import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTrainConfig, parseValue } from '../../src/train/config.ts';
import { getPreset } from '../../src/models/presets.ts';
import { modelStats } from '../../src/models/registry.ts';

test('preset <- config file <- command line, each layer on top of the previous', () => {
  const preset = resolveTrainConfig({ overrides: { preset: 'shakespeare-char' } });
  assert.equal(preset.train.lr, 1e-3);
  assert.equal(preset.train.maxSteps, 2000);
  assert.equal(preset.model.nLayer, 4);
  assert.equal(preset.train.out, 'runs/shakespeare-char');
  const r = resolveTrainConfig({ file: { maxSteps: 500, lr: 3e-4, nLayer: 2 }, overrides: { preset: 'shakespeare-char', lr: '5e-4', batchSize: '4' } });
  assert.equal(r.train.maxSteps, 500); // file
  assert.equal(r.train.lr, 5e-4); // command line beats file
  assert.equal(r.train.batchSize, 4);
  assert.equal(r.model.nLayer, 2);
  assert.equal(r.train.beta2, 0.99); // preset recipe
  assert.deepEqual(Object.keys(r.train).slice(0, 3), ['preset', 'data', 'out']);
});

test('changing the width or heads re-derives the MLP width and kv heads unless set', () => {
  const r = resolveTrainConfig({ overrides: { preset: 'shakespeare-char', nEmbd: '64', nHead: '2' } });
  assert.equal(r.model.intermediateSize, 256);
  assert.ok(r.model.arch === 'gpt2');
  assert.equal(r.model.nKvHead, 2);
  const l = resolveTrainConfig({ overrides: { preset: 'tinystories-15m', nKvHead: '2' } });
  assert.equal(l.model.arch, 'llama');
  assert.equal(l.model.nKvHead, 2);
});

test('unknown keys are rejected with the nearest key as a hint', () => {
  assert.throws(() => resolveTrainConfig({ overrides: { maxStep: '10' } }), /unknown config key 'maxStep' \(at command line\).*did you mean 'maxSteps'/);
  assert.throws(() => resolveTrainConfig({ file: { learningRate: 1 } }), /unknown config key 'learningRate' \(at config file\)/);
});

test('types are checked: integers, numbers, booleans, enums, bounds; file values must be JSON-typed', () => {
  assert.throws(() => parseValue('maxSteps', '1.5', 'command line'), /maxSteps must be an integer, got "1.5"/);
  assert.throws(() => parseValue('maxSteps', '0', 'command line'), /maxSteps must be >= 1/);
  assert.throws(() => parseValue('lr', 'fast', 'command line'), /lr must be a number, got "fast"/);
  assert.throws(() => parseValue('decay', 'step', 'command line'), /decay must be one of cosine, linear, constant/);
  assert.throws(() => parseValue('resume', 'yes', 'command line'), /resume must be true or false/);
  assert.throws(() => parseValue('maxSteps', '100', 'config file'), /maxSteps must be an integer, got "100" \(at config file: maxSteps\)/);
  assert.equal(parseValue('lr', '3e-4', 'command line'), 3e-4);
  assert.equal(parseValue('progress', 'false', 'command line'), false);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'nope' } }), /unknown preset 'nope'.*shakespeare-char/);
});

test('constraints between keys: warmup within the run, minLr <= lr, heads divide the width', () => {
  assert.throws(() => resolveTrainConfig({ overrides: { maxSteps: '50', warmupSteps: '100' } }), /warmupSteps 100 is more than maxSteps 50/);
  assert.throws(() => resolveTrainConfig({ overrides: { lr: '1e-4', minLr: '1e-3' } }), /minLr 0.001 is above lr 0.0001/);
  assert.throws(() => resolveTrainConfig({ overrides: { nEmbd: '100', nHead: '3' } }), /nEmbd 100 is not divisible by nHead 3/);
});

test('resuming: the saved config is the base, and the model shape cannot change', () => {
  const saved = resolveTrainConfig({ overrides: { preset: 'tiny' } }).train;
  const r = resolveTrainConfig({ base: { ...saved }, overrides: { maxSteps: '300' } });
  assert.equal(r.train.maxSteps, 300);
  assert.equal(r.model.nEmbd, 32);
  assert.throws(() => resolveTrainConfig({ base: { ...saved }, overrides: { nLayer: '3' } }), /nLayer cannot change when resuming/);
});

test('model stats: GPT-2 124M has 124,439,808 parameters; FLOPs and memory follow the formulas', () => {
  const c = getPreset('gpt2-124m').model;
  const s = modelStats(c, { batchSize: 1 });
  assert.equal(s.params, 124_439_808);
  // matmul params exclude the position table: 124,439,808 - 1024 * 768
  assert.equal(s.matmulParams, 124_439_808 - 1024 * 768);
  assert.equal(s.forwardFlopsPerToken, 2 * s.matmulParams + 4 * 12 * 1024 * 768);
  assert.equal(s.trainFlopsPerToken, 3 * s.forwardFlopsPerToken);
  assert.equal(s.trainStateBytes, 16 * 124_439_808);
  assert.equal(s.kvCacheBytes, 4 * 2 * 12 * 768 * 1024);
  const small = modelStats(getPreset('shakespeare-char').model, { batchSize: 12 });
  assert.ok(small.params > 790_000 && small.params < 820_000, `${small.params}`);
});

test('the model keys of the training config are the model schema\'s fields (kinds, bounds, meaning), not a second declaration', async () => {
  const { KEYS } = await import('../../src/train/config.ts');
  const { modelConfigSchema } = await import('../../src/models/index.ts');
  const schema = modelConfigSchema('gpt2');
  for (const k of ['nLayer', 'nHead', 'nKvHead', 'nEmbd', 'blockSize', 'intermediateSize', 'bias', 'dropout'] as const) {
    assert.deepEqual([KEYS[k].kind, KEYS[k].doc, KEYS[k].min, KEYS[k].max], [schema[k]!.kind, schema[k]!.doc, schema[k]!.min, schema[k]!.max], k);
  }
  const { modelArchs } = await import('../../src/models/index.ts');
  assert.deepEqual(KEYS.arch.kind, modelArchs(), 'arch: any registered family (bert trains with --objective mlm)');
  assert.throws(() => parseValue('nLayer', '5000', 'command line'), new RegExp(`nLayer must be <= ${schema.nLayer!.max}`));
  // shape rules are the model's own, named as model fields
  assert.throws(() => resolveTrainConfig({ overrides: { arch: 'llama', nEmbd: '96', nHead: '32', nKvHead: '32' } }), /model: RoPE needs an even head size, got 3/);
});

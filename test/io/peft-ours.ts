/**
 * The LoRA adapters llm.ts writes for the peft parity fixtures (test/fixtures/peft-adapters/):
 * deterministic (seeded A from applyLora, B drawn from Rng), on the tiny HF bases of
 * test/fixtures/hf-models. `make-ours.ts` there writes them once; make-fixtures.py loads
 * them in peft and records peft's logits; test/io/peft-parity.test.ts rebuilds them and
 * checks the bytes and the logits.
 *
 * @example
 * const { model, kind } = buildOurAdapter(OUR_ADAPTERS[0]!);
 * saveAdapter(model, dir, { taskType: kind.taskType, baseModel: kind.base });
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/io/load-model.ts';
import type { AdapterModel, PeftTaskType } from '../../src/io/peft.ts';
import { classificationHead, ModelWithHead, withHead } from '../../src/models/heads.ts';
import type { AnyModel } from '../../src/models/registry.ts';
import { applyLora, loraLayers, type LoraOptions } from '../../src/nn/lora.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const PEFT_DIR = join(FIXTURES, 'peft-adapters');

/** The token ids every parity fixture runs (ids < 1024, the bases' vocabulary). */
export const PARITY_IDS = Int32Array.from([5, 17, 300, 42, 999, 7, 123, 64, 512, 3, 88, 1000]);

/** One adapter of ours: its base, task and LoRA options. */
export interface OurAdapterKind {
  name: string;
  /** Folder under test/fixtures/hf-models. */
  base: string;
  taskType: PeftTaskType;
  numLabels?: number;
  lora: LoraOptions;
}

export const OUR_ADAPTERS: readonly OurAdapterKind[] = [
  { name: 'ours-gpt2-causal', base: 'hf-gpt2-float32', taskType: 'CAUSAL_LM', lora: { r: 4, alpha: 8, targetModules: ['c_attn', 'c_proj'], seed: 11 } },
  { name: 'ours-gpt2-seqcls', base: 'hf-gpt2-float32', taskType: 'SEQ_CLS', numLabels: 3, lora: { r: 4, alpha: 16, rsLora: true, modulesToSave: ['score'], seed: 12 } },
  { name: 'ours-llama-causal', base: 'hf-llama-float32', taskType: 'CAUSAL_LM', lora: { r: 4, alpha: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'down_proj'], seed: 13 } },
  { name: 'ours-llama-seqcls', base: 'hf-llama-float32', taskType: 'SEQ_CLS', numLabels: 2, lora: { r: 2, alpha: 4, modulesToSave: ['score'], seed: 14 } },
];

/** The base model of a fixture (a fresh copy), with a classification head (seeded) when `numLabels` is given. */
export function loadBase(base: string, numLabels?: number): AdapterModel {
  const model = loadModel(join(FIXTURES, 'hf-models', base)).model;
  return numLabels ? withHead(model, classificationHead({ numLabels }), { seed: 5 }) : model;
}

/** Builds our adapter `kind` on a fresh base: applyLora (seeded A), then B ~ N(0, 0.2^2) and the head ~ N(0, 0.5^2) from Rng(seed + 100). */
export function buildOurAdapter(kind: OurAdapterKind): AdapterModel {
  const model = loadBase(kind.base, kind.numLabels);
  applyLora(model, kind.lora);
  const rng = new Rng((kind.lora.seed ?? 0) + 100);
  for (const [, l] of loraLayers(model)) {
    const b = l.loraB.weight.data;
    for (let i = 0; i < b.length; i++) b[i] = 0.2 * rng.normal();
  }
  for (const path of kind.lora.modulesToSave ?? []) {
    for (const p of model.getModule(path).parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.5 * rng.normal(); // a trained head
  }
  return model;
}

/** The logits of `model` on PARITY_IDS (eval mode): (T, V) for a language model, (numLabels) with a head. */
export function parityLogits(model: AdapterModel): Float32Array {
  model.eval();
  const T = PARITY_IDS.length;
  return noGrad(() => {
    if (model instanceof ModelWithHead) return model.forward({ ids: PARITY_IDS, B: 1, T }).logits.data.slice();
    return (model as AnyModel).forward(PARITY_IDS, 1, T).logits.data.slice();
  });
}

/** Largest |a[i] - b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

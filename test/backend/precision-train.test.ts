/**
 * Mixed precision needs no model change: the same tiny GPT-2 trains under
 * setBackend(withPrecision(native, 'bf16')) (every GEMM in bf16 with fp32 sums) as it does
 * in fp32, and its losses stay close to the fp32 ones without being equal to them.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { backend, setBackend } from '../../src/backend/index.ts';
import { loadNativeBackend } from '../../src/backend/native.ts';
import { withPrecision } from '../../src/backend/precision.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { AdamW, decayGroups } from '../../src/optim/index.ts';

const original = backend();
after(() => setBackend(original));

/** Losses of `steps` AdamW steps of a 2-layer GPT-2 on one fixed batch. */
function losses(steps: number): number[] {
  const cfg = gpt2Config({ vocabSize: 24, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 64 });
  const B = 4, T = 16;
  const model = createModel(cfg, { seed: 5 });
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0 }), { lr: 1e-2, betas: [0.9, 0.95] });
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + ((i * i) % 5)) % 24);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % 24);
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    const { loss } = model.forward(ids, B, T, targets);
    loss!.backward();
    opt.step();
    out.push(loss!.item());
  }
  return out;
}

test('a decoder trains the same way with bf16 GEMMs (withPrecision) as with fp32 ones', () => {
  const nb = loadNativeBackend().backend;
  assert.ok(nb, 'native addon not loaded');
  setBackend(nb);
  const fp32 = losses(60);
  setBackend(withPrecision(nb, 'bf16'));
  const bf16 = losses(60);
  setBackend(original);
  assert.notDeepEqual(bf16, fp32, 'bf16 GEMMs must change the numbers');
  assert.ok(Math.abs(bf16[0]! - fp32[0]!) < 0.01, `first loss ${bf16[0]} vs ${fp32[0]}`);
  assert.ok(Math.abs(bf16[10]! - fp32[10]!) < 0.05, `step 10 loss ${bf16[10]} vs ${fp32[10]}`);
  assert.ok(bf16[59]! < 0.01 && fp32[59]! < 0.01, `final losses bf16 ${bf16[59]}, fp32 ${fp32[59]}`);
});

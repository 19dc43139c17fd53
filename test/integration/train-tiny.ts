/**
 * Child script of the addon-missing test (not a test file itself): trains a tiny
 * decoder for a few steps with whatever backend loads and prints
 * `backend <name>` then `losses <first> <last>` on stdout.
 */
import { backend } from '../../src/backend/index.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { AdamW } from '../../src/optim/index.ts';

const B = 2, T = 8, V = 11;
const model = createModel(gpt2Config({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 5 });
const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 3) % V);
const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 3 + 3) % V);
const losses: number[] = [];
for (let step = 0; step < 40; step++) {
  model.zeroGrad();
  const { loss } = model.forward(ids, B, T, targets);
  loss!.backward();
  opt.step();
  losses.push(loss!.item());
}
console.log(`backend ${backend().name}`);
console.log(`losses ${losses[0]} ${losses[losses.length - 1]}`);

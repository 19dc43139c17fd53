/**
 * `npm run bench -- train-step [--only gpt2|small] [--steps N]`: tokens/s of one full
 * training step (forward, backward, AdamW) and peak memory, against llm.c's CPU
 * trainer measured on this machine (design.md):
 *   GPT-2 124M, B=4, T=64:                        llm.c 60 tok/s   (target >= 3x)
 *   4 layers, 4 heads, 128 wide, vocab 65, B=12, T=64: llm.c 7.8k tok/s (target >= 2x)
 * Peak RSS (process.resourceUsage().maxRSS) is compared with the analytic bytes of
 * params + grads + AdamW moments + saved activations (target <= 1.3x). Each model runs
 * in its own child process so that peaks do not mix.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { gpt2Config, type DecoderConfig } from '../src/models/config.ts';
import { Decoder } from '../src/models/decoder.ts';
import { AdamW, decayGroups } from '../src/optim/index.ts';
import { Rng } from '../src/util/rng.ts';

interface Case {
  name: string;
  config: DecoderConfig;
  B: number;
  T: number;
  warmup: number;
  steps: number;
  llmcTokPerSec: number;
  target: number;
}

const cases: Record<string, Case> = {
  gpt2: {
    name: 'GPT-2 124M (B=4, T=64)',
    config: gpt2Config({ vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 }),
    B: 4, T: 64, warmup: 2, steps: 5, llmcTokPerSec: 60, target: 3,
  },
  small: {
    name: '4L 4H 128w vocab 65 (B=12, T=64)',
    config: gpt2Config({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }),
    B: 12, T: 64, warmup: 10, steps: 100, llmcTokPerSec: 7800, target: 2,
  },
};

/**
 * Floats a minimal GPT-2 trainer must keep for backward (llm.c's forward activations,
 * with one attention matrix instead of two), plus the logits gradient.
 */
export function activationFloats(c: DecoderConfig, B: number, T: number): number {
  const C = c.nEmbd, H = c.intermediateSize, BT = B * T, V = c.vocabSize;
  const perLayer = BT * C /* ln1 */ + 2 * BT + 3 * BT * C /* qkv */ + c.nHead * B * T * T /* att */
    + BT * C /* atty */ + BT * C /* attproj */ + BT * C /* residual2 */ + BT * C + 2 * BT /* ln2 */
    + 2 * BT * H /* fch, gelu */ + BT * C /* fcproj */ + BT * C /* residual3 */;
  return BT * C /* encoded */ + c.nLayer * perLayer + BT * C + 2 * BT /* lnf */ + BT * V /* logits */
    + BT * V /* dlogits */ + 2 * BT /* losses, lse */;
}

const MB = 1024 * 1024;

/** Runs one case in this process and prints its line. */
async function runCase(c: Case, stepsOverride: number | undefined): Promise<void> {
  const baseRss = process.memoryUsage().rss;
  const model = new Decoder(c.config, { seed: 1337 });
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0.1 }), { lr: 1e-4, betas: [0.9, 0.95] });
  const rng = new Rng(1);
  const ids = new Int32Array(c.B * c.T);
  const targets = new Int32Array(c.B * c.T);
  const steps = stepsOverride ?? c.steps;
  let measured = 0, fwd = 0, bwd = 0, upd = 0, cpuUs = 0;
  let loss = NaN;
  for (let s = 0; s < c.warmup + steps; s++) {
    for (let i = 0; i < ids.length; i++) {
      ids[i] = rng.int(c.config.vocabSize);
      targets[i] = rng.int(c.config.vocabSize);
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    model.zeroGrad();
    const out = model.forward(ids, c.B, c.T, targets);
    const t1 = performance.now();
    out.loss!.backward();
    const t2 = performance.now();
    opt.step();
    const t3 = performance.now();
    loss = out.loss!.item();
    const dc = process.cpuUsage(c0);
    if (s >= c.warmup) {
      cpuUs += dc.user + dc.system;
      measured += t3 - t0;
      fwd += t1 - t0;
      bwd += t2 - t1;
      upd += t3 - t2;
    }
  }
  const msPerStep = measured / steps;
  const tokPerSec = (c.B * c.T * 1000) / msPerStep;
  const P = model.numParameters();
  const analytic = 4 * (4 * P + activationFloats(c.config, c.B, c.T));
  const peak = process.resourceUsage().maxRSS * 1024;
  const ratio = tokPerSec / c.llmcTokPerSec;
  console.log(`${c.name}: ${msPerStep.toFixed(1)} ms/step, ${tokPerSec.toFixed(0)} tok/s = ${ratio.toFixed(2)}x llm.c (${c.llmcTokPerSec} tok/s; target >= ${c.target}x${ratio >= c.target ? ', met' : ', NOT met'}) | loss ${loss.toFixed(3)}`);
  console.log(`  per step: forward ${(fwd / steps).toFixed(1)} ms, backward ${(bwd / steps).toFixed(1)} ms, AdamW ${(upd / steps).toFixed(1)} ms; `
    + `process CPU time ${(cpuUs / 1000 / steps).toFixed(1)} ms/step over all threads (steadier than wall time on a loaded machine)`);
  console.log(`  memory: peak RSS ${(peak / MB).toFixed(0)} MB vs analytic ${(analytic / MB).toFixed(0)} MB (params ${(P / 1e6).toFixed(2)}M x 4 copies + activations) = ${(peak / analytic).toFixed(2)}x (target <= 1.3x); `
    + `above the ${(baseRss / MB).toFixed(0)} MB runtime baseline: ${((peak - baseRss) / analytic).toFixed(2)}x`);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { only: { type: 'string' }, steps: { type: 'string' }, child: { type: 'boolean' } } });
  const steps = values.steps ? Number(values.steps) : undefined;
  if (values.child) {
    const c = cases[values.only ?? ''];
    if (!c) throw new Error(`unknown case ${values.only}`);
    await runCase(c, steps);
    return;
  }
  const slow = backend().name === 'reference';
  // GPT-2 124M on the plain-TypeScript backend takes minutes per step: only when asked for
  const names = values.only ? [values.only] : slow ? ['small'] : Object.keys(cases);
  console.log(`train-step: backend ${backend().name}, ${backend().getThreads()} threads; full step = forward + backward + AdamW`);
  if (slow) console.log('note: native kernels unavailable, these are reference-backend figures (GPT-2 skipped; --only gpt2 forces it)');
  const runner = fileURLToPath(new URL('./run.ts', import.meta.url));
  for (const name of names) {
    if (!cases[name]) throw new Error(`unknown case '${name}' (use ${Object.keys(cases).join(' or ')})`);
    const args = ['--import', 'tsx', runner, 'train-step', '--child', '--only', name, ...(values.steps ? ['--steps', values.steps] : [])];
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`train-step ${name} failed with exit code ${r.status}`);
  }
}

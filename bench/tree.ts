/**
 * `npm run bench -- tree [--data DIR] [--trees 500] [--batch 25] [--steps 20] [--node-steps 3]`:
 * training speed (nodes per second: forward, backward, AdamW step) of the binary
 * Tree-LSTM, llm.ts against the same model in PyTorch (bench/peers/torch_tree.py, in the
 * venv of bench/peers/torch-venv.ts; `--peer-threads N`, default ours) on the same batches from the same initial weights
 * (their first losses are printed side by side), with no dropout, weight decay or
 * clipping. Each side runs two ways: level-batched (all nodes of a tree level across the
 * batch in one product: what llm.ts does) and one node at a time in post-order (how the
 * reference implementations run). Ours also runs by level with the cell as per-step graph
 * ops (`BinaryTreeCell.fused = false`: the path before the fused whole-plan op), and each
 * line of ours gives the process CPU time per tree (both threads; steadier than wall time
 * on a loaded machine).
 * Trees: the first `--trees` of DIR/train.txt (SST; read, never copied) or, without
 * --data, random binary trees of 5-40 leaves over 5,000 words (seeded).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { BinaryTreeCell, planTrees, readPtbTrees, treeConfig, treeFamily, treeWords, type Tree, type TreePlan } from '../src/models/tree/index.ts';
import { AdamW } from '../src/optim/index.ts';
import { Rng } from '../src/util/rng.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

/** A random binary tree over `n` leaves (random split points, words and labels). */
function randomTree(rng: Rng, n: number, vocab: number): Tree {
  const label = rng.int(5);
  if (n === 1) return { label, word: `w${rng.int(vocab)}`, children: [] };
  const left = 1 + rng.int(n - 1);
  return { label, word: null, children: [randomTree(rng, left, vocab), randomTree(rng, n - left, vocab)] };
}

/** A plan as the peer reads it: per step words or global left/right indices; labels. */
function planJson(plan: TreePlan): unknown {
  const offsets: number[] = [];
  let n = 0;
  for (const s of plan.steps) { offsets.push(n); n += s.n; }
  return {
    trees: plan.trees,
    labels: Array.from(plan.labels),
    steps: plan.steps.map((s) => {
      if (s.words) return { words: Array.from(s.words) };
      const g = Array.from(s.childStep, (st, i) => offsets[st]! + s.childRow[i]!);
      return { left: g.filter((_, i) => i % 2 === 0), right: g.filter((_, i) => i % 2 === 1) };
    }),
  };
}

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, trees: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' }, 'node-steps': { type: 'string' }, torch: { type: 'string' }, 'peer-threads': { type: 'string' }, hidden: { type: 'string' }, embed: { type: 'string' } },
  });
  const N = Number(values.trees ?? 500), B = Number(values.batch ?? 25), steps = Number(values.steps ?? 20), nodeSteps = Number(values['node-steps'] ?? 3);
  const H = Number(values.hidden ?? 150), D = Number(values.embed ?? 300), lr = 1e-3, warmup = 2;
  const rng = new Rng(7);
  const trees = values.data ? readPtbTrees(join(values.data, 'train.txt')).slice(0, N) : Array.from({ length: N }, () => randomTree(rng, 5 + rng.int(36), 5000));
  const words = new Map<string, number>();
  for (const t of trees) for (const w of treeWords(t)) if (!words.has(w)) words.set(w, words.size);
  const wordId = (w: string): number => words.get(w)!;
  const batchTrees = Array.from({ length: Math.floor(trees.length / B) }, (_, k) => trees.slice(k * B, (k + 1) * B));
  const levelPlans = batchTrees.map((b) => planTrees(b, wordId));
  const nodePlans = batchTrees.slice(0, warmup + nodeSteps).map((b) => planTrees(b, wordId, { nodeAtATime: true }));
  const config = treeConfig({ arch: 'tree-lstm', vocabSize: words.size, embedDim: D, hiddenSize: H, dropout: 0 });
  const threads = backend().getThreads();
  const source = values.data ? `the first ${trees.length} trees of ${join(values.data, 'train.txt')}` : `${trees.length} random binary trees (5-40 leaves)`;
  const nodes = levelPlans.reduce((n, p) => n + p.nodes, 0);
  console.log(`tree: binary Tree-LSTM, ${D}-d words, ${H}-d states, vocab ${words.size}; ${source}: ${levelPlans.length} batches of ${B} trees, ${(nodes / levelPlans.length).toFixed(0)} nodes and ${(levelPlans.reduce((n, p) => n + p.steps.length, 0) / levelPlans.length).toFixed(1)} levels per batch`);

  type Ours = { nodesPerSec: number; msPerStep: number; firstLoss: number; cpuMsPerTree: number };
  const ours = (plans: TreePlan[], count: number, fused = true): Ours => {
    const model = treeFamily.create(config, { seed: 1 });
    (model.trunk.cell as BinaryTreeCell).fused = fused;
    const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
    const step = (p: TreePlan): number => {
      model.zeroGrad();
      const loss = model.forward(p).loss!;
      const v = loss.item();
      loss.backward();
      opt.step();
      return v;
    };
    const firstLoss = step(plans[0]!);
    for (let k = 1; k < warmup; k++) step(plans[k % plans.length]!);
    let n = 0, t = 0;
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    for (let k = 0; k < count; k++) {
      const p = plans[(warmup + k) % plans.length]!;
      step(p);
      n += p.nodes;
      t += p.trees;
    }
    const ms = performance.now() - t0, cpu = process.cpuUsage(cpu0);
    return { nodesPerSec: (1000 * n) / ms, msPerStep: ms / count, firstLoss, cpuMsPerTree: (cpu.user + cpu.system) / 1000 / t };
  };
  const fmt = (r: { nodesPerSec: number; msPerStep: number; firstLoss: number }): string => `${r.nodesPerSec.toFixed(0)} nodes/s, ${r.msPerStep.toFixed(1)} ms/step, first loss ${r.firstLoss.toFixed(6)}`;
  const cpuFmt = (r: Ours): string => `${fmt(r)}, CPU ${r.cpuMsPerTree.toFixed(2)} ms/tree`;
  const level = ours(levelPlans, steps);
  console.log(`  llm.ts  (${backend().name}, ${threads} threads) by level:      ${cpuFmt(level)}`);
  const unfused = ours(levelPlans, steps, false);
  console.log(`  llm.ts  (${backend().name}, ${threads} threads) by level, per-step graph ops: ${cpuFmt(unfused)} | fused / graph ops ${(level.nodesPerSec / unfused.nodesPerSec).toFixed(2)}x (CPU ${(unfused.cpuMsPerTree / level.cpuMsPerTree).toFixed(2)}x)`);
  const node = ours(nodePlans, nodeSteps);
  console.log(`  llm.ts  (${backend().name}, ${threads} threads) node at a time: ${cpuFmt(node)}`);

  const torch = values.torch === 'off' ? null : findTorch();
  if (torch && 'reason' in torch) {
    console.log(`  PyTorch peer: skipped (${torch.reason}); to run it: ${torchVenvHint()}`);
    return;
  }
  if (!torch) return;
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-tree-'));
  try {
    const model = treeFamily.create(config, { seed: 1 });
    const params: Record<string, [number, number[]]> = {};
    let offset = 0;
    const chunks: Float32Array[] = [];
    for (const [name, p] of model.namedParameters()) {
      params[name] = [offset, [...p.shape]];
      chunks.push(p.data);
      offset += p.size;
    }
    const flat = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) { flat.set(c, at); at += c.length; }
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(flat.buffer));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({
      H, lr, warmup, weights: join(dir, 'weights.bin'), params, steps,
      batches: levelPlans.map(planJson), nodeBatches: nodePlans.map(planJson),
    }));
    const script = fileURLToPath(new URL('./peers/torch_tree.py', import.meta.url));
    const peerThreads = Number(values['peer-threads'] ?? threads);
    type Peer = Ours & { torch: string };
    const peer = (mode: 'level' | 'node'): Peer | null => {
      const r = spawnSync(torch.python, [script, '--spec', join(dir, 'spec.json'), '--threads', String(peerThreads), '--mode', mode], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(peerThreads) },
      });
      const line = r.stdout?.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) {
        console.log(`  PyTorch peer (${mode}) failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
        return null;
      }
      return JSON.parse(line) as Peer;
    };
    // the node-at-a-time peer runs the same steps count as ours
    const specNode = JSON.stringify({ H, lr, warmup, weights: join(dir, 'weights.bin'), params, steps: nodeSteps, batches: [], nodeBatches: nodePlans.map(planJson) });
    const pl = peer('level');
    if (pl) console.log(`  PyTorch ${pl.torch} (${peerThreads} threads) by level:         ${cpuFmt(pl)} | llm.ts / PyTorch ${(level.nodesPerSec / pl.nodesPerSec).toFixed(2)}x (CPU per tree ${(pl.cpuMsPerTree / level.cpuMsPerTree).toFixed(2)}x)`);
    writeFileSync(join(dir, 'spec.json'), specNode);
    const pn = peer('node');
    if (pn) console.log(`  PyTorch ${pn.torch} (${peerThreads} threads) node at a time:    ${cpuFmt(pn)} | llm.ts by level / PyTorch node at a time ${(level.nodesPerSec / pn.nodesPerSec).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

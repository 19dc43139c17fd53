"""PyTorch peer of `npm run bench -- tree`: the same binary Tree-LSTM (Tai et al. 2015) trained
on the same batches from the same initial weights, fp32, AdamW (no weight decay, no clipping,
no dropout), timed over the same steps after the same warm-up.

    python bench/peers/torch_tree.py --spec /tmp/spec.json --threads 2 --mode level|node

The spec (written by bench/tree.ts) holds the sizes, the weights file (float32, our parameter
names and offsets) and the batches as llm.ts plans them: per step, the leaves' word ids or
each inner node's left / right child as an index into the nodes of earlier steps (steps in
order), and every node's label. `--mode level` runs a step of the batch per matrix product
(what llm.ts does); `--mode node` runs one node at a time in post-order, as the reference
implementations do (the spec's node-at-a-time plans).

Prints one JSON line: {"nodesPerSec", "msPerStep", "firstLoss", "cpuMsPerTree", "torch", "threads", "mode"}
(cpuMsPerTree: the process CPU time of the timed steps, all threads, per tree).
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--spec', required=True)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--mode', choices=['level', 'node'], default='level')
a = p.parse_args()
torch.set_num_threads(a.threads)
with open(a.spec) as f:
    spec = json.load(f)
flat = np.fromfile(spec['weights'], dtype=np.float32)
params = {}
for name, (offset, shape) in spec['params'].items():
    n = int(np.prod(shape))
    params[name] = torch.nn.Parameter(torch.from_numpy(flat[offset:offset + n].copy()).reshape(shape))
emb = params['tree.embeddings.weight']
leaf_w, leaf_b = params['tree.cell.leaf.weight'], params['tree.cell.leaf.bias']
comp_w, comp_b = params['tree.cell.compose.weight'], params['tree.cell.compose.bias']
cls_w, cls_b = params['classifier.weight'], params['classifier.bias']
H = spec['H']
opt = torch.optim.AdamW(list(params.values()), lr=spec['lr'], weight_decay=0.0)
batches = spec['nodeBatches'] if a.mode == 'node' else spec['batches']
for b in batches:
    b['labels_t'] = torch.tensor(b['labels'], dtype=torch.long)
    for s in b['steps']:
        if 'words' in s:
            s['words_t'] = torch.tensor(s['words'], dtype=torch.long)
        else:
            s['left_t'] = torch.tensor(s['left'], dtype=torch.long)
            s['right_t'] = torch.tensor(s['right'], dtype=torch.long)


def leaf_states(x):
    i, o, u = F.linear(x, leaf_w, leaf_b).split(H, dim=1)
    c = torch.sigmoid(i) * torch.tanh(u)
    return torch.sigmoid(o) * torch.tanh(c), c


def compose(hl, hr, cl, cr):
    i, fl, fr, o, u = F.linear(torch.cat([hl, hr], 1), comp_w, comp_b).split(H, dim=1)
    c = torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(fl) * cl + torch.sigmoid(fr) * cr
    return torch.sigmoid(o) * torch.tanh(c), c


def forward_level(b):
    hs, cs = [], []
    for s in b['steps']:
        if 'words_t' in s:
            h, c = leaf_states(emb[s['words_t']])
        else:
            h_all, c_all = torch.cat(hs), torch.cat(cs)
            h, c = compose(h_all[s['left_t']], h_all[s['right_t']], c_all[s['left_t']], c_all[s['right_t']])
        hs.append(h)
        cs.append(c)
    return F.linear(torch.cat(hs), cls_w, cls_b)


def forward_node(b):
    # one node per step (post-order): children are read from Python lists of per-node states
    hs, cs = [], []
    for s in b['steps']:
        if 'words' in s:
            h, c = leaf_states(emb[s['words_t']])
        else:
            l, r = s['left'][0], s['right'][0]
            h, c = compose(hs[l], hs[r], cs[l], cs[r])
        hs.append(h)
        cs.append(c)
    return F.linear(torch.cat(hs), cls_w, cls_b)


forward = forward_node if a.mode == 'node' else forward_level


def step(b):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(forward(b), b['labels_t'])
    loss.backward()
    opt.step()
    return loss.item()


first = step(batches[0])
for k in range(1, spec['warmup']):
    step(batches[k % len(batches)])
nodes = 0
trees = 0
t0 = time.perf_counter()
cpu0 = time.process_time()
for k in range(spec['steps']):
    b = batches[(spec['warmup'] + k) % len(batches)]
    step(b)
    nodes += len(b['labels'])
    trees += b['trees']
dt = time.perf_counter() - t0
cpu = time.process_time() - cpu0
print(json.dumps({'nodesPerSec': nodes / dt, 'msPerStep': 1000 * dt / spec['steps'], 'firstLoss': first, 'cpuMsPerTree': 1000 * cpu / trees,
                  'torch': torch.__version__, 'threads': a.threads, 'mode': a.mode}))

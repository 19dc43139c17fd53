"""PyTorch peer of `npm run bench -- han`: the same hierarchical attention network (Yang et al.
2016) trained on the same batches from the same initial weights, fp32, AdamW (no weight decay,
no clipping, no dropout), timed over the same steps after the same warm-up. The GRUs are
torch.nn.GRU(bidirectional=True) over packed sequences (pack_padded_sequence), the way
PyTorch HAN implementations run them; attention and masking as llm.ts does.

    python bench/peers/torch_han.py --spec /tmp/spec.json --threads 2

The spec (written by bench/han.ts) holds the sizes, the weights file (float32, our parameter
names and offsets: torch.nn.GRU's own names under han.word_gru / han.sent_gru) and the
batches as llm.ts builds them: every real sentence's word ids padded to T, its length, each
document's sentence count, the (B, S) grid's source rows, the labels.

Prints one JSON line: {"docsPerSec", "msPerStep", "firstLoss", "torch", "threads"}.
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

p = argparse.ArgumentParser()
p.add_argument('--spec', required=True)
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
with open(a.spec) as f:
    spec = json.load(f)
flat = np.fromfile(spec['weights'], dtype=np.float32)
W = {}
for name, (offset, shape) in spec['params'].items():
    n = int(np.prod(shape))
    W[name] = torch.from_numpy(flat[offset:offset + n].copy()).reshape(shape)


def gru(prefix, inp, hidden):
    g = torch.nn.GRU(inp, hidden, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for pname, param in g.named_parameters():
            param.copy_(W[f'{prefix}.{pname}'])
    return g


D, Hw, Hs = spec['D'], spec['Hw'], spec['Hs']
word_gru = gru('han.word_gru', D, Hw)
sent_gru = gru('han.sent_gru', 2 * Hw, Hs)
P = {k: torch.nn.Parameter(v) for k, v in W.items() if '_gru.' not in k}
params = list(P.values()) + list(word_gru.parameters()) + list(sent_gru.parameters())
opt = torch.optim.AdamW(params, lr=spec['lr'], weight_decay=0.0)

batches = []
for b in spec['batches']:
    Ns, T, B, S = b['sentences'], b['T'], b['B'], b['S']
    batches.append({
        'ids': torch.tensor(b['wordIds'], dtype=torch.long).view(Ns, T),
        'wordLens': torch.tensor(b['wordLens'], dtype=torch.long),
        'sentLens': torch.tensor(b['sentLens'], dtype=torch.long),
        'grid': torch.tensor([r if s == 0 else Ns for s, r in zip(b['sentSource'], b['sentRow'])], dtype=torch.long),
        'labels': torch.tensor(b['labels'], dtype=torch.long), 'Ns': Ns, 'T': T, 'B': B, 'S': S,
    })


def encode(rnn, x, lengths, T):
    out, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    return pad_packed_sequence(out, batch_first=True, total_length=T)[0]  # zeros at padding


def attend(h, lengths, prefix):
    u = torch.tanh(F.linear(h, P[f'{prefix}.proj.weight'], P[f'{prefix}.proj.bias']))
    scores = F.linear(u, P[f'{prefix}.context']).squeeze(-1)
    mask = torch.arange(h.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
    weights = torch.softmax(scores.masked_fill(mask, -1e9), dim=-1)
    return torch.bmm(weights.unsqueeze(1), h).squeeze(1)


def forward(b):
    x = F.embedding(b['ids'], P['han.embeddings.weight'])  # (Ns, T, D)
    sents = attend(encode(word_gru, x, b['wordLens'], b['T']), b['wordLens'], 'han.word_attn')  # (Ns, 2Hw)
    grid = torch.cat([sents, sents.new_zeros(1, 2 * Hw)])[b['grid']].view(b['B'], b['S'], 2 * Hw)
    docs = attend(encode(sent_gru, grid, b['sentLens'], b['S']), b['sentLens'], 'han.sent_attn')  # (B, 2Hs)
    return F.linear(docs, P['classifier.weight'], P['classifier.bias'])


def step(b):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(forward(b), b['labels'])
    loss.backward()
    opt.step()
    return loss.item()


first = step(batches[0])
for k in range(1, spec['warmup']):
    step(batches[k % len(batches)])
docs = 0
t0 = time.perf_counter()
for k in range(spec['steps']):
    b = batches[(spec['warmup'] + k) % len(batches)]
    step(b)
    docs += b['B']
dt = time.perf_counter() - t0
print(json.dumps({'docsPerSec': docs / dt, 'msPerStep': 1000 * dt / spec['steps'], 'firstLoss': first,
                  'torch': torch.__version__, 'threads': a.threads}))

"""The PyTorch + transformers reference of `npm run bench -- mlm-reference` (bench/mlm-reference.ts).

Loads llm.ts's initial encoder (an HF directory) into transformers' BertForMaskedLM (dropout 0),
compares the loss and every gradient on the first masked batch with llm.ts's (grads0.safetensors),
then trains on the same masked batches with the trainer's recipe: torch.optim.AdamW with decay on
the matrices only, the same betas and eps, global-norm clipping, linear warmup then cosine decay.
The MLM head runs on the masked rows only (the same math as on every row, as llm.ts does).
Prints one JSON line: {"loss0", "worstGrad": [rel, name], "losses": [...]}.
"""
import argparse, json, math

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertForMaskedLM

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--steps', type=int, required=True)
ap.add_argument('--threads', type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
m = json.load(open(f'{a.dir}/meta.json'))
cfg = json.load(open(f'{a.dir}/init/config.json'))
cfg.pop('llmts', None)
conf = BertConfig(**cfg)
conf.hidden_dropout_prob = 0.0
conf.attention_probs_dropout_prob = 0.0
model = BertForMaskedLM(conf)
model.load_state_dict(load_file(f'{a.dir}/init/model.safetensors'), strict=False)  # the tied decoder is not in the file
model.tie_weights()
N, B, T = m['N'], m['B'], m['T']
ids = torch.from_numpy(np.fromfile(f'{a.dir}/ids.bin', dtype=np.int32).astype(np.int64)).view(N, B, T)
tg = torch.from_numpy(np.fromfile(f'{a.dir}/targets.bin', dtype=np.int32).astype(np.int64)).view(N, B, T)
model.train()


def loss_of(s):
    x, y = ids[s], tg[s]
    h = model.bert(input_ids=x).last_hidden_state  # (B, T, C)
    sel = y != -100
    return torch.nn.functional.cross_entropy(model.cls(h[sel]), y[sel])  # mean over the masked positions


loss0 = loss_of(0)
loss0.backward()
ours = load_file(f'{a.dir}/grads0.safetensors')
named = dict(model.named_parameters())
worst = [0.0, '']
for k, v in ours.items():
    g = named[k].grad
    if g.norm().item() < 1e-8 * max(1.0, v.norm().item()) and v.norm().item() < 1e-8:
        continue  # both zero (the key bias: softmax ignores a constant)
    rel = (v - g).norm().item() / max(g.norm().item(), 1e-12)
    if rel > worst[0]:
        worst = [rel, k]
decay = [p for p in model.parameters() if p.dim() >= 2]
rest = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': m['weightDecay']}, {'params': rest, 'weight_decay': 0.0}],
                        lr=m['lr'], betas=(m['beta1'], m['beta2']), eps=1e-8)


def lr_at(s):
    if s < m['warmupSteps']:
        return m['lr'] * (s + 1) / m['warmupSteps']
    if s >= m['maxSteps']:
        return m['minLr']
    r = (s - m['warmupSteps']) / max(1, m['maxSteps'] - m['warmupSteps'])
    return m['minLr'] + 0.5 * (1 + math.cos(math.pi * r)) * (m['lr'] - m['minLr'])


losses = []
for s in range(a.steps):
    for g in opt.param_groups:
        g['lr'] = lr_at(s)
    opt.zero_grad()
    loss = loss_of(s)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), m['gradClip'])
    opt.step()
    losses.append(loss.item())
print(json.dumps({'loss0': loss0.item(), 'worstGrad': worst, 'losses': losses}))

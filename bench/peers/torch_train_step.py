"""PyTorch peer of `npm run bench -- train-step`: tokens/s of one full training step.

The same GPT-2 as llm.ts's (learned positions, pre-LayerNorm blocks, tanh GELU, tied
embeddings, biases, no dropout), written as nanoGPT's model.py in plain torch (fused
scaled_dot_product_attention), the same step: forward, cross-entropy on random targets,
backward, AdamW (lr 1e-4, betas 0.9 / 0.95, weight decay 0.1 on matrices). --dtype bf16
runs forward and loss under torch.autocast(cpu, bfloat16): PyTorch's mixed precision,
fp32 weights and optimizer state.

    python bench/peers/torch_train_step.py --vocab 65 --block 64 --layers 4 --heads 4 \
        --embd 128 --B 12 --T 64 --warmup 10 --steps 100 --dtype fp32 --threads 2

Prints one JSON line: {"tokPerSec", "msPerStep", "cpuMsPerStep" (process CPU time, all
threads), "loss", "torch", "dtype", "threads"}.
Needs only torch (and numpy, which torch imports when present).
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, nh):
        super().__init__()
        self.nh = nh
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, self.nh, C // self.nh).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.nh, C // self.nh).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.nh, C // self.nh).transpose(1, 2)  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))  # (B, T, C)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))  # (B, T, C)


class GPT(nn.Module):
    def __init__(self, V, block, L, nh, C):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(block, C)
        self.h = nn.ModuleList([Block(C, nh) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, mean=0.0, std=std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))  # (B, T, C)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.view(-1))


def main():
    p = argparse.ArgumentParser()
    for name in ("vocab", "block", "layers", "heads", "embd", "B", "T", "warmup", "steps", "threads"):
        p.add_argument(f"--{name}", type=int, required=True)
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    model = GPT(args.vocab, args.block, args.layers, args.heads, args.embd)
    model.train()
    decay = [q for q in model.parameters() if q.dim() >= 2]
    no_decay = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(1)
    autocast = torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=args.dtype == "bf16")
    measured = cpu = 0.0
    loss = float("nan")
    for s in range(args.warmup + args.steps):
        idx = torch.randint(args.vocab, (args.B, args.T), generator=gen)
        targets = torch.randint(args.vocab, (args.B, args.T), generator=gen)
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with autocast:
            out = model(idx, targets)
        out.backward()
        opt.step()
        t1, c1 = time.perf_counter(), time.process_time()
        loss = out.item()
        if s >= args.warmup:
            measured += t1 - t0
            cpu += c1 - c0
    ms = measured * 1000 / args.steps
    print(json.dumps({"tokPerSec": args.B * args.T * 1000 / ms, "msPerStep": ms, "cpuMsPerStep": cpu * 1000 / args.steps, "loss": loss, "torch": torch.__version__,
                      "dtype": args.dtype, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()

"""Continue training an llm.ts checkpoint with PyTorch DDP on llm.ts token shards.

An llm.ts checkpoint directory (runs/<name>/checkpoints/step-N/) is a transformers model
directory, and `llmts data tokenize` / `llmts train` write token shards with a meta.json.
This script reads both, trains with DistributedDataParallel and writes the result with
save_pretrained, which every llm.ts command that takes --model loads again.

    torchrun --nproc_per_node 2 scripts/scale/train_ddp.py \
        --model runs/sh/checkpoints/step-2000 --data runs/sh/data --out runs/sh-ddp \
        --steps 1000 --batch-size 12 --block-size 64 --lr 3e-4

One process per GPU with nccl where CUDA is present, else gloo on CPU (--dist-backend
overrides). Each rank draws its own random windows (seed + rank); gradients are averaged
by DDP, so the effective batch is batch-size x grad-accum x world size windows.

--logits-before / --logits-after FILE write reference logits (safetensors: "ids" int32
(1, T), "logits" float32 (1, T, V)) of the first T validation tokens, in fp32 eval mode,
for scripts/scale/compare-logits.ts to check against llm.ts. docs/scale.md has the recipe.
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch.nn.parallel import DistributedDataParallel as DDP
from transformers import AutoModelForCausalLM

SHARD_MAGIC = b"LLMTSTOK"
SHARD_VERSION = 1
SHARD_HEADER_BYTES = 32
META_FORMAT = "llmts-token-shards"


class DataError(Exception):
    """A token folder or shard that is not what llm.ts writes (message names the file)."""


def read_shard(path):
    """The ids of one llm.ts token shard (src/data/shards.ts), memory-mapped, checked like readShard."""
    size = os.path.getsize(path)
    if size < SHARD_HEADER_BYTES:
        raise DataError(f"{path}: {size} bytes, shorter than the {SHARD_HEADER_BYTES}-byte header")
    with open(path, "rb") as f:
        header = f.read(SHARD_HEADER_BYTES)
    if header[:8] != SHARD_MAGIC:
        raise DataError(f"{path}: not an llm.ts token shard (no LLMTSTOK magic)")
    version, dtype, count, vocab = struct.unpack("<IIQI", header[8:28])
    if version != SHARD_VERSION:
        raise DataError(f"{path}: shard version {version}; this script reads version {SHARD_VERSION}")
    if dtype not in (2, 4):
        raise DataError(f"{path}: dtype {dtype}; expected 2 (uint16) or 4 (uint32)")
    if size != SHARD_HEADER_BYTES + count * dtype:
        raise DataError(f"{path}: {size} bytes, but the header announces {count} ids")
    ids = np.memmap(path, dtype="<u2" if dtype == 2 else "<u4", mode="r", offset=SHARD_HEADER_BYTES, shape=(count,))
    return ids, vocab


def load_token_folder(folder):
    """meta.json and the train / val shards of a folder written by `llmts data tokenize`."""
    meta_path = os.path.join(folder, "meta.json")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as err:
        raise DataError(f"{meta_path}: cannot read an llm.ts meta.json ({err}); make one with `llmts data tokenize`") from err
    if meta.get("format") != META_FORMAT or meta.get("version") != 1:
        raise DataError(f"{meta_path}: format {meta.get('format')!r} version {meta.get('version')!r}, expected {META_FORMAT!r} version 1")
    splits = {}
    for split in ("train", "val"):
        shards = []
        for i, entry in enumerate(meta.get(split, [])):
            name = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(name, str) or os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
                raise DataError(f"{meta_path}: {split}[{i}].file must name a file inside the folder")
            ids, vocab = read_shard(os.path.join(folder, name))
            if len(ids) != entry.get("tokens"):
                raise DataError(f"{os.path.join(folder, name)}: {len(ids)} ids, meta.json says {entry.get('tokens')}")
            if vocab and vocab != meta["vocabSize"]:
                raise DataError(f"{os.path.join(folder, name)}: vocabulary {vocab}, meta.json says {meta['vocabSize']}")
            shards.append(ids)
        splits[split] = shards
    return meta, splits


class WindowSampler:
    """Random (B, T+1) windows from shards, a shard picked in proportion to its usable length."""

    def __init__(self, shards, block_size, seed):
        self.shards = [s for s in shards if len(s) > block_size + 1]
        if not self.shards:
            raise DataError(f"no training shard holds more than block size + 1 = {block_size + 1} tokens")
        usable = np.array([len(s) - block_size - 1 for s in self.shards], dtype=np.float64)
        self.weights = usable / usable.sum()
        self.T = block_size
        self.rng = np.random.default_rng(seed)

    def batch(self, B):
        rows = np.empty((B, self.T + 1), dtype=np.int64)
        picks = self.rng.choice(len(self.shards), size=B, p=self.weights)
        for b, k in enumerate(picks):
            s = self.shards[k]
            start = int(self.rng.integers(0, len(s) - self.T - 1 + 1))
            rows[b] = s[start:start + self.T + 1]
        x = torch.from_numpy(rows[:, :-1])
        y = torch.from_numpy(rows[:, 1:])
        return x, y  # (B, T), (B, T)


def val_windows(shards, block_size, count):
    """The first `count` consecutive (T+1)-token windows of the validation split (deterministic)."""
    ids = np.concatenate([np.asarray(s) for s in shards]) if shards else np.zeros(0, dtype=np.int64)
    n = min(count, (len(ids) - 1) // block_size)
    if n < 1:
        raise DataError(f"the validation split holds {len(ids)} tokens, fewer than block size + 1 = {block_size + 1}")
    rows = np.stack([ids[i * block_size:i * block_size + block_size + 1] for i in range(n)]).astype(np.int64)
    return torch.from_numpy(rows[:, :-1]), torch.from_numpy(rows[:, 1:])  # (n, T), (n, T)


@torch.no_grad()
def val_loss(model, windows, device, batch_size):
    """Mean next-token loss over the validation windows, fp32, eval mode."""
    was_training = model.training
    model.eval()
    x, y = windows
    total, count = 0.0, 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        logits = model(input_ids=xb).logits.float()  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), yb.reshape(-1), reduction="sum")
        total += loss.item()
        count += yb.numel()
    model.train(was_training)
    return total / count


@torch.no_grad()
def write_logits(model, ids, device, path):
    """Reference logits of one row of ids (fp32, eval mode) for compare-logits.ts."""
    was_training = model.training
    model.eval()
    logits = model(input_ids=ids.unsqueeze(0).to(device)).logits.float().cpu()  # (1, T, V)
    model.train(was_training)
    save_file({"ids": ids.unsqueeze(0).to(torch.int32).contiguous(), "logits": logits.contiguous()}, path)


def lr_at(step, args):
    """Linear warmup then cosine decay to min-lr (llm.ts's default schedule)."""
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    if args.steps <= args.warmup_steps:
        return args.lr
    ratio = (step - args.warmup_steps) / max(1, args.steps - args.warmup_steps)
    return args.min_lr + 0.5 * (1 + math.cos(math.pi * min(1.0, ratio))) * (args.lr - args.min_lr)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="llm.ts checkpoint (or any transformers causal-LM directory)")
    p.add_argument("--data", required=True, help="llm.ts token folder (meta.json + train-NNN.bin / val-NNN.bin)")
    p.add_argument("--out", required=True, help="directory to save_pretrained the result into")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps")
    p.add_argument("--batch-size", type=int, default=8, help="windows per micro-batch per process")
    p.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--block-size", type=int, default=0, help="tokens per window (0 = the model's context length)")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--min-lr", type=float, default=3e-5)
    p.add_argument("--warmup-steps", type=int, default=10)
    p.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay of matrices (biases and norms get none)")
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.95)
    p.add_argument("--grad-clip", type=float, default=1.0, help="0 = no clipping")
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32", help="bf16 = autocast matmuls (weights stay fp32)")
    p.add_argument("--eval-windows", type=int, default=32, help="validation windows scored before and after")
    p.add_argument("--log-interval", type=int, default=10)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--dist-backend", choices=["auto", "gloo", "nccl"], default="auto")
    p.add_argument("--logits-before", help="write reference logits of the loaded model here (safetensors)")
    p.add_argument("--logits-after", help="write reference logits of the trained model here (safetensors)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    distributed = "RANK" in os.environ
    cuda = torch.cuda.is_available()
    if distributed:
        backend = args.dist_backend if args.dist_backend != "auto" else ("nccl" if cuda else "gloo")
        dist.init_process_group(backend=backend)
        rank, world = dist.get_rank(), dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    else:
        backend, rank, world, local_rank = "none", 0, 1, 0
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    main_proc = rank == 0
    log = (lambda *a: print(*a, flush=True)) if main_proc else (lambda *a: None)

    try:
        meta, splits = load_token_folder(args.data)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).to(device)
    vocab = model.config.vocab_size
    if meta["vocabSize"] > vocab:
        print(f"error: {args.data}/meta.json has a vocabulary of {meta['vocabSize']}, the model only {vocab}", file=sys.stderr)
        return 2
    context = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", None)
    T = args.block_size or context
    if context and T > context:
        print(f"error: --block-size {T} is longer than the model's context ({context})", file=sys.stderr)
        return 2

    windows = val_windows(splits["val"], T, args.eval_windows)
    if main_proc and args.logits_before:
        write_logits(model, windows[0][0], device, args.logits_before)
    loss_before = val_loss(model, windows, device, args.batch_size)
    log(f"ddp: {world} process(es), backend {backend}, device {device.type}, {args.dtype}; "
        f"model {model.config.model_type} {sum(p.numel() for p in model.parameters())} params; T={T}, "
        f"{args.batch_size}x{args.grad_accum}x{world} windows/step; val loss before {loss_before:.4f} ({len(windows[0])} windows)")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(args.beta1, args.beta2))
    ddp = DDP(model, device_ids=[local_rank] if cuda else None) if distributed else model
    sampler = WindowSampler(splits["train"], T, args.seed + rank)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.dtype == "bf16")
    ddp.train()
    t0 = time.time()
    for step in range(args.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        opt.zero_grad(set_to_none=True)
        step_loss = 0.0
        for micro in range(args.grad_accum):
            x, y = sampler.batch(args.batch_size)
            x, y = x.to(device), y.to(device)
            sync = micro == args.grad_accum - 1 or not distributed
            ctx = contextlib.nullcontext() if sync else ddp.no_sync()
            with ctx, autocast:
                logits = ddp(input_ids=x).logits  # (B, T, V)
                loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
            (loss / args.grad_accum).backward()
            step_loss += loss.item() / args.grad_accum
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        if distributed:
            mean = torch.tensor([step_loss], device=device)
            dist.all_reduce(mean)
            step_loss = mean.item() / world
        if step % args.log_interval == 0 or step == args.steps - 1:
            elapsed = time.time() - t0
            tok = (step + 1) * args.batch_size * args.grad_accum * world * T
            log(f"step {step + 1}/{args.steps} | loss {step_loss:.4f} | lr {lr_at(step, args):.2e} | {tok / elapsed:.0f} tok/s")

    loss_after = val_loss(model, windows, device, args.batch_size)
    if main_proc:
        os.makedirs(args.out, exist_ok=True)
        model.save_pretrained(args.out)
        tok_file = os.path.join(args.model, "tokenizer.json")
        if os.path.exists(tok_file):
            shutil.copyfile(tok_file, os.path.join(args.out, "tokenizer.json"))
        if args.logits_after:
            write_logits(model, windows[0][0], device, args.logits_after)
        summary = {"world_size": world, "backend": backend, "dtype": args.dtype, "steps": args.steps, "block_size": T,
                   "val_loss_before": loss_before, "val_loss_after": loss_after, "seconds": time.time() - t0}
        with open(os.path.join(args.out, "ddp_summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
        log(f"val loss after {loss_after:.4f}; saved to {args.out} (save_pretrained{', tokenizer.json' if os.path.exists(tok_file) else ''})")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

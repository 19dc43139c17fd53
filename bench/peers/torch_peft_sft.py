"""PyTorch + peft peer of `npm run bench -- finetune`: tokens/s and held-out loss of the same SFT run.

The same Llama shape as llm.ts's model (transformers' LlamaForCausalLM from the config
below, tied embeddings, no dropout), the same starting weights (--weights: a safetensors
file with HF Llama names written by bench/finetune.ts; llama2.c's interleaved q/k rows are
permuted to HF's half-split order with --rope-interleaved; random init without), the same
batches (int32 ids and shifted targets, -100 outside the assistant answers, B x T per
step), the same steps, loss (mean cross-entropy over the scored targets), AdamW (betas
0.9 / 0.999, no weight decay), gradient clipping at 1 and learning-rate schedule (linear
warmup, cosine to lr / 10); --lora wraps the target modules (default every linear layer
but lm_head, peft's "all-linear") with LoRA of --lora-r / --lora-alpha, dropout 0, and
trains --lora-save modules in full (modules_to_save, tied weights kept tied). With --val,
the mean cross-entropy over the validation batches' scored targets before and after training.

    python bench/peers/torch_peft_sft.py --batches FILE.bin --steps 300 --B 8 --T 256 \
        --vocab 512 --dim 64 --hidden 172 --layers 5 --heads 8 --kv-heads 4 --lr 1e-3 --warmup 20 \
        [--weights W.safetensors --rope-interleaved] [--val VAL.bin --val-batches N] [--lora ...] --threads 1

Prints one JSON line: {"tokPerSec", "seconds", "cpuMsPerStep" (process CPU time, all threads), "trainable", "total", "lastLoss",
"valLoss0", "valLoss", "torch", "peft", "transformers", "threads"}. Needs torch, transformers, peft and safetensors.
"""

import argparse
import json
import math
import time

import numpy as np
import peft
import torch
import torch.nn.functional as F
import transformers


def load_weights(model, file, heads, kv_heads, interleaved):
    """Copies the tensors of `file` into `model` (every parameter must be there; a tied lm_head may be absent)."""
    from safetensors.torch import load_file

    tensors = load_file(file)
    if interleaved:  # llama2.c's q/k rows come in RoPE pairs (2j, 2j+1); HF rotates the two halves of each head
        for name, t in tensors.items():
            n = heads if name.endswith("q_proj.weight") else kv_heads if name.endswith("k_proj.weight") else 0
            if n:
                rows, cols = t.shape
                tensors[name] = t.view(n, rows // n // 2, 2, cols).transpose(1, 2).reshape(rows, cols)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if m != "lm_head.weight"]
    if missing or unexpected:
        raise SystemExit(f"weights {file}: missing {missing}, unexpected {unexpected}")
    model.tie_weights()


def lr_at(max_lr, min_lr, warmup, total, step):
    """llm.ts's schedule (src/optim/schedule.ts): linear warmup from 0, then cosine to min_lr at `total`."""
    if step < warmup:
        return max_lr * (step + 1) / warmup
    ratio = (step - warmup) / (total - warmup) if total > warmup else 1.0
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)


def val_loss(model, val, vocab):
    """Mean cross-entropy over every scored target of the validation batches."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, targets in val:
            logits = model(input_ids=ids).logits  # (B, T, V)
            total += float(F.cross_entropy(logits.view(-1, vocab), targets.view(-1), ignore_index=-100, reduction="sum"))
            count += int((targets != -100).sum())
    model.train()
    return total / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--B", type=int, required=True)
    ap.add_argument("--T", type=int, required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--kv-heads", type=int, required=True)
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--warmup", type=float, default=0, help="linear warmup steps, then cosine to lr / 10 at the last step (llm.ts's schedule)")
    ap.add_argument("--lora", action="store_true")
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--lora-alpha", type=float, default=16)
    ap.add_argument("--lora-targets", default="all-linear")
    ap.add_argument("--lora-save", default="", help="modules_to_save, comma-separated (tied weights stay tied)")
    ap.add_argument("--weights", help="safetensors of the starting weights (HF Llama names); random init without")
    ap.add_argument("--rope-interleaved", action="store_true", help="the weights' q/k rows are in llama2.c's RoPE pairs")
    ap.add_argument("--val", help="validation batches (int32 ids then targets, B x T each): prints valLoss")
    ap.add_argument("--val-batches", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    raw = np.fromfile(a.batches, dtype=np.int32).reshape(a.steps, 2, a.B, a.T)  # (steps, ids|targets, B, T)
    data = torch.from_numpy(raw.astype(np.int64))

    config = transformers.LlamaConfig(
        vocab_size=a.vocab, hidden_size=a.dim, intermediate_size=a.hidden, num_hidden_layers=a.layers,
        num_attention_heads=a.heads, num_key_value_heads=a.kv_heads, max_position_embeddings=a.context,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True, attention_dropout=0.0,
    )
    model = transformers.LlamaForCausalLM(config)
    if a.weights:
        load_weights(model, a.weights, a.heads, a.kv_heads, a.rope_interleaved)
    val = None
    if a.val:
        val = torch.from_numpy(np.fromfile(a.val, dtype=np.int32).reshape(a.val_batches, 2, a.B, a.T).astype(np.int64))
    val_loss0 = val_loss(model, val, a.vocab) if val is not None else None
    if a.lora:
        targets = a.lora_targets if a.lora_targets == "all-linear" else a.lora_targets.split(",")
        save = a.lora_save.split(",") if a.lora_save else None
        lcfg = peft.LoraConfig(r=a.lora_r, lora_alpha=a.lora_alpha, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM",
                               modules_to_save=save, ensure_weight_tying=save is not None)
        model = peft.get_peft_model(model, lcfg)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), weight_decay=0.0)

    loss = None
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(a.steps):
        ids, targets = data[step, 0], data[step, 1]  # (B, T) each
        for g in opt.param_groups:
            g["lr"] = lr_at(a.lr, a.lr / 10, a.warmup, a.steps, step)
        opt.zero_grad(set_to_none=True)
        logits = model(input_ids=ids).logits  # (B, T, V)
        loss = F.cross_entropy(logits.view(-1, a.vocab), targets.view(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "tokPerSec": a.steps * a.B * a.T / seconds, "seconds": seconds, "cpuMsPerStep": 1000 * cpu / a.steps,
        "trainable": sum(p.numel() for p in params), "total": sum(p.numel() for p in model.parameters()),
        "lastLoss": float(loss), "valLoss0": val_loss0, "valLoss": val_loss(model, val, a.vocab) if val is not None else None, "torch": torch.__version__, "peft": peft.__version__,
        "transformers": transformers.__version__, "threads": a.threads,
    }))


if __name__ == "__main__":
    main()

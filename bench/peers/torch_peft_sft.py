"""PyTorch + peft peer of `npm run bench -- finetune`: tokens/s of the same SFT run.

The same Llama shape as llm.ts's model (transformers' LlamaForCausalLM from the config
below, tied embeddings, no dropout, random init: the weights do not change the speed), the
same batches (written by bench/finetune.ts: int32 ids and shifted targets, -100 outside the
assistant answers, B x T per step), the same steps, loss (mean cross-entropy over the
scored targets), AdamW (betas 0.9 / 0.999, no weight decay), gradient clipping at 1 and
learning rate; --lora wraps every linear layer but lm_head (peft's "all-linear") with
LoRA r 8, alpha 16, dropout 0, as llm.ts's run does.

    python bench/peers/torch_peft_sft.py --batches FILE.bin --steps 300 --B 8 --T 256 \
        --vocab 512 --dim 64 --hidden 172 --layers 5 --heads 8 --kv-heads 4 --lr 1e-3 \
        [--lora] --threads 2

Prints one JSON line: {"tokPerSec", "seconds", "cpuMsPerStep" (process CPU time, all threads), "trainable", "total", "lastLoss", "torch",
"peft", "transformers", "threads"}. Needs torch, transformers and peft.
"""

import argparse
import json
import time

import numpy as np
import peft
import torch
import torch.nn.functional as F
import transformers


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
    ap.add_argument("--lora", action="store_true")
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
    if a.lora:
        model = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), weight_decay=0.0)

    loss = None
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(a.steps):
        ids, targets = data[step, 0], data[step, 1]  # (B, T) each
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
        "lastLoss": float(loss), "torch": torch.__version__, "peft": peft.__version__,
        "transformers": transformers.__version__, "threads": a.threads,
    }))


if __name__ == "__main__":
    main()

"""PyTorch peer of `npm run bench -- encode`: sentences/s of batch encoding with transformers'
BertModel, on the same weights (the directory llm.ts saved), the same padded batch and
attention mask (a JSON file of ids and mask), the same warm-up and repeats, eval mode under
torch.inference_mode(), fp32; `--precision bf16` runs the same fp32 model under
torch.autocast('cpu', dtype=torch.bfloat16) (bf16 matrix products, as llm.ts's bf16 option).

    python bench/peers/torch_encode.py --dir /tmp/model --batch /tmp/batch.json --warmup 2 --iters 10 --threads 2 [--precision bf16]

Prints one JSON line: {"sentencesPerSec", "msPerBatch", "cpuMsPerBatch", "checksum", "torch", "transformers", "threads", "precision"}
(checksum: the sum of h[c] * (c % 7 - 3) over the last hidden states at the real tokens, to compare with llm.ts's).
Needs torch and transformers.
"""

import argparse
import json
import time

import torch
import transformers
from transformers import BertModel

p = argparse.ArgumentParser()
p.add_argument('--dir', required=True)
p.add_argument('--batch', required=True)
p.add_argument('--warmup', type=int, default=2)
p.add_argument('--iters', type=int, default=10)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--precision', choices=['fp32', 'bf16'], default='fp32')
a = p.parse_args()
torch.set_num_threads(a.threads)
with open(a.batch) as f:
    b = json.load(f)
ids = torch.tensor(b['ids'], dtype=torch.long).reshape(b['B'], b['T'])
mask = torch.tensor(b['mask'], dtype=torch.long).reshape(b['B'], b['T'])
model = BertModel.from_pretrained(a.dir, add_pooling_layer=False).eval()
autocast = torch.autocast('cpu', dtype=torch.bfloat16, enabled=a.precision == 'bf16')
with torch.inference_mode(), autocast:
    for _ in range(a.warmup):
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.iters):
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
out = out.float()
weights = torch.arange(out.shape[-1]) % 7 - 3
checksum = float((out * mask.unsqueeze(-1) * weights).sum())
print(json.dumps({'sentencesPerSec': b['B'] * a.iters / dt, 'msPerBatch': 1000 * dt / a.iters, 'cpuMsPerBatch': 1000 * cpu / a.iters,
                  'checksum': checksum, 'torch': torch.__version__, 'transformers': transformers.__version__, 'threads': a.threads,
                  'precision': a.precision}))

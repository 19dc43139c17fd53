"""PyTorch / transformers peer of `npm run bench -- seq2seq` (bench/seq2seq.ts).

Loads the BART directory llm.ts saved, then times on the same inputs and thread count:
- beam search: generate(num_beams, max_length = min_length, no forced tokens) over the padded
  source batch, `iters` times after one warm-up; prints sentences/s and the output ids;
- training: forward + backward + AdamW step of the teacher-forced batch (fp32), `steps` times
  after one warm-up; prints tokens/s (source + target positions).
One JSON line on stdout.
"""
import argparse
import json
import time

import torch
import transformers
from transformers import BartForConditionalGeneration

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--batch', required=True)
ap.add_argument('--iters', type=int, default=3)
ap.add_argument('--steps', type=int, default=5)
ap.add_argument('--threads', type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
b = json.load(open(a.batch))
model = BartForConditionalGeneration.from_pretrained(a.dir)

model.eval()
src = torch.tensor(b['sources'], dtype=torch.long)
mask = torch.tensor(b['sourceMask'], dtype=torch.long)
kw = dict(num_beams=b['numBeams'], max_length=b['maxLength'], min_length=b['maxLength'], early_stopping=False, no_repeat_ngram_size=0,
          do_sample=False, decoder_start_token_id=2, eos_token_id=2, pad_token_id=1, forced_bos_token_id=None, forced_eos_token_id=None)
with torch.no_grad():
    out = model.generate(src, attention_mask=mask, **kw)
    t0 = time.perf_counter()
    for _ in range(a.iters):
        out = model.generate(src, attention_mask=mask, **kw)
    gen_sec = (time.perf_counter() - t0) / a.iters

model.train()
t = b['train']
rows, S, T = t['rows'], t['S'], t['T']
ts = torch.tensor(t['source'], dtype=torch.long).view(rows, S)
tm = torch.tensor(t['sourceMask'], dtype=torch.long).view(rows, S)
td = torch.tensor(t['decoderIds'], dtype=torch.long).view(rows, T)
tl = torch.tensor(t['labels'], dtype=torch.long).view(rows, T)
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.0)


def step():
    opt.zero_grad(set_to_none=True)
    loss = model(input_ids=ts, attention_mask=tm, decoder_input_ids=td, labels=tl).loss
    loss.backward()
    opt.step()
    return loss.item()


step()
t0 = time.perf_counter()
for _ in range(a.steps):
    loss = step()
train_sec = (time.perf_counter() - t0) / a.steps
print(json.dumps({
    'torch': torch.__version__, 'transformers': transformers.__version__,
    'sentencesPerSec': src.shape[0] / gen_sec, 'msPerBatch': 1000 * gen_sec, 'ids': out.tolist(),
    'tokensPerSec': rows * (S + T) / train_sec, 'msPerStep': 1000 * train_sec, 'loss': loss,
}))

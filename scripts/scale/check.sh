#!/usr/bin/env bash
# End-to-end check of the PyTorch hand-off (docs/scale.md); `npm run check:scale`.
# Not part of `npm test`: it needs Python with torch and transformers.
#
# For each architecture (LLMTS_SCALE_ARCHS, default "gpt2 llama"):
#   1. llmts train: a tiny model on the bundled Tiny Shakespeare for a few steps
#      (token shards + meta.json in <run>/data, checkpoint in <run>/checkpoints/step-N);
#   2. torchrun --nproc_per_node 2 scripts/scale/train_ddp.py: DDP (gloo on CPU, nccl on
#      GPUs) continues from that checkpoint on those shards and save_pretrained's the result;
#   3. scripts/scale/compare-logits.ts: llm.ts loads the checkpoint before and the DDP
#      result after, and its logits must equal PyTorch's (max abs diff <= LLMTS_SCALE_TOL,
#      default 1e-4); it also scores the same validation windows as train_ddp.py.
#
# Environment:
#   LLMTS_SCALE_VENV   the venv to use or make (default /tmp/llmts-scale-venv); made with
#                      `python3 -m venv` + `pip install torch transformers numpy safetensors`
#                      when it has no torchrun (pip's own configuration: an offline mirror here)
#   LLMTS_SCALE_DIR    work folder (default: a new temporary folder, removed at the end
#                      unless LLMTS_SCALE_KEEP=1)
#   LLMTS_SCALE_NPROC  processes (default 2); LLMTS_SCALE_STEPS DDP steps (default 30)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
venv="${LLMTS_SCALE_VENV:-/tmp/llmts-scale-venv}"
archs="${LLMTS_SCALE_ARCHS:-gpt2 llama}"
nproc="${LLMTS_SCALE_NPROC:-2}"
steps="${LLMTS_SCALE_STEPS:-30}"
tol="${LLMTS_SCALE_TOL:-1e-4}"

if [ ! -x "$venv/bin/torchrun" ]; then
  echo "== making $venv (torch, transformers, numpy, safetensors)"
  python3 -m venv "$venv"
  # --retries 0: where PyPI is out of reach, pip goes straight to the mirror its configuration names
  # (pip config list); its "is ignored" notes about packages the mirror index lacks are noise
  "$venv/bin/pip" install -q --retries 0 --timeout 10 torch transformers numpy safetensors 2>&1 | grep -v 'is ignored: it is neither a file nor a directory' || true
  "$venv/bin/python" -c 'import torch, transformers, numpy, safetensors' || {
    echo "error: could not install torch/transformers into $venv (see docs/scale.md)" >&2
    exit 2
  }
fi
"$venv/bin/python" -c 'import torch, transformers; print(f"== torch {torch.__version__}, transformers {transformers.__version__}")'

work="${LLMTS_SCALE_DIR:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/llmts-scale-XXXXXX")"
  [ "${LLMTS_SCALE_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
llmts=(node --import tsx "$root/src/cli/main.ts")
failed=0

for arch in $archs; do
  run="$work/$arch"
  rm -rf "$run"
  case "$arch" in
    gpt2) shape=(--arch gpt2 --nLayer 2 --nHead 4 --nEmbd 64) ;;
    llama) shape=(--arch llama --nLayer 2 --nHead 4 --nKvHead 2 --nEmbd 64) ;;
    *) echo "error: LLMTS_SCALE_ARCHS takes gpt2 and llama, got '$arch'" >&2; exit 2 ;;
  esac
  echo "== $arch: llmts train (40 steps) -> $run"
  "${llmts[@]}" train --preset shakespeare-char "${shape[@]}" --blockSize 64 --batchSize 8 --maxSteps 40 \
    --evalInterval 0 --logInterval 20 --samples 0 --progress=false --out "$run" | grep -E '^(model|step|final eval|trained)'
  ckpt="$(ls -d "$run"/checkpoints/step-* | sort -t- -k2 -n | tail -1)"

  echo "== $arch: torchrun --nproc_per_node $nproc train_ddp.py ($steps steps) from $ckpt"
  "$venv/bin/torchrun" --standalone --nproc_per_node "$nproc" scripts/scale/train_ddp.py \
    --model "$ckpt" --data "$run/data" --out "$run/ddp" --steps "$steps" --batch-size 8 --block-size 64 \
    --lr 1e-3 --warmup-steps 5 --log-interval 10 \
    --logits-before "$run/logits-before.safetensors" --logits-after "$run/logits-after.safetensors" 2>&1 \
    | grep -E '^(ddp:|step |val loss|error|Traceback|  File|[A-Za-z]*Error)' || true
  [ -f "$run/ddp/model.safetensors" ] || { echo "error: $arch: the DDP run saved no model" >&2; failed=1; continue; }

  echo "== $arch: llm.ts loads both and compares logits"
  node --import tsx scripts/scale/compare-logits.ts --model "$ckpt" --logits "$run/logits-before.safetensors" \
    --tol "$tol" --label "$arch llm.ts checkpoint (before DDP)" || failed=1
  node --import tsx scripts/scale/compare-logits.ts --model "$run/ddp" --logits "$run/logits-after.safetensors" \
    --tol "$tol" --label "$arch save_pretrained result (after DDP)" --data "$run/data" || failed=1
done

if [ "$failed" = 0 ]; then echo "== hand-off check passed ($archs)"; else echo "== hand-off check FAILED" >&2; fi
exit "$failed"

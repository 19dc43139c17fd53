/**
 * `llmts finetune --model M --data D --task lm|sft|classify [--lora] [options] --out DIR`:
 * adapts a model (anything --model loads) to a task, fully or with LoRA, through the
 * training loop of `llmts train` (src/train/finetune.ts). Reads the flags, loads the
 * model, its tokenizer and chat template, prepares the data, runs, and writes DIR: a full
 * model directory, a classifier directory, or with --lora a peft adapter directory; the
 * run's metrics.jsonl, loss.html and checkpoints/ beside them. --resume continues the run
 * in DIR from its newest checkpoint with the options it was started with (--steps may
 * raise the step count).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../io/load-model.ts';
import { ChatTemplate } from '../infer/chat-template.ts';
import { renderForTraining } from '../infer/chat-mask.ts';
import { describeModel } from '../models/registry.ts';
import { finetune, latestFinetuneCheckpoint } from '../train/finetune.ts';
import { readFinetuneState } from '../train/finetune-checkpoint.ts';
import { prepareFinetuneData } from '../train/finetune-data.ts';
import { prepareFinetuneModel, type FinetuneTask, type LoraSettings } from '../train/finetune-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { contextLoadOptions } from './context-flags.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts finetune --model M --data D --task lm|sft|classify --out DIR [--lora] [options]

Fine-tunes a model on a task: every weight, or with --lora only low-rank adapters (and a
classifier's head). Writes DIR: a full model directory (loads with --model), a classifier
directory (config.json with GPT2ForSequenceClassification / LlamaForSequenceClassification,
score.weight), or with --lora an adapter directory in peft's format (use it with
--adapter, or llmts lora merge). The run's metrics.jsonl, loss.html and checkpoints/ go to DIR too.

tasks:
  lm        continue next-token training on text (.txt, .md, .jsonl "text" lines, or a folder of them)
  sft       chat fine-tuning on conversations: JSONL {"messages": [...]} or Alpaca
            {"instruction", "input", "output"} (JSONL or a JSON array), rendered with the
            model's chat template (ChatML by default); the loss is on the assistant tokens and
            their end-of-turn marker only
  classify  sequence classification from JSONL {"text", "label"}, CSV or TSV text,label
            (.txt = TSV; a header row naming text/sentence and label is optional)

options:
  --model M            the model: checkpoint or run directory, HF GPT-2 / Llama directory, llama2.c .bin, .gguf
  --tokenizer T        tokenizer name or file (default: the model's own)
  --data D             training data file or folder (repeat for more)
  --val-data V         validation data (default: --val-fraction of --data)
  --val-fraction F     share of --data kept for validation (default 0.1)
  --task T             lm | sft | classify
  --out DIR            output directory (new or empty, unless --resume)
  --lora               train LoRA adapters only (peft's defaults: gpt2 c_attn, llama q_proj,v_proj)
  --lora-r N           rank (default 8)
  --lora-alpha A       alpha (default 8; scaling alpha/r)
  --lora-dropout P     dropout on the adapter input (default 0)
  --lora-targets L     comma-separated module names, or all-linear
  --rslora             scaling alpha/sqrt(r)
  --lora-modules-to-save M  comma-separated modules trained in full beside the adapters (peft's
                       modules_to_save), e.g. embed_tokens (tied embedding and lm_head: new chat markers)
  --chat-template C    sft: chatml, a tokenizer_config.json or a .jinja file (default: the model's, else ChatML)
  --train-on-prompt    sft: learn every token, the prompt too
  --packing            sft: pack conversations into full rows
  --pooling P          classify: last (default, HF's) or mean
  --steps N            optimizer steps (default 200)
  --batch-size B       rows per micro-batch (default 8)
  --block-size T       tokens per row (default: min(model context, 256))
  --rope-scaling S     TYPE:FACTOR[:ORIGINAL] (linear | dynamic | yarn, e.g. yarn:4): fine-tune a
                       Llama at a longer context with that RoPE scaling (saved in the config)
  --context N          the model's context for the run (RoPE models: longer than trained)
  --grad-accum N       micro-batches per step (default 1)
  --lr X               peak learning rate (default 2e-4 with --lora, else 5e-5)
  --min-lr X           final learning rate of the cosine decay (default lr/10)
  --warmup N           warmup steps (default 0)
  --weight-decay X     AdamW weight decay of matrices (default 0)
  --grad-clip X        gradient-norm clip, 0 = none (default 1)
  --eval-interval N    evaluate every N steps, 0 = only at the end (default 50)
  --eval-iters N       lm: validation windows per evaluation (default 20)
  --patience N         stop after N evaluations without a lower val loss, keeping the best weights (default 0 = off)
  --ckpt-interval N    checkpoint every N steps, 0 = at the end only (default 0)
  --keep-last N        checkpoints kept (default 2)
  --log-interval N     a log line every N steps (default 10)
  --seed N             seed of the split, batches, head and adapters (default 1337)
  --resume             continue the run in --out from its newest checkpoint
  --no-progress        no progress bar
  -h, --help           this help`;

const FLAGS = {
  model: { type: 'string' }, tokenizer: { type: 'string' }, data: { type: 'string', multiple: true }, 'val-data': { type: 'string', multiple: true },
  'val-fraction': { type: 'string' }, task: { type: 'string' }, out: { type: 'string' },
  lora: { type: 'boolean' }, 'lora-r': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-dropout': { type: 'string' }, 'lora-targets': { type: 'string' }, rslora: { type: 'boolean' },
  'lora-modules-to-save': { type: 'string' },
  'chat-template': { type: 'string' }, 'train-on-prompt': { type: 'boolean' }, packing: { type: 'boolean' }, pooling: { type: 'string' },
  steps: { type: 'string' }, 'batch-size': { type: 'string' }, 'block-size': { type: 'string' }, 'grad-accum': { type: 'string' },
  'rope-scaling': { type: 'string' }, context: { type: 'string' },
  lr: { type: 'string' }, 'min-lr': { type: 'string' }, warmup: { type: 'string' }, 'weight-decay': { type: 'string' }, 'grad-clip': { type: 'string' },
  'eval-interval': { type: 'string' }, 'eval-iters': { type: 'string' }, patience: { type: 'string' }, 'ckpt-interval': { type: 'string' },
  'keep-last': { type: 'string' }, 'log-interval': { type: 'string' }, seed: { type: 'string' }, resume: { type: 'boolean' },
  'no-progress': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

const TASKS: readonly FinetuneTask[] = ['lm', 'sft', 'classify'];

function need(v: string | undefined, flag: string, hint: string): string {
  if (!v) throw new LlmtsError('E_FLAG', `llmts finetune needs ${flag}`, { where: flag, hint });
  return v;
}

/** The flags of a new run, or with --resume those saved in the newest checkpoint (--steps may change). */
function resolveValues(values: Values): { values: Values; resumeFrom: string | null } {
  const out = need(values.out, '--out', 'e.g. --out runs/finetuned');
  const ckpt = existsSync(out) ? latestFinetuneCheckpoint(out) : null;
  if (!values.resume) {
    if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
      throw new LlmtsError('E_RUN_EXISTS', `${out} exists and is not an empty directory${ckpt ? ` (it holds ${ckpt})` : ''}`, {
        where: '--out', hint: ckpt ? 'add --resume to continue that run, or pick another --out' : 'pick a new --out' });
    }
    return { values, resumeFrom: null };
  }
  if (!ckpt) throw new LlmtsError('E_NO_CHECKPOINT', `--resume: ${out} has no checkpoints/step-N folder`, { where: '--out', hint: 'start the run without --resume first (or check --out)' });
  const saved = readFinetuneState(ckpt).options as Values;
  return { values: { ...saved, steps: values.steps ?? saved.steps, out, resume: true, 'no-progress': values['no-progress'] }, resumeFrom: ckpt };
}

function loraSettings(v: Values): LoraSettings | null {
  if (!v.lora) {
    const stray = (['lora-r', 'lora-alpha', 'lora-dropout', 'lora-targets', 'rslora', 'lora-modules-to-save'] as const).find((k) => v[k] !== undefined);
    if (stray) throw new LlmtsError('E_FLAG', `--${stray} needs --lora`, { where: `--${stray}`, hint: 'add --lora to train adapters' });
    return null;
  }
  const t = v['lora-targets'];
  const targets = t === undefined ? undefined : t === 'all-linear' ? 'all-linear' : t.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(targets) && targets.length === 0) throw new LlmtsError('E_FLAG', '--lora-targets names no module', { where: '--lora-targets', hint: 'e.g. --lora-targets c_attn,c_proj or all-linear' });
  const save = v['lora-modules-to-save']?.split(',').map((s) => s.trim()).filter(Boolean);
  if (save && save.length === 0) throw new LlmtsError('E_FLAG', '--lora-modules-to-save names no module', { where: '--lora-modules-to-save', hint: 'e.g. --lora-modules-to-save embed_tokens' });
  return {
    r: numberFlag(v['lora-r'], '--lora-r', 8, { int: true, min: 1 }), alpha: numberFlag(v['lora-alpha'], '--lora-alpha', 8, { min: 0, minExclusive: true }),
    dropout: numberFlag(v['lora-dropout'], '--lora-dropout', 0, { min: 0, max: 1, maxExclusive: true }), targets, rsLora: v.rslora ?? false,
    ...(save ? { modulesToSave: save } : {}),
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseFlags('finetune', argv, FLAGS).values;
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const { values: v, resumeFrom } = resolveValues(parsed);
  const modelPath = need(v.model, '--model', 'pass the model to fine-tune (a checkpoint directory, HF directory, llama2.c .bin or .gguf)');
  const taskName = need(v.task, '--task', 'lm, sft or classify');
  if (!(TASKS as readonly string[]).includes(taskName)) throw new LlmtsError('E_FLAG', `--task must be lm, sft or classify, got '${taskName}'`, { where: '--task', hint: 'e.g. --task sft' });
  const task = taskName as FinetuneTask;
  const data = v.data ?? [];
  if (data.length === 0) throw new LlmtsError('E_FLAG', 'llmts finetune needs --data', { where: '--data', hint: 'pass a data file or folder' });
  if (task !== 'sft' && (v['train-on-prompt'] || v.packing || v['chat-template'])) throw new LlmtsError('E_FLAG', '--train-on-prompt, --packing and --chat-template are for --task sft', { where: '--task', hint: 'drop them or use --task sft' });
  if (task !== 'classify' && v.pooling) throw new LlmtsError('E_FLAG', '--pooling is for --task classify', { where: '--pooling', hint: 'drop it' });
  const pooling = v.pooling ?? 'last';
  if (pooling !== 'last' && pooling !== 'mean') throw new LlmtsError('E_FLAG', `--pooling must be last or mean, got '${pooling}'`, { where: '--pooling', hint: 'e.g. --pooling last' });
  const lora = loraSettings(v);
  const out = v.out!;

  const { model, tokenizer } = loadModel(modelPath, v.tokenizer, contextLoadOptions(v));
  const blockSize = numberFlag(v['block-size'], '--block-size', Math.min(model.config.blockSize, 256), { int: true, min: 1, max: model.config.blockSize });
  const seed = numberFlag(v.seed, '--seed', 1337, { int: true, min: 0 });
  const template = task === 'sft' ? (v['chat-template'] ? ChatTemplate.fromFile(v['chat-template'], tokenizer) : ChatTemplate.forModel(modelPath, tokenizer)) : null;
  const trainOnPrompt = v['train-on-prompt'] ?? false;
  console.log(`model: ${describeModel(model.config)} (${modelPath})${template ? `; chat template ${template.where}${trainOnPrompt ? ', training on every token' : ', loss on assistant tokens'}` : ''}`);
  const prepared = await prepareFinetuneData({
    task, files: data, valFiles: v['val-data'], tokenizer, blockSize, seed,
    valFraction: numberFlag(v['val-fraction'], '--val-fraction', 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    render: template ? (messages, where) => renderForTraining(template, tokenizer, messages, { trainOnPrompt, where }) : undefined,
    packing: v.packing ?? false,
  });
  for (const note of prepared.notes) console.log(`data: ${note}`);

  const lr = numberFlag(v.lr, '--lr', lora ? 2e-4 : 5e-5, { min: 0, minExclusive: true });
  const padId = tokenizer.specialIds.pad ?? tokenizer.specialIds.eos ?? 0;
  const ft = prepareFinetuneModel(model, {
    task, lora, seed, lr, beta1: 0.9, beta2: 0.999, weightDecay: numberFlag(v['weight-decay'], '--weight-decay', 0, { min: 0 }),
    labels: prepared.labels ?? undefined, pooling, padId,
  });
  const maxSteps = numberFlag(v.steps, '--steps', 200, { int: true, min: 1 });
  const settings = {
    out, seed, maxSteps, lr, padId, blockSize,
    batchSize: numberFlag(v['batch-size'], '--batch-size', 8, { int: true, min: 1 }),
    gradAccum: numberFlag(v['grad-accum'], '--grad-accum', 1, { int: true, min: 1 }),
    minLr: numberFlag(v['min-lr'], '--min-lr', lr / 10, { min: 0 }),
    warmupSteps: numberFlag(v.warmup, '--warmup', 0, { int: true, min: 0 }),
    gradClip: numberFlag(v['grad-clip'], '--grad-clip', 1, { min: 0 }),
    logInterval: numberFlag(v['log-interval'], '--log-interval', 10, { int: true, min: 1 }),
    evalInterval: numberFlag(v['eval-interval'], '--eval-interval', 50, { int: true, min: 0 }),
    evalIters: numberFlag(v['eval-iters'], '--eval-iters', 20, { int: true, min: 1 }),
    ckptInterval: numberFlag(v['ckpt-interval'], '--ckpt-interval', 0, { int: true, min: 0 }),
    keepLast: numberFlag(v['keep-last'], '--keep-last', 2, { int: true, min: 1 }),
    patience: numberFlag(v.patience, '--patience', 0, { int: true, min: 0 }),
    progress: !v['no-progress'],
    options: { ...v, resume: undefined } as Record<string, unknown>,
  };
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await finetune(ft, prepared.data, settings, { tokenizer, baseModel: modelPath, signal: ac.signal, resumeFrom });
    if (r.output && template?.kind === 'jinja' && !lora) writeFileSync(join(out, 'chat_template.jinja'), template.source);
    return r.stopped === 'non-finite' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

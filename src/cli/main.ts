#!/usr/bin/env node
/**
 * `llmts` command-line entry. One file per command in src/cli/; each exports
 * `run(argv): Promise<number>` (the exit code). This file only dispatches.
 */
import { LlmtsError } from '../util/errors.ts';

interface Command {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const commands: Record<string, Command> = {
  demo: { summary: 'train a tiny Transformer on bundled text and print samples', load: () => import('./demo.ts') },
  data: { summary: 'prepare (ingest, clean, filter, dedup, split) and inspect text corpora', load: () => import('./data.ts') },
  tokenizer: { summary: 'train, encode and decode with BPE / WordPiece tokenizers', load: () => import('./tokenizer.ts') },
  generate: { summary: 'continue a prompt with a trained model (checkpoint or llama2.c .bin)', load: () => import('./generate.ts') },
  'fill-mask': { summary: 'the most probable tokens for each [MASK] of a text (BERT masked LM)', load: () => import('./fill-mask.ts') },
  embed: { summary: 'L2-normalised sentence embeddings (BERT mean or [CLS] pooling; BART encoder, decoders: mean)', load: () => import('./embed.ts') },
  topics: { summary: 'topics of a document collection: embeddings clustered, c-TF-IDF words, topic map and trends (topics.json, topics.html)', load: () => import('./topics.ts') },
  index: { summary: 'index build: a search index of text files (chunks, embeddings, BM25, HNSW for large ones)', load: () => import('./index.ts') },
  search: { summary: 'the best chunks of an index for a query (hybrid BM25 + dense by reciprocal-rank fusion, bm25, dense)', load: () => import('./search.ts') },
  ask: { summary: 'answer a question from an index with a chat model, citing the retrieved chunks as [1], [2]', load: () => import('./ask.ts') },
  translate: { summary: 'translate texts with an encoder-decoder (BART; greedy or --beams K beam search)', load: () => import('./translate.ts') },
  summarize: { summary: 'one summary per input line with an encoder-decoder (BART; greedy or beam search)', load: () => import('./summarize.ts') },
  sentiment: { summary: 'sentiment labels and probabilities (llmts classify; Tree-LSTM --tree: the label of every phrase)', load: () => import('./sentiment.ts') },
  classify: { summary: 'labels and probabilities from any classifier (finetune --task classify, BERT, Tree-LSTM)', load: () => import('./classify.ts') },
  eval: { summary: 'loss, perplexity and bits per byte of a model on a text file; eval bleu / eval rouge: BLEU, chrF, ROUGE of outputs', load: () => import('./eval.ts') },
  train: { summary: 'pretrain a decoder, or a BERT encoder with --objective mlm (preset + config file + --key=value), with checkpoints and exact resume', load: () => import('./train.ts') },
  'train-tree': { summary: 'train a Tree-LSTM on PTB sentiment trees (SST), dev table beside a naive Bayes baseline', load: () => import('./train-tree.ts') },
  'train-han': { summary: 'train a hierarchical attention network (bi-GRU + attention) on e-mail folders (SpamAssassin), spam F1 beside mean-pooled and naive Bayes baselines', load: () => import('./train-han.ts') },
  'classify-doc': { summary: 'the label of whole documents (e-mails) from a llmts train-han model; --explain / --html: sentence and word attention weights', load: () => import('./classify-doc.ts') },
  model: { summary: 'model presets: parameters, FLOPs per token, memory (model info --preset P)', load: () => import('./model.ts') },
  chat: { summary: 'talk to a model in the terminal (streamed answers, /reset, /exit, Ctrl-C stops an answer)', load: () => import('./chat.ts') },
  serve: { summary: 'OpenAI-compatible HTTP API and web UI (chat, training dashboard)', load: () => import('./serve.ts') },
  start: { summary: 'the whole pipeline on bundled text: prepare, tokenizer, tokenize, train, eval, samples', load: () => import('./start.ts') },
  export: { summary: 'hand a model to other tools: export gguf (llama.cpp; f32, f16, bf16, q8_0)', load: () => import('./export.ts') },
  finetune: { summary: 'fine-tune a model: lm, chat SFT (assistant-only loss) or classify; full or --lora (peft adapters)', load: () => import('./finetune.ts') },
  lora: { summary: 'LoRA adapters (peft format): lora merge folds one into its base model', load: () => import('./lora.ts') },
  bias: { summary: 'gender-bias probes: occupation-pronoun gap, name-swap gap of classifiers, WEAT (bias probe --model M)', load: () => import('./bias.ts') },
  quantize: { summary: 'store a model\'s weights as q8_0 or bf16 (a directory that loads wherever --model is taken)', load: () => import('./quantize.ts') },
  recipe: { summary: 'train a task model in one command (sentiment, code-python, ...): evaluation beside a baseline, how to use it', load: () => import('./recipe.ts') },
  complete: { summary: 'code completion with a decoder: the next line or block at --file F --line N (stops at a dedent)', load: () => import('./complete.ts') },
};

function usage(): string {
  const lines = ['usage: llmts <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', 'Run `llmts <command> --help` for the options of one command.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`llmts: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof LlmtsError) {
      console.error(`llmts: error ${err.code}: ${err.message}`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  },
);

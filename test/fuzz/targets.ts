/**
 * The fuzz targets, one per parser of user input (target.ts says what a target is):
 * tokenizer files (tokenizer.json, vocab.txt, .tiktoken, llama2.c tokenizer.bin), model
 * files (llama2.c .bin, safetensors, checkpoint folders, token shards, GGUF, LoRA adapter
 * folders), data ingest
 * readers, chat templates, the HTTP request bodies of the server, the data of `llmts
 * finetune` (SFT conversations, labelled texts), the segment files of `llmts eval bleu / rouge`
 * PTB tree files (`llmts train-tree`, `llmts sentiment --ptb`), HAN model directories (`llmts classify-doc`), JSONL with dates (`llmts topics`) and the
 * request bodies of the task routes (`/v1/tasks/*`).
 *
 * @example
 * const target = FUZZ_TARGETS.find((t) => t.name === 'tokenizer.json')!;
 */
import { FINETUNE_TARGETS } from './targets-finetune.ts';
import { GGUF_TARGETS } from './targets-gguf.ts';
import { HAN_TARGETS } from './targets-han.ts';
import { LINEAR_TEXT_TARGETS } from './targets-linear-text.ts';
import { METRIC_TARGETS } from './targets-metrics.ts';
import { MODEL_TARGETS } from './targets-model.ts';
import { PEFT_TARGETS } from './targets-peft.ts';
import { TASK_TARGETS } from './targets-tasks.ts';
import { SEARCH_TARGETS } from './targets-search.ts';
import { SEQ2SEQ_DATA_TARGETS } from './targets-seq2seq-data.ts';
import { TEXT_TARGETS } from './targets-text.ts';
import { TOKENIZER_TARGETS } from './targets-tokenizer.ts';
import { TOPICS_TARGETS } from './targets-topics.ts';
import { TREE_TARGETS } from './targets-tree.ts';
import type { FuzzTarget } from './target.ts';

/** Every target, in the order the test and the bench run them. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [...TOKENIZER_TARGETS, ...MODEL_TARGETS, ...GGUF_TARGETS, ...PEFT_TARGETS, ...TEXT_TARGETS, ...FINETUNE_TARGETS, ...METRIC_TARGETS, ...TREE_TARGETS, ...HAN_TARGETS, ...LINEAR_TEXT_TARGETS, ...TOPICS_TARGETS, ...TASK_TARGETS, ...SEARCH_TARGETS, ...SEQ2SEQ_DATA_TARGETS];

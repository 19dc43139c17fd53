/**
 * llm.ts: the public library API. Each layer is a namespace; the names most programs
 * need are also exported at the top level.
 *
 * @example
 * import { loadTokenizer, loadModel, generate } from 'llmts';
 * const tok = loadTokenizer('gpt2');
 * tok.encode('hello world'); // [31373, 995]
 */
export * as tensor from './tensor/index.ts';
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
export * as models from './models/index.ts';
export * as tokenizer from './tokenizer/index.ts';
export * as data from './data/index.ts';
export * as train from './train/index.ts';
export * as evaluation from './eval/index.ts';
export * as infer from './infer/index.ts';
export * as io from './io/index.ts';
export * as search from './search/index.ts';
export * as tasks from './tasks/index.ts';

export { backend, setBackend, referenceBackend, nativeBackend, type Backend } from './backend/index.ts';
export { LlmtsError } from './util/errors.ts';
export { Rng } from './util/rng.ts';
export { Tensor, noGrad } from './tensor/index.ts';
export { createModel, getPreset, parseModelConfig, registerModel, type DecoderConfig, type LanguageModel, type ModelConfig } from './models/index.ts';
export { loadTokenizer } from './tokenizer/load.ts';
export { type Tokenizer } from './tokenizer/types.ts';
export { generate, streamGenerate } from './infer/index.ts';
export { loadModel } from './io/index.ts';
export { evaluateText } from './eval/index.ts';
export { loadTaskModel, summarize, translate, classify, embed } from './tasks/index.ts';

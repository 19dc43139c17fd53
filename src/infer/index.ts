/**
 * Public API of the generation engine: KV-cache prefill + decode, sampling (greedy,
 * temperature, top-k, top-p, repetition / presence / frequency penalties, seed), stop ids
 * and strings, max tokens, cancellation, logprobs, embeddings and UTF-8-safe streamed
 * text; `InferenceEngine` serves many requests at once with batched decoding;
 * `generateSeq2Seq` decodes encoder-decoders (greedy, sampling, beam search).
 *
 * @example
 * import { loadModel } from '../io/load-model.ts';
 * import { encodePrompt, stopTokenIds, streamGenerate } from './index.ts';
 * const { model, tokenizer } = loadModel('runs/x');
 * for await (const s of streamGenerate(model, encodePrompt(tokenizer, 'Hi'), { maxTokens: 64, stopTokens: stopTokenIds(tokenizer) }, tokenizer)) process.stdout.write(s.text);
 * const engine = new InferenceEngine(model, tokenizer);
 * for await (const ev of engine.submit({ prompt: encodePrompt(tokenizer, 'Hi'), maxTokens: 64 })) process.stdout.write(ev.text);
 */
export { Generation, generate, streamGenerate, type FinishReason, type GenerateOptions, type Prompt, type GenerationResult, type GenerationStep } from './engine.ts';
export { Sampler, argmax, validateSampling, type SamplingOptions } from './sampling.ts';
export { StopMatcher } from './stop.ts';
export { GenerationOutput, type OutputFinish, type OutputOptions } from './output.ts';
export { TextStream, type StreamTokenizer } from './text-stream.ts';
export { bosId, encodePrompt, stopTokenIds } from './tokens.ts';
export { InferenceEngine, type CompletionRequest, type CompletionResult, type EngineOptions, type GenerationHandle, type TokenEvent, type TokenLogprob } from './scheduler.ts';
export { LogprobReporter, logSumExp, topIndices, type ChosenLogprob } from './logprobs.ts';
export { embedIds } from './embed.ts';
export { generateSeq2Seq, seq2seqStepper, type Seq2SeqGenerateOptions, type Seq2SeqOutput } from './seq2seq-generate.ts';
export { beamSearch, type BeamHypothesis, type BeamOptions, type BeamStepper } from './beam.ts';
export { encodeTexts, fillMask, sentenceEmbeddings, type EncodedBatch, type MaskPrediction, type SentencePooling } from './encoder.ts';
export { ChatTemplate, type ChatMessage, type TemplateSpecials } from './chat-template.ts';
export { ChatSession, chatStopTokens, encodeChat, encodeWithSpecials, templateStopTokens, type ChatPrompt, type ChatSessionOptions, type ChatTurn } from './chat.ts';
export { renderForTraining, assistantSpans, type RenderedConversation } from './chat-mask.ts';

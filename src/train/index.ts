/**
 * Training: one loop (`trainLoop`) over objectives (causal LM / SFT, masked LM, seq2seq,
 * classification), and the pretraining run around it (`planRun` + `train`: config
 * resolution, checkpoints, metrics). Checkpoint directories are `io`'s (src/io/checkpoint.ts).
 *
 * @example
 * const plan = planRun({ overrides: { preset: 'shakespeare-char', maxSteps: 200 } });
 * const result = await train(plan);
 */
export { planRun, train, type RunPlan, type TrainResult, type TrainHooks } from './trainer.ts';
export { resolveTrainConfig, readConfigFile, formatConfig, describeKeys, type TrainConfig, type ResolvedConfig } from './config.ts';
export { readMetrics, MetricsLog, writeLossPlot, type MetricRecord } from './metrics.ts';
export { trainLoop, nonFiniteHint, CheckpointTrack, type LoopOptions, type LoopResult, type LoopSettings, type LoopState, type SavedCheckpoint } from './loop.ts';
export * from './objectives/index.ts';
export { finetune, latestFinetuneCheckpoint, type FinetuneData, type FinetuneSettings, type FinetuneResult, type FinetuneHooks, type LabelledIds } from './finetune.ts';
export { prepareFinetuneModel, writeFinetuneOutput, type FinetuneTask, type FinetuneModel, type LoraSettings } from './finetune-model.ts';
export { prepareFinetuneData, type DataOptions, type PreparedData } from './finetune-data.ts';

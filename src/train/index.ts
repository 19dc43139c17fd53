/**
 * Pretraining: config resolution (preset + file + overrides), the trainer loop, and
 * checkpoint directories.
 *
 * @example
 * const plan = planRun({ overrides: { preset: 'shakespeare-char', maxSteps: 200 } });
 * const result = await train(plan);
 */
export { planRun, train, type RunPlan, type TrainResult, type TrainHooks } from './trainer.ts';
export { resolveTrainConfig, readConfigFile, formatConfig, describeKeys, type TrainConfig, type ResolvedConfig } from './config.ts';
export { saveCheckpoint, loadCheckpoint, loadOptimizerState, listCheckpoints, resolveCheckpointDir, readCheckpointConfig,
  CHECKPOINT_FORMAT, type TrainerState, type CheckpointInput, type CheckpointConfig, type LoadedCheckpoint } from './checkpoint.ts';
export { readMetrics, MetricsLog, writeLossPlot, type MetricRecord } from './metrics.ts';

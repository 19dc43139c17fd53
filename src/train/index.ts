/**
 * Training: config resolution (preset + file + overrides) and the trainer loop
 * (checkpoint directories are `io`'s: src/io/checkpoint.ts).
 *
 * @example
 * const plan = planRun({ overrides: { preset: 'shakespeare-char', maxSteps: 200 } });
 * const result = await train(plan);
 */
export { planRun, train, type RunPlan, type TrainResult, type TrainHooks } from './trainer.ts';
export { resolveTrainConfig, readConfigFile, formatConfig, describeKeys, type TrainConfig, type ResolvedConfig } from './config.ts';
export { readMetrics, MetricsLog, writeLossPlot, type MetricRecord } from './metrics.ts';

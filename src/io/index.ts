/**
 * Model files: safetensors read/write, llama2.c `.bin` import/export, and `loadModel`
 * (a checkpoint directory or a llama2.c file, with its tokenizer).
 *
 * @example
 * const { model, tokenizer } = loadModel('runs/start-tinystories');
 */
export { saveSafetensors, loadSafetensors, parseSafetensors, readSafetensorsHeader, toFloat32,
  type SafetensorsDtype, type SafetensorsData, type SafetensorsTensor, type SafetensorsFile } from './safetensors.ts';
export { llama2cConfig, parseLlama2cHeader, readLlama2c, loadLlama2c, isLlama2cCheckpoint, saveLlama2c, type Llama2cHeader } from './llama2c.ts';
export { loadModel, type LoadedModel } from './load-model.ts';
export { saveCheckpoint, loadCheckpoint, loadOptimizerState, listCheckpoints, pruneCheckpoints, removeStaleCheckpointTemps, resolveCheckpointDir, readCheckpointConfig,
  CHECKPOINT_FORMAT, type TrainerState, type CheckpointInput, type CheckpointConfig, type LoadedCheckpoint } from './checkpoint.ts';

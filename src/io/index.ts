/**
 * Model files: safetensors read/write, llama2.c `.bin` import/export, GGUF (llama.cpp)
 * export/import with F16/BF16/Q8_0 weights, and `loadModel` (a checkpoint directory, a
 * llama2.c file or a GGUF file, with its tokenizer, and optionally a LoRA adapter merged in),
 * LoRA adapters in peft's format (`saveAdapter`, `loadAdapter`, `mergeAdapter`).
 *
 * @example
 * const { model, tokenizer } = loadModel('runs/start-tinystories');
 */
export { saveSafetensors, loadSafetensors, parseSafetensors, readSafetensorsHeader, toFloat32,
  type SafetensorsDtype, type SafetensorsData, type SafetensorsTensor, type SafetensorsFile } from './safetensors.ts';
export { llama2cConfig, parseLlama2cHeader, readLlama2c, loadLlama2c, isLlama2cCheckpoint, saveLlama2c, type Llama2cHeader } from './llama2c.ts';
export { loadModel, type LoadedModel, type LoadModelOptions } from './load-model.ts';
export { loadAdapter, mergeAdapter, saveAdapter, readAdapterConfig, PEFT_TASK_TYPES, type AdapterConfig, type AdapterModel, type PeftTaskType, type SaveAdapterOptions } from './peft.ts';
export { parseGguf, readGguf, writeGguf, encodeGguf, metaNumber, metaString, metaArray,
  type GgufFile, type GgufContent, type GgufTensor, type GgufValue, type GgufScalar, type GgufScalarType } from './gguf.ts';
export { modelToGguf, modelFromGguf, configFromGguf, GGUF_FILE_TYPES, type GgufFileType } from './gguf-model.ts';
export { loadGgufModel, ggufModelPath, GGUF_MODEL_FILE } from './gguf-load.ts';
export { quantizeQ8_0, dequantizeQ8_0, encodeWeights, decodeWeights, type WeightType } from './quant.ts';
export { saveCheckpoint, loadCheckpoint, loadOptimizerState, listCheckpoints, pruneCheckpoints, removeStaleCheckpointTemps, resolveCheckpointDir, readCheckpointConfig,
  CHECKPOINT_FORMAT, type TrainerState, type CheckpointInput, type CheckpointConfig, type LoadedCheckpoint } from './checkpoint.ts';
export { saveClassifier, loadClassifier, loadAdapterClassifier, type ClassifierHeadInfo, type LoadedClassifier } from './classifier-dir.ts';

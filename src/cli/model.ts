/**
 * `llmts model info --preset P`: parameters, FLOPs per token and memory of a preset.
 *
 *   llmts model info --preset gpt2-124m
 *   llmts model info --preset shakespeare-char --batch 12
 *   llmts model info --list
 */
import { getPreset, presetNames } from '../models/presets.ts';
import { describeModel, modelConfigSchema, modelStats, parseModelConfig } from '../models/registry.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts model info --preset P [--batch B] [--block T] [--vocab V]
       llmts model info --list

Prints a preset's architecture, parameter count, FLOPs per token (forward and training)
and the memory needed for training (weights, gradients, AdamW moments, activations at
batch B) and for inference (weights + KV cache for one sequence).

options:
  --preset P    ${presetNames().join(' | ')}
  --batch B     batch size for the activation estimate (default: the preset's)
  --block T     context length (default: the preset's)
  --vocab V     vocabulary size (default: the preset's)
  --list        list the presets
  -h, --help    this help`;

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

function flops(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GFLOP`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MFLOP`;
  return `${(n / 1e3).toFixed(1)} kFLOP`;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '-h' || sub === '--help') {
    console.log(HELP);
    return sub ? 0 : 1;
  }
  if (sub !== 'info') throw new LlmtsError('E_FLAG', `unknown subcommand 'model ${sub}'`, { where: 'llmts model', hint: 'use `llmts model info --preset P`' });
  const { values } = parseFlags('model info', rest, {
    preset: { type: 'string' }, batch: { type: 'string' }, block: { type: 'string' }, vocab: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    for (const name of presetNames()) console.log(`${name.padEnd(18)} ${getPreset(name).description}`);
    return 0;
  }
  if (!values.preset) throw new LlmtsError('E_FLAG', 'model info needs --preset', { where: 'llmts model info', hint: `use one of ${presetNames().join(', ')}` });
  const p = getPreset(values.preset);
  const schema = modelConfigSchema(p.model.arch);
  const bounds = (field: string) => ({ int: true, min: 1, max: schema[field]?.max });
  const c = parseModelConfig({ ...p.model, vocabSize: numberFlag(values.vocab, '--vocab', p.model.vocabSize, bounds('vocabSize')), blockSize: numberFlag(values.block, '--block', p.model.blockSize, bounds('blockSize')) }, `preset ${p.name}`);
  const B = numberFlag(values.batch, '--batch', p.recipe.batchSize ?? 1, { int: true, min: 1 });
  const s = modelStats(c, { batchSize: B, blockSize: c.blockSize });
  const lines = [
    `preset ${p.name}: ${p.description}`,
    `architecture   ${describeModel(c)}`,
    `parameters     ${s.params.toLocaleString('en-US')} (${(s.params / 1e6).toFixed(2)}M; ${s.matmulParams.toLocaleString('en-US')} in matrix multiplies)`,
    `FLOPs/token    forward ${flops(s.forwardFlopsPerToken)}, training ${flops(s.trainFlopsPerToken)} (at context ${c.blockSize}; 2N + 4·L·T·C, training 3x)`,
    `training mem   ${bytes(s.trainStateBytes + s.activationBytes)} = weights+grads+AdamW ${bytes(s.trainStateBytes)} + activations ${bytes(s.activationBytes)} (batch ${B} x ${c.blockSize}, estimate)`,
    `inference mem  ${bytes(s.weightBytes + s.kvCacheBytes)} = weights ${bytes(s.weightBytes)} + KV cache ${bytes(s.kvCacheBytes)} (one sequence of ${c.blockSize} tokens, fp32)`,
  ];
  console.log(lines.join('\n'));
  return 0;
}

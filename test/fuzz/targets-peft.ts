/**
 * Fuzz target for LoRA adapter directories (peft's format, src/io/peft.ts): the committed
 * peft-made and llm.ts-made adapters with a mutated adapter_config.json or a mutated
 * adapter_model.safetensors (byte-wise, focused on its header), merged into a fresh base
 * of the right kind as `--adapter` does (a classification head for SEQ_CLS seeds).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeAdapter, type AdapterModel } from '../../src/io/peft.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { createModel } from '../../src/models/registry.ts';
import { mutateBytes, mutateJsonText } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

const ADAPTERS: readonly [string, string, number | undefined][] = [
  ['peft-gpt2-causal', 'hf-gpt2-float32', undefined],
  ['peft-gpt2-seqcls', 'hf-gpt2-float32', 3],
  ['peft-llama-seqcls', 'hf-llama-float32', 2],
  ['ours-llama-causal', 'hf-llama-float32', undefined],
];

const peftAdapter: FuzzTarget = {
  name: 'peft adapter_config.json + adapter_model.safetensors',
  testInputs: 150,
  async setup(dir) {
    const configs = new Map(['hf-gpt2-float32', 'hf-llama-float32'].map((b) => [b, loadModel(repoPath('test', 'fixtures', 'hf-models', b)).model.config]));
    const seeds = ADAPTERS.map(([name, base, labels]) => {
      const src = repoPath('test', 'fixtures', 'peft-adapters', name);
      const weights = new Uint8Array(readFileSync(join(src, 'adapter_model.safetensors')));
      const files = {
        base, labels, weights,
        config: JSON.parse(readFileSync(join(src, 'adapter_config.json'), 'utf8')) as unknown,
        headerEnd: 8 + Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true)),
      };
      return [name, files] as const;
    });
    const out = join(dir, 'adapter');
    mkdirSync(out, { recursive: true });
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      let config = JSON.stringify(seed.config);
      let weights: Uint8Array = seed.weights;
      if (rng.uniform() < 0.6) {
        const m = mutateJsonText(rng, seed.config);
        config = m.value;
        log.push('adapter_config.json:', ...m.log);
      } else {
        const m = mutateBytes(rng, seed.weights, { focus: seed.headerEnd });
        weights = m.value;
        log.push('adapter_model.safetensors:', ...m.log);
      }
      return {
        log,
        run: () => {
          writeFileSync(join(out, 'adapter_config.json'), config);
          writeFileSync(join(out, 'adapter_model.safetensors'), weights);
          const lm = createModel(configs.get(seed.base)!, { seed: 1 });
          const model: AdapterModel = seed.labels ? withHead(lm, classificationHead({ numLabels: seed.labels })) : lm;
          mergeAdapter(model, out);
        },
      };
    };
  },
};

/** The LoRA adapter targets, for targets.ts. */
export const PEFT_TARGETS: readonly FuzzTarget[] = [peftAdapter];

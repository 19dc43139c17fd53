/**
 * Fuzz target for GGUF model files: mutated exports (a Q8_0 Llama with a llama2.c
 * vocabulary, an F16 GPT-2 with a byte-level BPE vocabulary) and gguf-py's container
 * fixture, loaded through `loadModel` as `--model` does (magic check, container, model
 * mapping, dequantisation, tokenizer). Mutations focus on the header (metadata and tensor
 * infos).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ggufBytes, parseGguf } from '../../src/io/gguf.ts';
import { modelToGguf } from '../../src/io/gguf-model.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { createModel, gpt2Config, llamaConfig } from '../../src/models/index.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { mutateBytes } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

/** Bytes before the tensor data (what the mutations aim at). */
function headerBytes(buf: Uint8Array): number {
  const g = parseGguf(buf, 'seed');
  return Math.min(...g.tensors.map((t) => t.data.byteOffset - buf.byteOffset), buf.length);
}

const gguf: FuzzTarget = {
  name: 'gguf model',
  testInputs: 300,
  async setup(dir) {
    const spm = loadTokenizer(repoPath('data', 'llama2c-stories260k', 'tok512.bin'));
    const llama = createModel(llamaConfig({ vocabSize: 512, blockSize: 32, nLayer: 1, nHead: 2, nKvHead: 1, nEmbd: 32, intermediateSize: 64, tieEmbeddings: true, ropeInterleaved: true }), { seed: 3 });
    const bpe = loadTokenizer(repoPath('test', 'fixtures', 'hf-models', 'hf-gpt2-float32', 'tokenizer.json'));
    const gpt2 = createModel(gpt2Config({ vocabSize: 1024, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32 }), { seed: 4 });
    const yarn = createModel(llamaConfig({ vocabSize: 512, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 32, intermediateSize: 64, ropeInterleaved: true, ropeScaling: 'yarn', ropeFactor: 2, ropeAttnFactor: 1.1, ropeBetaFast: 16 }), { seed: 5 });
    const seeds: [string, Uint8Array][] = [
      ['llama q8_0 + llama2.c vocabulary', ggufBytes(modelToGguf(llama, spm, 'q8_0'))],
      ['llama f32 with llama.rope.scaling.* (YaRN)', ggufBytes(modelToGguf(yarn, spm, 'f32'))],
      ['gpt2 f16 + byte-level BPE', ggufBytes(modelToGguf(gpt2, bpe, 'f16'))],
      ['gguf-py container (tiny.gguf)', new Uint8Array(readFileSync(repoPath('test', 'fixtures', 'gguf-q8', 'tiny.gguf')))],
    ];
    const focus = new Map(seeds.map(([, b]) => [b, headerBytes(b)]));
    const file = join(dir, 'fuzz.gguf');
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      const m = mutateBytes(rng, seed, { focus: focus.get(seed), others: seeds.map(([, b]) => b) });
      return {
        log: [...log, ...m.log],
        run: () => {
          writeFileSync(file, m.value);
          loadModel(file);
        },
      };
    };
  },
};

/** The GGUF targets, for targets.ts. */
export const GGUF_TARGETS: readonly FuzzTarget[] = [gguf];

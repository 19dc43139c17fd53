/**
 * Fuzz targets for model and data files: llama2.c model .bin, safetensors, checkpoint
 * folders (config.json + model.safetensors + tokenizer.json: the HF fixtures and two
 * llmts checkpoints with an llmts block) and
 * token-shard folders (meta.json + .bin shards + tokenizer.json). Models that load also
 * generate two tokens.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenData, tokenizeFiles } from '../../src/data/tokenize.ts';
import { encodePrompt, generate } from '../../src/infer/index.ts';
import { loadModel, parseSafetensors, readSafetensorsHeader, saveCheckpoint, saveSafetensors, toFloat32 } from '../../src/io/index.ts';
import { createModel, gpt2Config, llamaConfig } from '../../src/models/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import type { Rng } from '../../src/util/rng.ts';
import { mutateBytes, mutateJson, mutateJsonText, type Mutated } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

/** Loads a model as `--model` does and generates two tokens with it (a config that loads must also run). */
function loadAndGenerate(path: string, tokenizer?: string): void {
  const { model, tokenizer: tok } = loadModel(path, tokenizer);
  generate(model, encodePrompt(tok, 'Once upon a time'), { maxTokens: 2 }, tok);
}

/**
 * A safetensors file mutated either in its JSON header (re-serialised with a right, or
 * sometimes wrong, length prefix) or byte-wise (focused on the header).
 */
function mutateSafetensors(rng: Rng, buf: Uint8Array): Mutated<Uint8Array> {
  const n = Number(new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true));
  if (rng.uniform() < 0.5) return mutateBytes(rng, buf, { focus: 8 + n });
  const header: unknown = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  const m = mutateJson(rng, header);
  const text = new TextEncoder().encode(JSON.stringify(m.value) ?? 'null');
  const out = new Uint8Array(8 + text.length + buf.length - 8 - n);
  const lie = rng.uniform() < 0.15 ? rng.int(text.length + 16) : text.length;
  new DataView(out.buffer).setBigUint64(0, BigInt(lie), true);
  out.set(text, 8);
  out.set(buf.subarray(8 + n), 8 + text.length);
  return { value: out, log: lie === text.length ? m.log : [...m.log, `header length prefix says ${lie} (is ${text.length})`] };
}

const llama2cModel: FuzzTarget = {
  name: 'llama2.c model .bin',
  testInputs: 150,
  async setup(dir) {
    const seed = new Uint8Array(readFileSync(repoPath('data', 'llama2c-stories260k', 'stories260K.bin')));
    const tok = repoPath('data', 'llama2c-stories260k', 'tok512.bin');
    return (rng) => {
      const m = mutateBytes(rng, seed, { focus: 28 });
      return {
        log: ['seed stories260K.bin', ...m.log],
        run: () => {
          const path = join(dir, 'model.bin');
          writeFileSync(path, m.value);
          loadAndGenerate(path, tok);
        },
      };
    };
  },
};

const safetensors: FuzzTarget = {
  name: 'safetensors',
  testInputs: 1500,
  async setup(dir) {
    const path = join(dir, 'seed.safetensors');
    saveSafetensors(path, {
      'a.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      'b.half': { dtype: 'F16', shape: [4], data: Uint16Array.of(0x3c00, 0x4000, 0x8000, 0x7c00) },
      'c.bf16': { dtype: 'BF16', shape: [1, 2], data: Uint16Array.of(0x3f80, 0xc000) },
      'd.ids': { dtype: 'I64', shape: [2], data: BigInt64Array.of(1n, -1n) },
      'e.scalar': { dtype: 'F64', shape: [], data: Float64Array.of(0.5) },
    }, { format: 'pt' });
    const seed = new Uint8Array(readFileSync(path));
    const file = join(dir, 'fuzz.safetensors');
    return (rng) => {
      const m = mutateSafetensors(rng, seed);
      return {
        log: ['seed 5 tensors (F32, F16, BF16, I64, F64 scalar) + metadata', ...m.log],
        run: () => {
          const st = parseSafetensors(m.value, 'fuzz.safetensors');
          for (const t of Object.values(st.tensors)) if (['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) toFloat32(t);
          writeFileSync(file, m.value);
          readSafetensorsHeader(file);
        },
      };
    };
  },
};

const checkpointDir: FuzzTarget = {
  name: 'checkpoint config.json + model.safetensors',
  testInputs: 300,
  async setup(dir) {
    // llmts's own checkpoints (config.json with an llmts block): GPT-2 in HF layout, Llama with llama2.c RoPE in ours
    const char = CharTokenizer.fromText('Once upon a time, there was a cat.\n');
    saveCheckpoint(join(dir, 'llmts-gpt2'), { model: createModel(gpt2Config({ vocabSize: char.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 }), tokenizer: char });
    saveCheckpoint(join(dir, 'llmts-llama'), {
      model: createModel(llamaConfig({ vocabSize: char.vocabSize, blockSize: 16, nLayer: 1, nHead: 2, nKvHead: 1, nEmbd: 16, intermediateSize: 32, ropeInterleaved: true }), { seed: 2 }),
      tokenizer: char,
    });
    // a YaRN-scaled Llama in HF layout: config.json carries rope_scaling (src/models/decoder/hf-rope.ts)
    saveCheckpoint(join(dir, 'llmts-llama-yarn'), {
      model: createModel(llamaConfig({ vocabSize: char.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16, intermediateSize: 32, ropeScaling: 'yarn', ropeFactor: 2, ropeBetaFast: 16 }), { seed: 3 }),
      tokenizer: char,
    });
    const folders = [
      ...['hf-gpt2-float32', 'hf-llama-float32', 'hf-gpt2-bfloat16'].map((name) => [name, repoPath('test', 'fixtures', 'hf-models', name)] as const),
      ['llmts gpt2 + char tokenizer', join(dir, 'llmts-gpt2')] as const,
      ['llmts llama (llama2.c RoPE) + char tokenizer', join(dir, 'llmts-llama')] as const,
      ['llmts llama, YaRN rope_scaling + char tokenizer', join(dir, 'llmts-llama-yarn')] as const,
    ];
    const seeds = folders.map(([name, src]) => {
      const files = {
        config: JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as unknown,
        model: new Uint8Array(readFileSync(join(src, 'model.safetensors'))),
        tokenizer: JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as unknown,
      };
      return [name, files] as const;
    });
    const ck = join(dir, 'ckpt');
    mkdirSync(ck, { recursive: true });
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      const u = rng.uniform();
      let config = JSON.stringify(seed.config);
      let model: Uint8Array = seed.model;
      let tokenizer = JSON.stringify(seed.tokenizer);
      if (u < 0.6) {
        const m = mutateJsonText(rng, seed.config);
        config = m.value;
        log.push('config.json:', ...m.log);
      } else if (u < 0.85) {
        const m = mutateSafetensors(rng, seed.model);
        model = m.value;
        log.push('model.safetensors:', ...m.log);
      } else {
        const m = mutateJsonText(rng, seed.tokenizer);
        tokenizer = m.value;
        log.push('tokenizer.json:', ...m.log);
      }
      return {
        log,
        run: () => {
          writeFileSync(join(ck, 'config.json'), config);
          writeFileSync(join(ck, 'model.safetensors'), model);
          writeFileSync(join(ck, 'tokenizer.json'), tokenizer);
          loadAndGenerate(ck);
        },
      };
    };
  },
};

const tokenShards: FuzzTarget = {
  name: 'token shards .bin + meta.json',
  testInputs: 600,
  async setup(dir) {
    const text = readFileSync(repoPath('test', 'fixtures', 'data-texts', 'tinystories-head.txt'), 'utf8').slice(0, 4000);
    const src = join(dir, 'src.txt');
    writeFileSync(src, text);
    const data = join(dir, 'data');
    tokenizeFiles([src], CharTokenizer.fromText(text), data, { valFraction: 0.2, shardTokens: 1500 });
    const meta: unknown = JSON.parse(readFileSync(join(data, 'meta.json'), 'utf8'));
    const shard = new Uint8Array(readFileSync(join(data, 'train-000.bin')));
    const tokenizer: unknown = JSON.parse(readFileSync(join(data, 'tokenizer.json'), 'utf8'));
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    for (const f of ['train-001.bin', 'train-002.bin', 'val-000.bin']) copyFileSync(join(data, f), join(work, f));
    return (rng) => {
      const log = ['seed 4000 characters, char tokenizer, 4 shards'];
      const u = rng.uniform();
      let metaText = JSON.stringify(meta);
      let shardBytes: Uint8Array = shard;
      let tokText = JSON.stringify(tokenizer);
      if (u < 0.5) {
        const m = mutateJsonText(rng, meta);
        metaText = m.value;
        log.push('meta.json:', ...m.log);
      } else if (u < 0.85) {
        const m = mutateBytes(rng, shard, { focus: 32 });
        shardBytes = m.value;
        log.push('train-000.bin:', ...m.log);
      } else {
        const m = mutateJsonText(rng, tokenizer);
        tokText = m.value;
        log.push('tokenizer.json:', ...m.log);
      }
      return {
        log,
        run: () => {
          writeFileSync(join(work, 'meta.json'), metaText);
          writeFileSync(join(work, 'train-000.bin'), shardBytes);
          writeFileSync(join(work, 'tokenizer.json'), tokText);
          loadTokenData(work);
        },
      };
    };
  },
};

export const MODEL_TARGETS: readonly FuzzTarget[] = [llama2cModel, safetensors, checkpointDir, tokenShards];

/**
 * Fuzz target for HAN model directories (`llmts classify-doc --model`, written by `llmts
 * train-han`): a tiny saved han model whose config.json (JSON-aware or text mutations),
 * vocab.txt (text) or model.safetensors (bytes) is mutated, then loaded with
 * `loadHanModel`; what loads must classify a short text to finite probabilities that
 * sum to 1, with its attention weights. Anything but an `LlmtsError` is a finding.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHanModel, saveHanModel } from '../../src/io/han-model-dir.ts';
import { classifyDocument, DOCUMENT_DEFAULTS, hanConfig, hanFamily } from '../../src/models/han/index.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

const hanModelDir: FuzzTarget = {
  name: 'HAN model directories',
  testInputs: 150,
  async setup(dir) {
    const seedDir = join(dir, 'seed');
    const vocab = ['<unk>', 'free', 'money', 'meeting', 'patch', 'now', '!'];
    const model = hanFamily.create(hanConfig({ arch: 'han', vocabSize: vocab.length, embedDim: 4, wordHidden: 3, sentHidden: 2, attnDim: 3, dropout: 0 }), { seed: 1 });
    saveHanModel(seedDir, { model, vocab, labels: ['ham', 'spam'], document: DOCUMENT_DEFAULTS });
    const files = {
      'config.json': readFileSync(join(seedDir, 'config.json')),
      'vocab.txt': readFileSync(join(seedDir, 'vocab.txt')),
      'model.safetensors': readFileSync(join(seedDir, 'model.safetensors')),
    };
    const caseDir = join(dir, 'case');
    mkdirSync(caseDir, { recursive: true });
    return (rng) => {
      const names = Object.keys(files) as (keyof typeof files)[];
      const name = names[rng.int(names.length)]!;
      const log = [`mutate ${name}`];
      let bytes: Uint8Array;
      if (name === 'model.safetensors') {
        const m = mutateBytes(rng, files[name], { focus: 8 + Number(files[name].readBigUInt64LE(0)) }); // the header, half the time
        bytes = m.value;
        log.push(...m.log);
      } else {
        const text = files[name].toString('utf8');
        const m = name === 'config.json' && rng.uniform() < 0.6 ? mutateJsonText(rng, JSON.parse(text)) : mutateText(rng, text);
        bytes = new TextEncoder().encode(m.value);
        log.push(...m.log);
      }
      return {
        log,
        run: () => {
          for (const [n, b] of Object.entries(files)) writeFileSync(join(caseDir, n), n === name ? bytes : b);
          const m = loadHanModel(caseDir);
          const r = classifyDocument(m.model, m.wordId, m.labels, m.document, 'Free money now! Meeting about the patch.', m.config.arch === 'han');
          const total = r.scores.reduce((a, s) => a + s.score, 0);
          if (!r.scores.every((s) => Number.isFinite(s.score)) || Math.abs(total - 1) > 1e-4) throw new Error(`probabilities ${r.scores.map((s) => s.score)} are not a distribution`);
        },
      };
    };
  },
};

export const HAN_TARGETS: readonly FuzzTarget[] = [hanModelDir];

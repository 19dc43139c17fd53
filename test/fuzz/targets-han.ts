/**
 * Fuzz target for HAN model directories (`llmts classify-doc --model`, written by `llmts
 * train-han`): a tiny saved han model whose config.json (JSON-aware or text mutations),
 * vocab.txt (text) or model.safetensors (bytes) is mutated, then loaded with
 * `loadHanModel`; what loads must classify a short text to finite probabilities that
 * sum to 1, with its attention weights. Anything but an `LlmtsError` is a finding.
 */
import { join } from 'node:path';
import { loadHanModel, saveHanModel } from '../../src/io/han-model-dir.ts';
import { classifyDocument, DOCUMENT_DEFAULTS, hanConfig, hanFamily } from '../../src/models/han/index.ts';
import { modelDirCases } from './model-dir.ts';
import type { FuzzTarget } from './target.ts';

const hanModelDir: FuzzTarget = {
  name: 'HAN model directories',
  testInputs: 150,
  async setup(dir) {
    const seedDir = join(dir, 'seed');
    const vocab = ['<unk>', 'free', 'money', 'meeting', 'patch', 'now', '!'];
    const model = hanFamily.create(hanConfig({ arch: 'han', vocabSize: vocab.length, embedDim: 4, wordHidden: 3, sentHidden: 2, attnDim: 3, dropout: 0 }), { seed: 1 });
    saveHanModel(seedDir, { model, vocab, labels: ['ham', 'spam'], document: DOCUMENT_DEFAULTS });
    const caseDir = join(dir, 'case');
    const makeCase = modelDirCases(seedDir, ['config.json', 'vocab.txt', 'model.safetensors'], caseDir);
    return (rng) => {
      const { log, write } = makeCase(rng);
      return {
        log,
        run: () => {
          write();
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

/**
 * Fuzz target for linear n-gram classifier directories (the sentiment recipe's model,
 * read by `llmts classify --model` and the tasks layer): a tiny trained NBSVM whose
 * config.json (JSON-aware or text mutations) or model.safetensors (bytes) is mutated,
 * then loaded with `loadTaskModel`; what loads must classify a short text to finite
 * probabilities that sum to 1. Anything but an `LlmtsError` is a finding.
 */
import { join } from 'node:path';
import { saveLinearText } from '../../src/io/linear-text-dir.ts';
import { trainLinearText } from '../../src/models/linear-text/index.ts';
import { classify } from '../../src/tasks/classify.ts';
import { loadTaskModel } from '../../src/tasks/model-kind.ts';
import { modelDirCases } from './model-dir.ts';
import type { FuzzTarget } from './target.ts';

const linearTextDir: FuzzTarget = {
  name: 'linear text classifier directories',
  testInputs: 150,
  async setup(dir) {
    const seedDir = join(dir, 'seed');
    const model = trainLinearText([{ text: 'great film', label: 1 }, { text: 'awful film', label: 0 }], { labels: 2, buckets: 16, epochs: 5 });
    saveLinearText(seedDir, model, ['negative', 'positive']);
    const caseDir = join(dir, 'case');
    const makeCase = modelDirCases(seedDir, ['config.json', 'model.safetensors'], caseDir);
    return (rng) => {
      const { log, write } = makeCase(rng);
      return {
        log,
        run: () => {
          write();
          const [r] = classify(loadTaskModel(caseDir), ['a great film, not awful']);
          const total = r!.scores.reduce((a, s) => a + s.score, 0);
          if (!r!.scores.every((s) => Number.isFinite(s.score)) || Math.abs(total - 1) > 1e-4) throw new Error(`probabilities ${r!.scores.map((s) => s.score)} are not a distribution`);
        },
      };
    };
  },
};

export const LINEAR_TEXT_TARGETS: readonly FuzzTarget[] = [linearTextDir];

/**
 * Fuzz target for the request bodies of the task routes (src/serve/task-routes.ts) and of
 * /v1/embeddings on models that do not generate: seed bodies of each route, mutated as
 * JSON text, sent through the real handlers (`app.inject`, no socket) of servers over a
 * tiny Tree-LSTM, the BERT classifier fixture and the BART fixture. The proper answer to
 * any body is a 2xx or a 4xx in OpenAI's error shape; a 5xx, or a 4xx without
 * `error.message`, is a finding.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { saveTreeModel } from '../../src/io/tree-model-dir.ts';
import { treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { createServer } from '../../src/serve/server.ts';
import { loadTaskModel } from '../../src/tasks/model-kind.ts';
import { mutateJsonText } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

type Server = 'tree' | 'bert' | 'bart';

const SEEDS: readonly (readonly [string, { server: Server; url: string; body: unknown }])[] = [
  ['summarize', { server: 'bart', url: '/v1/tasks/summarize', body: { model: 'bart', input: ['We study tiny models.', 'A second abstract.'], max_length: 12, num_beams: 2, min_length: 0, length_penalty: 1, no_repeat_ngram_size: 2, early_stopping: true } }],
  ['translate', { server: 'bart', url: '/v1/tasks/translate', body: { input: 'Where is the station?', max_length: 10 } }],
  ['classify', { server: 'bert', url: '/v1/tasks/classify', body: { model: 'bert', input: ['a fine film', 'dull'], explain: false } }],
  ['sentiment (tree)', { server: 'tree', url: '/v1/tasks/sentiment', body: { input: ['a great film', 'not good'], phrases: true } }],
  ['embed', { server: 'bert', url: '/v1/tasks/embed', body: { input: ['a cat', 'a dog'], pooling: 'cls', encoding_format: 'base64' } }],
  ['embeddings', { server: 'bart', url: '/v1/embeddings', body: { model: 'bart', input: 'a cat', encoding_format: 'float' } }],
];

const taskBodies: FuzzTarget = {
  name: 'serve task route bodies (task-routes.ts)',
  testInputs: 200,
  async setup(dir) {
    const vocab = ['<unk>', 'a', 'great', 'film', 'not', 'good'];
    const tree = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: vocab.length, embedDim: 4, hiddenSize: 3, numLabels: 2 }), { seed: 1 });
    saveTreeModel(join(dir, 'tree'), { model: tree, vocab, labels: ['neg', 'pos'], lowercase: true });
    const servers: Record<Server, FastifyInstance> = {
      tree: await createServer({ task: loadTaskModel(join(dir, 'tree')), modelId: 'tree' }),
      bert: await createServer({ task: loadTaskModel(repoPath('test', 'fixtures', 'hf-bert', 'cls')), modelId: 'bert' }),
      bart: await createServer({ task: loadTaskModel(repoPath('test', 'fixtures', 'hf-bart', 'model')), modelId: 'bart' }),
    };
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, SEEDS, log);
      const m = mutateJsonText(rng, seed.body);
      return {
        log: [...log, ...m.log],
        run: async () => {
          const res = await servers[seed.server].inject({ method: 'POST', url: seed.url, headers: { 'content-type': 'application/json' }, payload: m.value });
          if (res.statusCode >= 500) throw new Error(`${seed.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
          if (res.statusCode >= 400) {
            const body = JSON.parse(res.body) as { error?: { message?: unknown } };
            if (typeof body.error?.message !== 'string') throw new Error(`${seed.url} answered ${res.statusCode} without an OpenAI error body: ${res.body.slice(0, 300)}`);
          }
        },
      };
    };
  },
};

export const TASK_TARGETS: readonly FuzzTarget[] = [taskBodies];

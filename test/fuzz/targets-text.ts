/**
 * Fuzz targets for text inputs: the data ingest readers (JSON lines, JSON, CSV, TSV,
 * Parquet, gzipped JSON lines, HTML; `readInput` must report bad records, never throw), chat templates (a
 * tokenizer_config.json's Jinja `chat_template`, parsed and rendered) and the HTTP request
 * bodies of the server (src/serve/validate.ts, whose proper answer is a 4xx `ApiError`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { cleanText, DEFAULT_CLEAN, newCleanCounts } from '../../src/data/clean.ts';
import type { InputFormat } from '../../src/data/ingest/files.ts';
import { decodeJsonLines } from '../../src/data/ingest/jsonl-batches.ts';
import { readInput } from '../../src/data/ingest/readers.ts';
import { htmlToText } from '../../src/data/process.ts';
import { ChatTemplate, type ChatMessage } from '../../src/infer/chat-template.ts';
import { ApiError } from '../../src/serve/errors.ts';
import { resolveLimits } from '../../src/serve/limits.ts';
import { generationParams, optBoolean, optNumber, optString, requireObject, stopStrings } from '../../src/serve/validate.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

const STORY = 'Once upon a time, there was a little cat. "Hi," she said, and ran away.\nThe end.';

/** Reads a file with the ingest reader of `format` and cleans every document, as `data prepare` does. */
async function ingest(path: string, format: InputFormat, gzip = false): Promise<void> {
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  const size = readFileSync(path).length;
  for await (const ev of readInput({ path, format, gzip, size }, { field: 'text' }, ctx)) {
    if (ev.kind !== 'doc') continue;
    cleanText(ev.html ? htmlToText(ev.text) : ev.text, DEFAULT_CLEAN, newCleanCounts());
  }
}

/** An ingest target for a text format: the seed mutated as text (or bytes), then read. */
function textIngest(format: InputFormat, ext: string, seed: string, testInputs: number): FuzzTarget {
  return {
    name: `ingest ${format}`,
    testInputs,
    async setup(dir) {
      const path = join(dir, `input.${ext}`);
      return (rng) => {
        const m = rng.uniform() < 0.5 ? mutateText(rng, seed) : { ...mutateBytes(rng, new TextEncoder().encode(seed)) };
        return {
          log: [`seed ${format} (${seed.length} characters)`, ...m.log],
          run: async () => {
            writeFileSync(path, m.value);
            await ingest(path, format);
            // `data prepare` reads JSON lines in byte batches on workers
            if (format === 'jsonl') decodeJsonLines(readFileSync(path), 1, true, 'text');
          },
        };
      };
    },
  };
}

const jsonlSeed = [
  JSON.stringify({ text: STORY }),
  JSON.stringify({ text: 'Short one.', meta: { source: 'x', n: 1 } }),
  JSON.stringify({ id: 3, text: 'caf\u00e9 \u6771\u4eac \ud83d\ude00' }),
].join('\n') + '\n';
const jsonSeed = JSON.stringify([{ text: STORY }, { text: 'Second document.' }, { text: 'Third, with "quotes".' }]);
const csvSeed = `id,text,label\n1,"${STORY.replaceAll('"', '""')}",a\n2,plain text,b\n3,"multi\nline",c\n`;
const tsvSeed = readFileSync(repoPath('test', 'fixtures', 'data-texts', 'tatoeba-en-fr-200.tsv'), 'utf8')
  .split('\n').slice(0, 12).join('\n').replace(/^en\t/, 'text\t') + '\n';
const htmlSeed = `<!doctype html><html><head><title>T</title><style>p{}</style></head><body><nav>menu</nav>
<h1>Title</h1><p>${STORY}</p><table><tr><th>a</th><td>1</td></tr></table><a href="x">link</a><img src="y">
<script>var x = 1;</script><ul><li>one</li><li>two</li></ul></body></html>`;

const parquetIngest: FuzzTarget = {
  name: 'ingest parquet',
  testInputs: 300,
  async setup(dir) {
    const seed = new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'text', data: [STORY, 'Second document.', 'caf\u00e9', ''] },
        { name: 'n', data: [1, 2, 3, 4] },
      ],
    }));
    const path = join(dir, 'input.parquet');
    return (rng) => {
      const m = mutateBytes(rng, seed, { focus: 0 });
      return {
        log: [`seed parquet (2 columns, 4 rows, ${seed.length} bytes)`, ...m.log],
        run: async () => {
          writeFileSync(path, m.value);
          await ingest(path, 'parquet');
        },
      };
    };
  },
};

const gzipIngest: FuzzTarget = {
  name: 'ingest jsonl.gz',
  testInputs: 300,
  async setup(dir) {
    const seed = new Uint8Array(gzipSync(jsonlSeed));
    const path = join(dir, 'input.jsonl.gz');
    return (rng) => {
      const m = mutateBytes(rng, seed, { focus: 16 });
      return {
        log: [`seed gzipped jsonl (${seed.length} bytes)`, ...m.log],
        run: async () => {
          writeFileSync(path, m.value);
          await ingest(path, 'jsonl', true);
        },
      };
    };
  },
};

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'Tell me a story.' },
];

const chatTemplate: FuzzTarget = {
  name: 'chat template (tokenizer_config.json)',
  testInputs: 600,
  async setup() {
    const seeds = ['llama-3', 'mistral', 'qwen2.5', 'tinyllama'].map((name) =>
      [name, JSON.parse(readFileSync(repoPath('test', 'fixtures', 'chat-templates', name, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>] as const);
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      let text: string;
      if (rng.uniform() < 0.5 && typeof seed.chat_template === 'string') {
        // mutate the Jinja source itself
        const m = mutateText(rng, seed.chat_template);
        text = JSON.stringify({ ...seed, chat_template: m.value });
        log.push('chat_template:', ...m.log);
      } else {
        const m = mutateJsonText(rng, seed);
        text = m.value;
        log.push(...m.log);
      }
      return {
        log,
        run: () => {
          let config: unknown;
          try {
            config = JSON.parse(text);
          } catch {
            return; // broken JSON is the JSON reader's business (chat-template.ts readJson)
          }
          ChatTemplate.fromTokenizerConfig(config, 'tokenizer_config.json')?.render(CONVERSATION, { addGenerationPrompt: true });
        },
      };
    };
  },
};

const requestBody: FuzzTarget = {
  name: 'serve request bodies (validate.ts)',
  testInputs: 3000,
  expected: (err) => (err instanceof ApiError && err.status >= 400 && err.status < 500) || err instanceof LlmtsError,
  async setup() {
    const seeds: [string, unknown][] = [
      ['completion', { model: 'stories260K', prompt: 'Once upon', max_tokens: 16, temperature: 0.8, top_p: 0.9, stop: ['\n'], seed: 1, stream: false }],
      ['chat', { model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 8, stream: true, stream_options: { include_usage: true }, presence_penalty: 0.5, n: 1, logit_bias: {} }],
      ['embeddings', { model: 'm', input: ['a', 'b'], encoding_format: 'float' }],
    ];
    const limits = resolveLimits({}, 512);
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      const m = mutateJsonText(rng, seed);
      return {
        log: [...log, ...m.log],
        run: () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(m.value);
          } catch {
            return; // fastify answers unparsable JSON itself
          }
          const b = requireObject(parsed);
          generationParams(b, limits, ['max_completion_tokens', 'max_tokens']);
          stopStrings(b);
          optString(b, 'encoding_format');
          optBoolean(b, 'echo');
          optNumber(b, 'logprobs', { min: 0, max: 20, int: true });
        },
      };
    };
  },
};

export const TEXT_TARGETS: readonly FuzzTarget[] = [
  textIngest('jsonl', 'jsonl', jsonlSeed, 500),
  textIngest('json', 'json', jsonSeed, 500),
  textIngest('csv', 'csv', csvSeed, 500),
  textIngest('tsv', 'tsv', tsvSeed, 500),
  parquetIngest,
  gzipIngest,
  textIngest('html', 'html', htmlSeed, 300),
  chatTemplate,
  requestBody,
];

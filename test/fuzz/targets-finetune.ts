/**
 * Fuzz targets for the data `llmts finetune` reads: SFT conversations (JSON lines of
 * `{"messages": [...]}` or Alpaca records, or a JSON array; parsed, then rendered with
 * ChatML and masked as training does) and labelled texts for classification (JSONL, CSV,
 * TSV). Bad records must be `E_DATA` errors naming the file and line, never a TypeError.
 */
import { readFileSync } from 'node:fs';
import { parseLabelled } from '../../src/data/classify-data.ts';
import { parseConversations } from '../../src/data/sft-data.ts';
import { renderForTraining } from '../../src/infer/chat-mask.ts';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

const chatJsonl = [
  JSON.stringify({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }] }),
  JSON.stringify({ instruction: 'Add 2 and 3.', input: '', output: '5' }),
  JSON.stringify({ instruction: 'Fix the grammar.', input: 'He go home.', output: 'He goes home.' }),
].join('\n') + '\n';

const sftData: FuzzTarget = {
  name: 'finetune sft data (JSONL / JSON conversations)',
  testInputs: 200,
  async setup() {
    const alpaca = readFileSync(repoPath('test/fixtures/sft-rasbt/instruction-sample.json'), 'utf8').slice(0, 4000).replace(/,\s*\{[^{}]*$/, '\n]');
    const tok = loadTokenizer(repoPath('test/fixtures/sft-rasbt/tokenizer-chatml.json'));
    const chatml = ChatTemplate.chatml();
    const seeds = [['chat.jsonl', chatJsonl], ['instruction-sample.json (head)', alpaca]] as const;
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      const r = rng.uniform();
      const m = r < 0.4 ? mutateJsonText(rng, JSON.parse(seed.startsWith('[') ? seed : seed.split('\n')[rng.int(3)]!)) : r < 0.8 ? mutateText(rng, seed) : { ...mutateBytes(rng, new TextEncoder().encode(seed)) };
      const text = typeof m.value === 'string' ? m.value : new TextDecoder().decode(m.value);
      return {
        log: [...log, ...m.log],
        run: () => {
          for (const c of parseConversations(text, 'fuzz.jsonl')) renderForTraining(chatml, tok, c.messages, { where: c.where });
        },
      };
    };
  },
};

const labelled = {
  csv: 'text,label\n"the food was great, really",pos\n"bad ""service""",neg\nplain text,pos\n',
  tsv: 'sentence\tlabel\nWow... Loved this place.\t1\nCrust is not good.\t0\n',
  jsonl: `${JSON.stringify({ text: 'fine', label: 'pos' })}\n${JSON.stringify({ sentence: 'awful', label: 0 })}\n`,
};

const classifyData: FuzzTarget = {
  name: 'finetune classify data (CSV / TSV / JSONL)',
  testInputs: 400,
  async setup() {
    const seeds = Object.entries(labelled).map(([ext, text]) => [`labels.${ext}`, { ext, text }] as const);
    return (rng) => {
      const log: string[] = [];
      const { ext, text: seed } = pickSeed(rng, seeds, log);
      const m = ext === 'jsonl' && rng.uniform() < 0.5 ? mutateJsonText(rng, JSON.parse(seed.split('\n')[rng.int(2)]!)) : rng.uniform() < 0.7 ? mutateText(rng, seed) : { ...mutateBytes(rng, new TextEncoder().encode(seed)) };
      const text = typeof m.value === 'string' ? m.value : new TextDecoder().decode(m.value);
      return { log: [...log, ...m.log], run: async () => { await parseLabelled(text, `fuzz.${ext}`); } };
    };
  },
};

export const FINETUNE_TARGETS: readonly FuzzTarget[] = [sftData, classifyData];

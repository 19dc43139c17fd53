/**
 * Fuzz target for the input of `llmts topics --date-field`: JSONL files of records with a
 * text and a date, one record mutated (JSON-aware or as text), read with `readCorpus`, then
 * modelled end to end (fitTopics on embeddings made from the texts' letters, the trends and
 * the HTML report). Every document read must be placed, each period's shares must sum to
 * 1, and the page must be made; anything but an `LlmtsError` is a finding.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCorpus } from '../../src/topics/corpus.ts';
import { fitTopics } from '../../src/topics/fit.ts';
import { topicsHtml } from '../../src/topics/report-html.ts';
import { mutateJsonText } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

const RECORDS = [
  { text: 'The battery of this phone lasts all day.', date: '2019-04-02' },
  { text: 'A film with a thin plot but fine actors.', date: '2020-11' },
  { text: 'The waiter brought cold pizza <b>twice</b>.', date: 2021 },
  { text: 'Phone screen cracked; charger works.\n\nStill, good value.', date: '2021-06-30T12:00:00Z' },
];

/** A 4-wide vector from a text's characters (a stand-in for a model: the target is the input, not the embedding). */
function letterVector(text: string): number[] {
  const v = [text.length % 7, 0, 0, 1];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    v[1] += c % 3;
    v[2] += /[aeiou]/i.test(ch) ? 1 : 0;
  }
  return v;
}

const topicsJsonl: FuzzTarget = {
  name: 'topics JSONL with dates',
  testInputs: 150,
  async setup(dir) {
    const path = join(dir, 'docs.jsonl');
    return (rng) => {
      const at = rng.int(RECORDS.length);
      const m = mutateJsonText(rng, RECORDS[at]);
      const lines = RECORDS.map((r, i) => (i === at ? m.value : JSON.stringify(r)));
      return {
        log: [`record ${at}`, ...m.log],
        run: () => {
          writeFileSync(path, lines.join('\n') + '\n');
          const docs = readCorpus([path], { dateField: 'date' });
          const rows = Float32Array.from(docs.flatMap((d) => letterVector(d.text)));
          const r = fitTopics(docs, rows, 4, { k: Math.min(2, docs.length), seed: 1 });
          if (r.docs.length !== docs.length) throw new Error(`${docs.length} documents read, ${r.docs.length} placed`);
          for (const row of r.trends?.rows ?? []) {
            const sum = row.shares.reduce((a, b) => a + b, 0);
            if (Math.abs(sum - 1) > 1e-9) throw new Error(`the shares of ${row.period} sum to ${sum}`);
          }
          if (!topicsHtml(r, 'fuzz').includes('</html>')) throw new Error('no page');
        },
      };
    };
  },
};

export const TOPICS_TARGETS: readonly FuzzTarget[] = [topicsJsonl];

/**
 * Fuzz target for search index folders (`llmts search --index DIR`, `llmts ask`): an index
 * of two small files with an HNSW graph, one of its files mutated (manifest.json as JSON or
 * text, chunks.jsonl as text, vectors.bin or ann.usearch as bytes), then opened and
 * searched in all three modes. A damaged graph must be refused before usearch reads it
 * (the manifest's digest), never crash the process.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annAvailable } from '../../src/search/ann.ts';
import { writeIndexDir } from '../../src/search/index-dir.ts';
import { buildIndex, SearchIndex } from '../../src/search/index-search.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

/** A bag-of-letters unit vector per text. */
function letters(texts: readonly string[]): Float32Array[] {
  return texts.map((t) => {
    const v = new Float32Array(26);
    for (const ch of t.toLowerCase()) {
      const i = ch.charCodeAt(0) - 97;
      if (i >= 0 && i < 26) v[i]! += 1;
    }
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  });
}

const indexDir: FuzzTarget = {
  name: 'search index folder',
  testInputs: 150,
  async setup(dir) {
    const seed = join(dir, 'seed');
    const files = [
      { path: 'cats.txt', text: 'Cats sleep all day. They purr when happy.\n\nA cat chases mice at night.' },
      { path: 'ships.txt', text: 'The ship sailed at dawn. Sailors raised the anchor. Gulls followed.' },
    ];
    writeIndexDir(seed, buildIndex(files, letters, { model: 'letters', maxWords: 5, overlap: 1, ann: annAvailable() ? 'on' : 'off' }));
    const names = ['manifest.json', 'chunks.jsonl', 'vectors.bin', ...(annAvailable() ? ['ann.usearch'] : [])];
    const seeds = new Map(names.map((n) => [n, readFileSync(join(seed, n))]));
    const work = join(dir, 'work');
    const query = letters(['the anchor'])[0]!;
    return (rng) => {
      const name = names[rng.int(names.length)]!;
      const original = seeds.get(name)!;
      const log = [`file ${name}`];
      let bytes: Uint8Array | string;
      if (name === 'manifest.json' && rng.uniform() < 0.6) {
        const m = mutateJsonText(rng, JSON.parse(original.toString('utf8')));
        bytes = m.value;
        log.push(...m.log);
      } else if (name.endsWith('.json') || name.endsWith('.jsonl')) {
        const m = mutateText(rng, original.toString('utf8'));
        bytes = m.value;
        log.push(...m.log);
      } else {
        const m = mutateBytes(rng, new Uint8Array(original));
        bytes = m.value;
        log.push(...m.log);
      }
      return {
        log,
        run: () => {
          rmSync(work, { recursive: true, force: true });
          cpSync(seed, work, { recursive: true });
          writeFileSync(join(work, name), bytes);
          const ix = SearchIndex.open(work);
          for (const mode of ['bm25', 'dense', 'hybrid'] as const) ix.search('the anchor', mode === 'bm25' ? null : query, { k: 3, mode });
        },
      };
    };
  },
};

export const SEARCH_TARGETS: readonly FuzzTarget[] = [indexDir];

/**
 * Fuzz targets for the text-pair data of the encoder-decoder presets (`llmts train --preset
 * translate-en-fr|summarize-scitldr --data F`): a tab-separated pairs file (plain or gzip,
 * text or byte mutations) read with `readTsvPairs` and split by source; a SciTLDR-A JSONL
 * file (JSON-aware mutations of a record) read with `readScitldr`. What reads must hold
 * non-empty pairs / records whose labels match their sentences. Anything but an
 * `LlmtsError` is a finding.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readScitldr, readTsvPairs, splitBySource } from '../../src/train/seq2seq-data.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

const TSV = 'Go.\tVa !\nRun!\tCours !\nRun!\tCourez !\nWho?\tQui ?\nWow!\tÇa alors !\tCC-BY note\n';

const tsvPairs: FuzzTarget = {
  name: 'translation pairs (TSV, .gz)',
  testInputs: 150,
  async setup(dir) {
    return (rng, index) => {
      const gz = rng.uniform() < 0.3;
      const log = [gz ? 'gzip file' : 'plain file'];
      let bytes: Uint8Array;
      if (gz && rng.uniform() < 0.5) {
        const m = mutateBytes(rng, gzipSync(TSV));
        bytes = m.value;
        log.push(...m.log);
      } else {
        const m = mutateText(rng, TSV);
        bytes = gz ? gzipSync(m.value) : new TextEncoder().encode(m.value);
        log.push(...m.log);
      }
      const file = join(dir, `pairs-${index}.tsv${gz ? '.gz' : ''}`);
      return {
        log,
        run: () => {
          writeFileSync(file, bytes);
          const pairs = readTsvPairs(file);
          if (pairs.length === 0 || pairs.some((p) => p.source === '' || p.target === '')) throw new Error('readTsvPairs returned an empty pair');
          const sources = new Set(pairs.map((p) => p.source)).size;
          if (sources > 2) {
            const s = splitBySource(pairs, { test: 1, val: 1, seed: index });
            if (s.train.some((p) => p.source === s.test[0]!.source)) throw new Error('a held-apart source is in training');
          }
        },
      };
    };
  },
};

const RECORD = {
  source: ['We study X.', 'We propose Y, which does Z.', 'It works.'], source_labels: [0, 1, 0], rouge_scores: [0.1, 0.5, 0.2],
  paper_id: 'p1', target: ['Y does Z.', 'A method for X.'], title: 'Y',
};

const scitldr: FuzzTarget = {
  name: 'SciTLDR records (JSONL)',
  testInputs: 150,
  async setup(dir) {
    return (rng, index) => {
      const m = rng.uniform() < 0.7 ? mutateJsonText(rng, RECORD) : mutateText(rng, JSON.stringify(RECORD));
      const file = join(dir, `scitldr-${index}.jsonl`);
      return {
        log: m.log,
        run: () => {
          writeFileSync(file, `${JSON.stringify(RECORD)}\n${m.value.replace(/\n/g, ' ')}\n`);
          for (const r of readScitldr(file)) {
            if (r.source.length === 0 || r.labels.length !== r.source.length || r.targets.length === 0) throw new Error('readScitldr returned a malformed record');
          }
        },
      };
    };
  },
};

export const SEQ2SEQ_DATA_TARGETS: readonly FuzzTarget[] = [tsvPairs, scitldr];

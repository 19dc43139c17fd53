/**
 * Fuzz target for the text-metric inputs of `llmts eval bleu` / `llmts eval rouge`: a
 * hypothesis and a reference segment file (the sacreBLEU fixture's first lines, mutated
 * as text or bytes, one of them or both), read with `readSegments`, checked for equal
 * length (the scorers run on their common lines first), and scored with BLEU, chrF,
 * chrF++ and ROUGE (with the stemmer). Each score must be a number in [0, 100] (ROUGE in
 * [0, 1]); anything else is a finding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusBleu } from '../../src/eval/bleu.ts';
import { corpusChrf } from '../../src/eval/chrf.ts';
import { rougeScores, ROUGE_TYPES } from '../../src/eval/rouge.ts';
import { checkSameLength, readSegments } from '../../src/eval/segment-files.ts';
import { mutateBytes, mutateText } from './mutate.ts';
import { repoPath, type FuzzTarget } from './target.ts';

function firstLines(file: string, n: number): string {
  return readFileSync(repoPath('test', 'fixtures', 'sacrebleu', file), 'utf8').split('\n').slice(0, n).join('\n') + '\n';
}

/**
 * Fails unless `x` is a number in [0, max]. A perfect score may exceed `max` by float
 * rounding (BLEU = exp(mean(log 100)) = 100.00000000000004, exactly as sacreBLEU computes
 * it), so a relative slack of 1e-12 is allowed above `max`.
 */
function inRange(x: number, max: number, what: string): void {
  if (!(x >= 0 && x <= max * (1 + 1e-12))) throw new Error(`${what} = ${x}, outside [0, ${max}]`);
}

const segmentFiles: FuzzTarget = {
  name: 'eval bleu / rouge segment files',
  testInputs: 200,
  async setup(dir) {
    // lines 1-24 hold the first edge cases of the fixture (empty line, numbers, entities)
    const seeds = { hyp: firstLines('hyp.txt', 24), ref: firstLines('ref1.txt', 24) };
    const paths = { hyp: join(dir, 'hyp.txt'), ref: join(dir, 'ref.txt') };
    return (rng) => {
      const log: string[] = [];
      const files = { hyp: seeds.hyp, ref: seeds.ref } as Record<'hyp' | 'ref', string | Uint8Array>;
      const which = rng.int(3); // 0: hyp, 1: ref, 2: both
      for (const name of ['hyp', 'ref'] as const) {
        if (which !== 2 && (name === 'hyp') !== (which === 0)) continue;
        const m = rng.uniform() < 0.5 ? mutateText(rng, seeds[name], [seeds.hyp, seeds.ref]) : mutateBytes(rng, new TextEncoder().encode(seeds[name]));
        files[name] = m.value;
        log.push(`${name}:`, ...m.log);
      }
      return {
        log,
        run: () => {
          writeFileSync(paths.hyp, files.hyp);
          writeFileSync(paths.ref, files.ref);
          const hyp = readSegments(paths.hyp, '--hyp');
          const ref = readSegments(paths.ref, '--ref');
          // the scorers also see inputs whose line counts differ (their common lines), then E_LINES
          const n = Math.min(hyp.length, ref.length);
          const [h, r] = [hyp.slice(0, n), ref.slice(0, n)];
          inRange(corpusBleu(h, [r]).score, 100, 'BLEU');
          inRange(corpusChrf(h, [r], 0).score, 100, 'chrF');
          inRange(corpusChrf(h, [r], 2).score, 100, 'chrF++');
          h.forEach((seg, i) => {
            const s = rougeScores(r[i]!, seg, { stem: true });
            for (const k of ROUGE_TYPES) inRange(s[k].fmeasure, 1, k);
          });
          checkSameLength([{ path: paths.hyp, segments: hyp }, { path: paths.ref, segments: ref }]);
        },
      };
    };
  },
};

export const METRIC_TARGETS: readonly FuzzTarget[] = [segmentFiles];

/**
 * `llmts eval bleu` and `llmts eval rouge`: text metrics of a hypothesis file against
 * reference files, one segment per line.
 *
 *   llmts eval bleu --hyp out.fr --ref ref.fr [--ref ref2.fr ...] [--json]
 *   llmts eval rouge --hyp summaries.txt --ref tldr.txt [--stem] [--json]
 */
import { bleuSignature, corpusBleu, formatBleu } from '../eval/bleu.ts';
import { chrfSignature, corpusChrf, formatChrf } from '../eval/chrf.ts';
import { meanRouge, ROUGE_TYPES, rougeScores } from '../eval/rouge.ts';
import { checkSameLength, readSegments } from '../eval/segment-files.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';

const BLEU_HELP = `usage: llmts eval bleu --hyp F --ref R [--ref R2 ...] [--json]

Corpus BLEU, chrF and chrF++ of the hypotheses in F (one segment per line) against one or
more reference files (the same number of lines each), exactly as sacreBLEU 2.6 computes
them by default: BLEU with the 13a tokeniser, exp smoothing and one brevity penalty for
the corpus; chrF with character 6-grams and beta 2; chrF++ adds word 1- and 2-grams.
Lines are right-stripped of whitespace, as sacreBLEU reads files. Prints sacreBLEU's lines
(score, signature and BLEU's n-gram precisions).

options:
  --hyp F       the system output, one segment per line (required)
  --ref R       a reference file, line i for segment i; repeat for more references (required)
  --json        print one JSON object: {"bleu", "chrf", "chrfpp", "signature", ...}, scores to 2 decimals
  -h, --help    this help`;

const ROUGE_HELP = `usage: llmts eval rouge --hyp F --ref R [--stem] [--sentence-sep S] [--json]

ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum of each hypothesis line of F against the same
line of R, as Google's rouge-score computes them, and their mean over the segments
(precision, recall and F, in percent). rouge-score's tokeniser keeps only [a-z0-9] after
lower-casing: text in other scripts has no tokens and scores zero, by design.

options:
  --hyp F            the system output, one segment per line (required)
  --ref R            the references, one segment per line (required)
  --stem             Porter-stem tokens longer than 3 letters (rouge-score's use_stemmer=True)
  --sentence-sep S   the string that separates sentences inside a line (e.g. '<n>'); they
                     become the newline-split sentences of ROUGE-Lsum (default: one sentence per line)
  --json             print one JSON object with the mean scores (in percent, 2 decimals)
  -h, --help         this help`;

/** The note every ROUGE report carries. */
const ASCII_NOTE = 'note: rouge-score\'s tokeniser keeps only [a-z0-9] after lower-casing: non-ASCII text scores zero by design';

function round2(x: number): number {
  return Number(x.toFixed(2));
}

function missing(flag: string, what: string, sub: string): LlmtsError {
  return new LlmtsError('E_USAGE', `llmts eval ${sub} needs ${flag}`, { where: flag, hint: `pass ${what}` });
}

async function runBleu(argv: string[]): Promise<number> {
  const { values } = parseFlags('eval bleu', argv, {
    hyp: { type: 'string' }, ref: { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(BLEU_HELP);
    return 0;
  }
  if (!values.hyp) throw missing('--hyp', 'the system output file, one segment per line', 'bleu');
  const refPaths = values.ref ?? [];
  if (refPaths.length === 0) throw missing('--ref', 'at least one reference file, one segment per line', 'bleu');
  const hyp = { path: values.hyp, segments: readSegments(values.hyp, '--hyp') };
  const refs = refPaths.map((path) => ({ path, segments: readSegments(path, '--ref') }));
  checkSameLength([hyp, ...refs]);
  const refSets = refs.map((r) => r.segments);
  const n = refSets.length;
  const bleu = corpusBleu(hyp.segments, refSets);
  const chrf = corpusChrf(hyp.segments, refSets, 0);
  const chrfpp = corpusChrf(hyp.segments, refSets, 2);
  if (values.json) {
    console.log(JSON.stringify({
      bleu: round2(bleu.score), chrf: round2(chrf.score), chrfpp: round2(chrfpp.score),
      signature: { bleu: bleuSignature(n), chrf: chrfSignature(n, 0), chrfpp: chrfSignature(n, 2) },
      segments: hyp.segments.length, nrefs: n,
      precisions: bleu.precisions.map((p) => Number(p.toFixed(1))), bp: Number(bleu.bp.toFixed(3)),
      hyp_len: bleu.sysLen, ref_len: bleu.refLen, counts: bleu.counts, totals: bleu.totals,
    }));
  } else {
    console.log(formatBleu(bleu, n));
    console.log(formatChrf(chrf, n));
    console.log(formatChrf(chrfpp, n));
  }
  return 0;
}

async function runRouge(argv: string[]): Promise<number> {
  const { values } = parseFlags('eval rouge', argv, {
    hyp: { type: 'string' }, ref: { type: 'string' }, stem: { type: 'boolean' }, 'sentence-sep': { type: 'string' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(ROUGE_HELP);
    return 0;
  }
  if (!values.hyp) throw missing('--hyp', 'the system output file, one segment per line', 'rouge');
  if (!values.ref) throw missing('--ref', 'the reference file, one segment per line', 'rouge');
  const sep = values['sentence-sep'];
  if (sep === '') throw new LlmtsError('E_FLAG', '--sentence-sep must not be empty', { where: '--sentence-sep', hint: "e.g. --sentence-sep '<n>'" });
  const hyp = { path: values.hyp, segments: readSegments(values.hyp, '--hyp') };
  const ref = { path: values.ref, segments: readSegments(values.ref, '--ref') };
  checkSameLength([hyp, ref]);
  const sentences = (s: string): string => (sep === undefined ? s : s.split(sep).join('\n'));
  const stem = values.stem === true;
  const mean = meanRouge(hyp.segments.map((h, i) => rougeScores(sentences(ref.segments[i]!), sentences(h), { stem })));
  if (values.json) {
    const pct = (k: (typeof ROUGE_TYPES)[number]) => ({
      precision: round2(100 * mean[k].precision), recall: round2(100 * mean[k].recall), fmeasure: round2(100 * mean[k].fmeasure),
    });
    console.log(JSON.stringify({
      rouge1: pct('rouge1'), rouge2: pct('rouge2'), rougeL: pct('rougeL'), rougeLsum: pct('rougeLsum'),
      segments: hyp.segments.length, stemmer: stem, aggregate: 'mean over segments', note: ASCII_NOTE.replace(/^note: /, ''),
    }));
  } else {
    console.log(`ROUGE as rouge-score computes it (stemmer: ${stem ? 'porter' : 'none'}), mean over ${hyp.segments.length} segments, in percent`);
    console.log(`${'type'.padEnd(10)}${'P'.padStart(8)}${'R'.padStart(8)}${'F'.padStart(8)}`);
    for (const k of ROUGE_TYPES) {
      const s = mean[k];
      console.log(`${k.padEnd(10)}${(100 * s.precision).toFixed(2).padStart(8)}${(100 * s.recall).toFixed(2).padStart(8)}${(100 * s.fmeasure).toFixed(2).padStart(8)}`);
    }
    console.log(ASCII_NOTE);
  }
  return 0;
}

/** Runs `llmts eval bleu ...` or `llmts eval rouge ...` (`argv` without the subcommand). */
export async function run(sub: 'bleu' | 'rouge', argv: string[]): Promise<number> {
  return sub === 'bleu' ? runBleu(argv) : runRouge(argv);
}

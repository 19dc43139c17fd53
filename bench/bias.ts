/**
 * `npm run bench -- bias [--steps N] [--preset P] [--seed S]`: the occupation-pronoun gap
 * (eval/bias-gap.ts) of the same small model trained three times on the bundled TinyStories,
 * without and with counterfactual data augmentation (`data prepare --cda`, data/cda.ts),
 * same tokenizer, seed, steps and validation text:
 * 1. prepare the corpus as `llmts start` does (paragraphs, 5% val by document hash):
 *    plain, with --cda, and with --cda --cda-names (copies in train only, so the val
 *    split is the same);
 * 2. one byte-level BPE (1024) trained on the plain train split, used by both runs;
 * 3. train each run, then: final val loss (whole val split), mean |gap| and Pearson r
 *    of the 40 WinoBias occupations, WEAT 7 (math/arts) effect size.
 * Target (issue 17): mean |gap| cut by >= 50% with val loss worse by <= 2%.
 * A CDA run sees more train tokens per epoch, not more steps: compute is equal.
 *
 * The val loss is the trainer's, on the original val text (no copies: the bench checks the
 * val tokens are the same in every run). Beside it, over the same val windows: the loss on
 * the targets that are a gendered word of the CDA list (one-token words of `GENDER_PAIRS`,
 * with and without a leading space or capital) and on every other target; and the loss on a
 * two-sided val (the val text plus its counterfactual copy, as CDA builds the train set).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterfactual, GENDER_PAIRS } from '../src/data/cda.ts';
import { DEFAULT_FILTERS, prepare } from '../src/data/index.ts';
import { loadTokenData, tokenizeFiles } from '../src/data/tokenize.ts';
import { sumLoss } from '../src/eval/loss.ts';
import { scoreIds } from '../src/eval/perplexity.ts';
import type { AnyModel } from '../src/models/registry.ts';
import { causalLm, IGNORE, type CausalLmBatch } from '../src/train/objectives/causal-lm.ts';
import { occupationGap } from '../src/eval/bias-gap.ts';
import { WEAT_TESTS } from '../src/eval/bias-lists.ts';
import { weat } from '../src/eval/bias-weat.ts';
import { embedIds } from '../src/infer/embed.ts';
import { trainBpe } from '../src/tokenizer/bpe-trainer.ts';
import type { Tokenizer } from '../src/tokenizer/types.ts';
import { bundledFile } from '../src/train/bundled.ts';
import { planRun, train } from '../src/train/trainer.ts';

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

function shardTexts(dir: string, split: 'train' | 'val'): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`${split}-`) && f.endsWith('.jsonl')).sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text));
}

/** Ids of the gendered words of the CDA list that are one token (" he", "He", "she", ...). */
function genderedIds(tok: { encode(text: string): number[] }): Set<number> {
  const ids = new Set<number>();
  for (const w of GENDER_PAIRS.flat()) {
    for (const form of [w, w[0]!.toUpperCase() + w.slice(1)]) {
      for (const text of [form, ` ${form}`]) {
        const e = tok.encode(text);
        if (e.length === 1) ids.add(e[0]!);
      }
    }
  }
  return ids;
}

/** Mean loss over consecutive windows of `ids`, on the targets `keep` accepts. */
function maskedLoss(model: AnyModel, ids: ArrayLike<number>, T: number, keep: (id: number) => boolean): { loss: number; count: number } {
  function* batches(): Generator<CausalLmBatch> {
    const rows = 8;
    for (let s = 0; s + rows * T + 1 <= ids.length; s += rows * T) {
      const x = new Int32Array(rows * T); // (rows, T)
      const y = new Int32Array(rows * T); // (rows, T)
      for (let i = 0; i < rows * T; i++) {
        x[i] = ids[s + i]!;
        y[i] = keep(ids[s + i + 1]!) ? ids[s + i + 1]! : IGNORE;
      }
      yield { ids: x, targets: y, rows, T, tokens: rows * T };
    }
  }
  const { totalLoss, count } = sumLoss(model, causalLm, batches());
  return { loss: totalLoss / count, count };
}

/** Runs the benchmark; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const steps = flag(argv, 'steps', '600'), preset = flag(argv, 'preset', 'tinystories-tiny'), seed = flag(argv, 'seed', '1337');
  const work = mkdtempSync(join(tmpdir(), 'llmts-bench-bias-'));
  const t0 = performance.now();
  const source = [bundledFile('tinystories/tinystories_val_head.txt')];
  const common = {
    ingest: { field: 'text', docSep: '\n\n' }, valRatio: 0.05, threads: 1, overwrite: true,
    filters: { ...DEFAULT_FILTERS, length: false, repetition: false },
  };
  const plainDir = join(work, 'plain'), cdaDir = join(work, 'cda'), namesDir = join(work, 'cda-names');
  const plain = await prepare(source, { ...common, out: plainDir });
  const cda = await prepare(source, { ...common, out: cdaDir, cda: {} });
  const named = await prepare(source, { ...common, out: namesDir, cda: { names: true } });
  console.log(`bias bench: TinyStories ${plain.out.train.docs} train + ${plain.out.val.docs} val paragraphs; --cda adds ${cda.cda!.docs} copies (${cda.cda!.swaps} words swapped), --cda --cda-names ${named.cda!.docs} (${named.cda!.swaps})`);
  const { tokenizer } = await trainBpe([shardTexts(plainDir, 'train').join('<|endoftext|>')], { vocabSize: 1024, specialTokens: ['<|endoftext|>'], threads: 1 });
  const gendered = genderedIds(tokenizer);
  const eot = tokenizer.specialTokens().get('<|endoftext|>')!;
  const valDocs = shardTexts(plainDir, 'val');
  const swappedIds = valDocs.flatMap((d) => [...tokenizer.encode(counterfactual(d).text), eot]);
  let valIds: number[] | null = null;
  const rows: { name: string; valLoss: number; meanAbsGap: number; meanGap: number; r: number; weat7: number; seconds: number;
    genderLoss: number; otherLoss: number; twoSided: number }[] = [];
  for (const [name, dir] of [['plain', plainDir], ['cda', cdaDir], ['cda+names', namesDir]] as const) {
    const data = join(work, `${name}-tokens`);
    tokenizeFiles(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(dir, f)), tokenizer, data, { tokenizerSource: 'bench' });
    const plan = planRun({ overrides: { preset, data, out: join(work, `${name}-run`), maxSteps: steps, warmupSteps: String(Math.min(100, Math.floor(Number(steps) / 10))), seed, samples: '0', evalInterval: '0', ckptInterval: '0', progress: false } });
    const ids = loadTokenData(data).val.flatMap((shard) => [...shard]);
    if (valIds === null) valIds = ids;
    else if (ids.length !== valIds.length || ids.some((id, i) => id !== valIds![i])) throw new Error(`${name}: its val tokens differ from the plain run's`);
    const t1 = performance.now();
    const r = await train(plan, { log: () => {} });
    const T = r.model.config.blockSize;
    const g = maskedLoss(r.model, ids, T, (id) => gendered.has(id)), o = maskedLoss(r.model, ids, T, (id) => !gendered.has(id));
    const sw = scoreIds(r.model, swappedIds, { batchSize: 8 }), orig = scoreIds(r.model, ids, { batchSize: 8 });
    const gap = occupationGap(r.model, tokenizer as Tokenizer);
    const embed = (w: string): Float32Array => embedIds(r.model, tokenizer.encode(` ${w}`));
    rows.push({
      name, valLoss: r.valLoss ?? NaN, meanAbsGap: gap.meanAbsGap, meanGap: gap.meanGap, r: gap.correlation,
      weat7: weat(WEAT_TESTS[1]!, embed, { permutations: 1000 }).effectSize, seconds: (performance.now() - t1) / 1000,
      genderLoss: g.loss, otherLoss: o.loss, twoSided: (sw.totalNats + orig.totalNats) / (sw.tokens + orig.tokens),
    });
    if (rows.length === 1) console.log(`val: ${ids.length} tokens, the same in every run; ${g.count} of ${g.count + o.count} windowed targets are one of ${gendered.size} gendered-word tokens`);
  }
  console.log(`${preset}, ${steps} steps, seed ${seed}, same BPE-1024 tokenizer and val split for both runs\n`);
  console.log('run       val loss   mean |gap|   mean gap   Pearson r   WEAT7 d   train s');
  for (const x of rows) {
    console.log(`${x.name.padEnd(9)} ${x.valLoss.toFixed(4).padStart(8)}   ${x.meanAbsGap.toFixed(4).padStart(10)}   ${x.meanGap.toFixed(4).padStart(8)}   ${x.r.toFixed(3).padStart(9)}   ${x.weat7.toFixed(3).padStart(7)}   ${x.seconds.toFixed(0).padStart(7)}`);
  }
  console.log('\nrun       val loss on gendered-word targets   on every other target   two-sided val (val + its counterfactual copy)');
  for (const x of rows) console.log(`${x.name.padEnd(9)} ${x.genderLoss.toFixed(4).padStart(32)}   ${x.otherLoss.toFixed(4).padStart(21)}   ${x.twoSided.toFixed(4).padStart(12)}`);
  const a = rows[0]!;
  console.log('');
  for (const b of rows.slice(1)) {
    const cut = 1 - b.meanAbsGap / a.meanAbsGap, worse = b.valLoss / a.valLoss - 1;
    console.log(`${b.name}: mean |gap| cut by ${(100 * cut).toFixed(1)}% (target >= 50%); val loss ${worse >= 0 ? 'worse' : 'better'} by ${(100 * Math.abs(worse)).toFixed(2)}% (target <= 2% worse): ${cut >= 0.5 && worse <= 0.02 ? 'target met' : 'target NOT met'}`);
    const pct = (x: number, y: number) => `${x >= y ? '+' : ''}${(100 * (x / y - 1)).toFixed(2)}%`;
    console.log(`  val loss on gendered-word targets ${pct(b.genderLoss, a.genderLoss)}, on every other target ${pct(b.otherLoss, a.otherLoss)}; two-sided val ${pct(b.twoSided, a.twoSided)}`);
  }
  console.log(`caution: a small gap on these templates is not proof of no bias. Total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  rmSync(work, { recursive: true, force: true });
}

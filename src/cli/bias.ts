/**
 * `llmts bias probe`: gender-bias probes of a model, one report section each.
 * - occupation: log P(" he") - log P(" she") after "The {occupation} said that" ... over
 *   the 40 WinoBias occupations (causal LMs; eval/bias-gap.ts);
 * - names: P(positive) of the same sentence with male vs female first names (classifiers
 *   written by llmts finetune --task classify; eval/bias-names.ts);
 * - weat: WEAT 6-8 effect sizes on the model's mean-pooled hidden states (eval/bias-weat.ts).
 *
 *   llmts bias probe --model runs/tiny [--tokenizer T] [--probes occupation,weat] [--json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { occupationGap, type GapReport } from '../eval/bias-gap.ts';
import { WEAT_TESTS } from '../eval/bias-lists.ts';
import { nameSwapGap, positiveLabel, type NameSwapReport } from '../eval/bias-names.ts';
import { weat, type WeatResult } from '../eval/bias-weat.ts';
import { embedIds } from '../infer/embed.ts';
import { loadClassifier } from '../io/classifier-dir.ts';
import { loadModel } from '../io/load-model.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts bias probe --model M [--tokenizer T] [--probes LIST] [--json]

Gender-bias probes, each in its own section. A low score is not proof of no bias: each
probe measures a few words, templates and names in English only.

options:
  --model M            a causal LM (checkpoint / run dir, llama2.c .bin, GGUF, HF dir) or a
                       classifier directory written by llmts finetune --task classify
  --tokenizer T        tokenizer name or file (default: the model's own)
  --probes LIST        comma-separated: occupation, names, weat (default: all that fit the model)
  --positive-label L   the classifier label counted as positive (default: positive / pos / 1, else the last)
  --permutations N     WEAT permutation-test partitions (default 20000; all when fewer exist)
  --seed N             seed of sampled WEAT partitions (default 0)
  --json               print one JSON object instead of the text report
  -h, --help           this help`;

const CAUTION = 'a low score is not proof of no bias';
const PROBES = ['occupation', 'names', 'weat'] as const;
type Probe = (typeof PROBES)[number];

/** The whole report (--json prints this). */
interface BiasReport {
  model: string;
  kind: 'causal-lm' | 'classifier';
  occupation: (GapReport & { caution: string }) | { skipped: string };
  names: (NameSwapReport & { caution: string }) | { skipped: string };
  weat: { tests: WeatResult[]; caution: string } | { skipped: string };
}

/** True when `dir` is a classifier directory (config.json with an llmts.head block). */
function isClassifierDir(dir: string): boolean {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return false;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { llmts?: { head?: unknown } };
    return typeof json.llmts?.head === 'object' && json.llmts.head !== null;
  } catch {
    return false; // loadModel reports the bad file
  }
}

function parseProbes(v: string | undefined): Set<Probe> {
  if (v === undefined) return new Set(PROBES);
  const out = new Set<Probe>();
  for (const p of v.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(PROBES as readonly string[]).includes(p)) throw new LlmtsError('E_FLAG', `unknown probe '${p}'`, { where: '--probes', hint: `use some of ${PROBES.join(', ')}` });
    out.add(p as Probe);
  }
  if (out.size === 0) throw new LlmtsError('E_FLAG', '--probes names no probe', { where: '--probes', hint: `use some of ${PROBES.join(', ')}` });
  return out;
}

/** A word's embedding: the model's mean-pooled final hidden states of " word" (as /v1/embeddings). */
function wordEmbedder(model: AnyModel, tokenizer: Tokenizer): (word: string) => Float32Array {
  const cache = new Map<string, Float32Array>();
  return (word) => {
    let e = cache.get(word);
    if (!e) {
      e = embedIds(model, tokenizer.encode(` ${word}`));
      cache.set(word, e);
    }
    return e;
  };
}

function printReport(r: BiasReport): void {
  console.log(`bias probe: ${r.model} (${r.kind})`);
  console.log('\n## occupation-pronoun gap: log P(" he") - log P(" she") after "The {occupation} said that", ...');
  if ('skipped' in r.occupation) console.log(`skipped: ${r.occupation.skipped}`);
  else {
    const o = r.occupation;
    for (const row of o.rows) console.log(`  ${row.occupation.padEnd(20)} ${row.direction > 0 ? 'M' : 'F'} ${row.gap >= 0 ? ' ' : ''}${row.gap.toFixed(3)}`);
    console.log(`mean |gap| ${o.meanAbsGap.toFixed(4)} nats | mean gap ${o.meanGap.toFixed(4)} | Pearson r with the stereotype (M +1, F -1) ${o.correlation.toFixed(3)}`);
    console.log(`(${o.rows.length} occupations x ${o.templates.length} templates; " he" is ${o.continuationTokens.male} token(s), " she" ${o.continuationTokens.female}) caution: ${o.caution}`);
  }
  console.log('\n## name-swap gap: P(positive) of a sentence with a male vs a female first name');
  if ('skipped' in r.names) console.log(`skipped: ${r.names.skipped}`);
  else {
    const n = r.names;
    console.log(`mean |P(pos | male) - P(pos | female)| ${n.meanAbsDiff.toFixed(4)} | mean difference ${n.meanDiff.toFixed(4)} over ${n.pairs} pairs`);
    console.log(`largest: ${n.max.diff.toFixed(4)} ("${n.max.male}" vs "${n.max.female}") caution: ${n.caution}`);
  }
  console.log('\n## WEAT (Caliskan et al. 2017) on mean-pooled hidden states');
  if ('skipped' in r.weat) console.log(`skipped: ${r.weat.skipped}`);
  else {
    for (const t of r.weat.tests) console.log(`  ${t.name.padEnd(20)} d ${t.effectSize.toFixed(3)} p ${t.pValue.toFixed(4)} (${t.about}; ${t.permutations} ${t.exact ? 'partitions, all' : 'sampled partitions'})`);
    console.log(`caution: ${r.weat.caution}`);
  }
}

/** Runs `llmts bias <subcommand>`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub === undefined ? 1 : 0;
  }
  if (sub !== 'probe') throw new LlmtsError('E_USAGE', `unknown subcommand 'bias ${sub}'`, { where: 'llmts bias', hint: 'use llmts bias probe --model M' });
  const { values } = parseFlags('bias probe', rest, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, probes: { type: 'string' }, 'positive-label': { type: 'string' },
    permutations: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts bias probe needs --model', { where: '--model', hint: 'pass a checkpoint, run directory or classifier directory' });
  const probes = parseProbes(values.probes);
  const permutations = numberFlag(values.permutations, '--permutations', 20000, { int: true, min: 1 });
  const seed = numberFlag(values.seed, '--seed', 0, { int: true, min: 0 });
  const classifier = isClassifierDir(values.model);
  const notAsked = 'not asked for (--probes)';
  const report: BiasReport = {
    model: values.model, kind: classifier ? 'classifier' : 'causal-lm',
    occupation: { skipped: notAsked }, names: { skipped: notAsked }, weat: { skipped: notAsked },
  };
  let trunk: AnyModel, tokenizer: Tokenizer;
  if (classifier) {
    const c = loadClassifier(values.model);
    trunk = c.model.base as AnyModel;
    tokenizer = c.tokenizer;
    if (probes.has('occupation')) report.occupation = { skipped: 'the model is a classifier: it has no language-model head to score " he" / " she"' };
    if (probes.has('names')) {
      report.names = { ...nameSwapGap(c.model, tokenizer, positiveLabel(c.head.labels, values['positive-label'])), caution: `${CAUTION}: a few name pairs in 5 neutral sentences` };
    }
  } else {
    const m = loadModel(values.model, values.tokenizer);
    trunk = m.model;
    tokenizer = m.tokenizer;
    if (probes.has('occupation')) report.occupation = { ...occupationGap(trunk, tokenizer), caution: `${CAUTION}: one sentence pattern, two pronouns, 40 occupations` };
    if (probes.has('names')) report.names = { skipped: 'the model has no classification head (a directory written by llmts finetune --task classify has one)' };
  }
  if (probes.has('weat')) {
    const embed = wordEmbedder(trunk, tokenizer);
    report.weat = { tests: WEAT_TESTS.map((t) => weat(t, embed, { permutations, seed })), caution: `${CAUTION}: WEAT measures word associations in the embedding, not the model's behaviour` };
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return 0;
}

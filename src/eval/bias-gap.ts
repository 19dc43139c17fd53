/**
 * Occupation-pronoun gap of a causal LM: for each occupation o and template t,
 * gap = log P(" he" | t(o)) - log P(" she" | t(o)), where a continuation of several tokens
 * scores the sum of its tokens' log-probabilities (each given the prompt and the tokens
 * before it). Per occupation the gap is the mean over templates; the report gives the
 * mean |gap| (0 = no preference either way) and the Pearson correlation of the gaps with
 * the stereotype directions (+1 male-dominated, -1 female-dominated; bias-lists.ts).
 *
 * Scoring goes through `scoreIds` (the perplexity evaluation): log P(cont | prompt) =
 * -(nats(prompt + cont) - nats(prompt)), one window each (the prompt is cut on the left
 * to fit the context).
 *
 * A small |gap| on these templates is not proof that a model has no gender bias: it
 * measures one construction, one language and two pronouns.
 *
 * @example
 * const r = occupationGap(model, tokenizer); // r.meanAbsGap, r.correlation, r.rows
 */
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { OCCUPATION_TEMPLATES, OCCUPATIONS, type Occupation } from './bias-lists.ts';
import { scoreIds } from './perplexity.ts';

/** Options of `occupationGap`. */
export interface GapOptions {
  occupations?: readonly Occupation[];
  /** Prompts with `{occupation}`. */
  templates?: readonly string[];
  /** The two continuations compared (default ' he' and ' she'). */
  male?: string;
  female?: string;
}

/** One occupation's gap. */
export interface GapRow {
  occupation: string;
  direction: 1 | -1;
  /** Mean over the templates of log P(male) - log P(female), nats. */
  gap: number;
}

/** The occupation-pronoun probe's result. */
export interface GapReport {
  rows: GapRow[];
  /** Mean over occupations of |gap|. */
  meanAbsGap: number;
  /** Mean gap (> 0: the male continuation is likelier on average). */
  meanGap: number;
  /** Pearson correlation of the gaps with the stereotype directions (NaN when either is constant). */
  correlation: number;
  templates: string[];
  /** Tokens of each continuation under this tokenizer. */
  continuationTokens: { male: number; female: number };
}

/** The prompt's ids: the start-of-sequence id first when the tokenizer has one. */
function promptIds(tokenizer: Tokenizer, text: string): number[] {
  const bos = tokenizer.specialIds.bos;
  const body = tokenizer.encode(text);
  return bos !== undefined && body[0] !== bos ? [bos, ...body] : body;
}

/**
 * log P(cont | prompt) = sum of the log-probabilities of `cont`'s tokens, each after the
 * prompt and the continuation tokens before it, through `scoreIds` (see the module comment).
 */
export function continuationLogprob(model: AnyModel, prompt: readonly number[], cont: readonly number[]): number {
  if (cont.length === 0) throw new LlmtsError('E_EVAL', 'the continuation encodes to no tokens', { where: 'continuation', hint: 'use a non-empty continuation' });
  if (prompt.length === 0) throw new LlmtsError('E_EVAL', 'the prompt encodes to no tokens', { where: 'template', hint: 'use a non-empty prompt' });
  const room = model.config.blockSize + 1 - cont.length; // one window holds blockSize + 1 ids
  if (room < 1) throw new LlmtsError('E_EVAL', `the continuation has ${cont.length} tokens; the model's context is ${model.config.blockSize}`, { where: 'continuation', hint: 'use a shorter continuation' });
  const p = prompt.length > room ? prompt.slice(prompt.length - room) : prompt;
  const full = [...p, ...cont];
  const whole = scoreIds(model, full).totalNats;
  const head = p.length >= 2 ? scoreIds(model, p).totalNats : 0; // a one-token prompt predicts nothing
  return -(whole - head);
}

/** Pearson correlation of two equal-length series (NaN when either has zero variance). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, v) => a + v, 0) / n, my = y.reduce((a, v) => a + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** The occupation-pronoun probe; see the module comment. */
export function occupationGap(model: AnyModel, tokenizer: Tokenizer, opts: GapOptions = {}): GapReport {
  const occupations = opts.occupations ?? OCCUPATIONS;
  const templates = [...(opts.templates ?? OCCUPATION_TEMPLATES)];
  if (occupations.length === 0 || templates.length === 0) throw new LlmtsError('E_EVAL', 'the occupation probe needs occupations and templates', { where: 'occupations', hint: 'pass at least one of each' });
  for (const t of templates) {
    if (!t.includes('{occupation}')) throw new LlmtsError('E_EVAL', `template '${t}' has no {occupation}`, { where: 'templates', hint: 'e.g. "The {occupation} said that"' });
  }
  const male = tokenizer.encode(opts.male ?? ' he'), female = tokenizer.encode(opts.female ?? ' she');
  const hint = 'use the tokenizer the model was trained with';
  checkTokenIds([...male, ...female], model.config.vocabSize, { code: 'E_EVAL', where: 'tokenizer', hint });
  const rows: GapRow[] = occupations.map((o) => {
    let sum = 0;
    for (const t of templates) {
      const ids = promptIds(tokenizer, t.replaceAll('{occupation}', o.word));
      checkTokenIds(ids, model.config.vocabSize, { code: 'E_EVAL', where: 'tokenizer', hint });
      sum += continuationLogprob(model, ids, male) - continuationLogprob(model, ids, female);
    }
    return { occupation: o.word, direction: o.direction, gap: sum / templates.length };
  });
  const gaps = rows.map((r) => r.gap);
  return {
    rows, templates,
    meanAbsGap: gaps.reduce((a, g) => a + Math.abs(g), 0) / gaps.length,
    meanGap: gaps.reduce((a, g) => a + g, 0) / gaps.length,
    correlation: pearson(gaps, rows.map((r) => r.direction)),
    continuationTokens: { male: male.length, female: female.length },
  };
}

/**
 * Numeric command-line flags, parsed and checked one way for every `llmts` command: the
 * value or its default, and otherwise an E_FLAG error that names the flag, says what it
 * needs and shows the value given.
 *
 * @example
 * const steps = numberFlag(values.steps, '--steps', 100, { int: true, min: 1 });
 * // --steps many -> "--steps must be an integer >= 1, got 'many'"
 */
import { LlmtsError } from '../util/errors.ts';

/** What a numeric flag accepts; every field is optional (default: any finite number). */
export interface NumberRule {
  /** Whole numbers only. */
  int?: boolean;
  /** Smallest value allowed. */
  min?: number;
  /** Largest value allowed. */
  max?: number;
  /** min itself is not allowed: (min, ... */
  minExclusive?: boolean;
  /** max itself is not allowed: ..., max) */
  maxExclusive?: boolean;
}

/** The rule in words: "an integer >= 1", "a number in [0, 1)", "a number". */
function describe(rule: NumberRule): string {
  const kind = rule.int ? 'an integer' : 'a number';
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) {
    return `${kind} in ${rule.minExclusive ? '(' : '['}${min}, ${max}${rule.maxExclusive ? ')' : ']'}`;
  }
  if (min !== undefined) return `${kind} ${rule.minExclusive ? '>' : '>='} ${min}`;
  if (max !== undefined) return `${kind} ${rule.maxExclusive ? '<' : '<='} ${max}`;
  return kind;
}

function accepts(x: number, rule: NumberRule): boolean {
  if (!Number.isFinite(x) || (rule.int && !Number.isInteger(x))) return false;
  if (rule.min !== undefined && (rule.minExclusive ? x <= rule.min : x < rule.min)) return false;
  if (rule.max !== undefined && (rule.maxExclusive ? x >= rule.max : x > rule.max)) return false;
  return true;
}

/**
 * The value of a numeric flag (as parseArgs gives it: a string, or undefined when absent):
 * `fallback` when absent; the number when it follows `rule`; otherwise an E_FLAG
 * LlmtsError naming the flag.
 * @example numberFlag('0.5', '--top-p', 1, { min: 0, max: 1 }) // 0.5
 */
export function numberFlag<F extends number | undefined>(v: unknown, flag: string, fallback: F, rule: NumberRule = {}): number | F {
  if (v === undefined) return fallback;
  const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!accepts(x, rule)) {
    const example = fallback ?? rule.min ?? 1;
    throw new LlmtsError('E_FLAG', `${flag} must be ${describe(rule)}, got '${String(v)}'`, { where: flag, hint: `e.g. ${flag} ${example}` });
  }
  return x;
}

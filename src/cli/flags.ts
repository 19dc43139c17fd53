/**
 * Command-line flags, parsed and checked one way for every `llmts` command:
 * - `parseFlags`: node's `util.parseArgs` (strict), whose errors (an unknown flag, a
 *   missing value, a stray argument) become one E_FLAG error naming the command and its
 *   --help; a negative number after a flag (`--max-tokens -3`) is that flag's value, so
 *   that numberFlag can say what the flag accepts;
 * - `numberFlag`: a numeric flag's value or its default, and otherwise an E_FLAG error
 *   that names the flag, says what it needs and shows the value given.
 *
 * @example
 * const { values } = parseFlags('generate', argv, { steps: { type: 'string' } });
 * const steps = numberFlag(values.steps, '--steps', 100, { int: true, min: 1 });
 * // --steps many -> "--steps must be an integer >= 1, got 'many'"
 * // --stpes 5    -> "unknown flag '--stpes' (did you mean --steps?) (at llmts generate) - fix: run `llmts generate --help` ..."
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LlmtsError } from '../util/errors.ts';

/** The flags of one command, as `util.parseArgs` takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** What `parseFlags` returns: typed `values` (strings, booleans, string arrays) and the positionals. */
export type ParsedFlags<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>>;

/** A value that is a negative or dotted number ('-3', '-0.5', '-.5', '-1e-3'), not a flag. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** Joins `--flag -3` into `--flag=-3` for the string flags of `options` (parseArgs refuses the first form as ambiguous). */
function joinNegativeValues(argv: readonly string[], options: FlagOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return out.concat(argv.slice(i));
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Edit distance of two short strings (for "did you mean"). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

/** One line saying what parseArgs refused. */
function describeParseError(err: Error, code: string, options: FlagOptions): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = quoted.replace(/^-+/, '').split('=')[0]!;
      const near = Object.keys(options).filter((o) => editDistance(o, name) <= 2).sort((x, y) => editDistance(x, name) - editDistance(y, name))[0];
      return `unknown flag '${quoted}'${near ? ` (did you mean --${near}?)` : ''}`;
    }
    default: // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: "Option '--model <value>' argument missing", "... argument is ambiguous", ...
      return err.message.split('\n')[0]!.replace(/^Option /, 'flag ').replace(/\.$/, '');
  }
}

/**
 * Parses `argv` of `llmts <command>` with `util.parseArgs` (strict: unknown flags are errors).
 * Positionals are refused unless `allowPositionals`. Throws E_FLAG (one line, naming the
 * command and pointing at its --help) for anything parseArgs refuses.
 * @example parseFlags('eval', ['--file', 'a.txt'], { file: { type: 'string' } }).values.file // 'a.txt'
 */
export function parseFlags<const O extends FlagOptions>(command: string, argv: readonly string[], options: O,
  opts: { allowPositionals?: boolean } = {}): ParsedFlags<O> {
  const flagError = (message: string): LlmtsError =>
    new LlmtsError('E_FLAG', message, { where: `llmts ${command}`, hint: `run \`llmts ${command} --help\` for its flags` });
  let r: ParsedFlags<O>;
  try {
    r = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    throw flagError(describeParseError(err, code, options));
  }
  if (!opts.allowPositionals && r.positionals.length > 0) throw flagError(`unexpected argument '${r.positionals[0]}': this command takes only --flags`);
  return r;
}

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

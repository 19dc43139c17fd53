/**
 * The one error type for user-facing mistakes: a stable code, the file or field at
 * fault, and a hint that says how to fix it.
 *
 * @example
 * throw new LlmtsError('E_SHAPE', 'matmul inner dims differ: (2,3) @ (4,5)', {
 *   where: 'matmul', hint: 'the last dim of a must equal the first dim of b' });
 */
export class LlmtsError extends Error {
  readonly code: string;
  readonly where?: string;
  readonly hint?: string;

  constructor(code: string, message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    const parts = [message];
    if (opts.where) parts.push(`(at ${opts.where})`);
    if (opts.hint) parts.push(`- fix: ${opts.hint}`);
    super(parts.join(' '), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LlmtsError';
    this.code = code;
    this.where = opts.where;
    this.hint = opts.hint;
  }
}

/** Throws an `LlmtsError` with `code` and `message` when `cond` is false. */
export function check(cond: unknown, code: string, message: string, opts: { where?: string; hint?: string } = {}): asserts cond {
  if (!cond) throw new LlmtsError(code, message, opts);
}

/** `llmts data`: placeholder while the command is being built (replaced by its owner). */
import { LlmtsError } from '../util/errors.ts';

export async function run(_argv: string[]): Promise<number> {
  throw new LlmtsError('E_UNAVAILABLE', 'llmts data is not built yet');
}

/**
 * `llmts data stats [options] INPUTS...`: runs the data pipeline without writing
 * anything and prints its statistics (the report `prepare` would write).
 */
import { corpusStats } from '../data/prepare.ts';
import { formatSummary } from '../data/report.ts';
import { LlmtsError } from '../util/errors.ts';
import { PIPELINE_FLAGS, PIPELINE_HELP, pipelineOptions, warnSkipped } from './data-prepare.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts data stats [options] INPUTS...

Runs the same ingest, cleaning, filters and deduplication as \`llmts data prepare\` on files,
folders and globs, writes nothing, and prints the statistics: documents and bytes, drops per
reason with examples, duplicate clusters, the language mix, bad input with file and line.

${PIPELINE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data stats', argv, PIPELINE_FLAGS, { allowPositionals: true });
  if (values.help) { console.log(HELP); return 0; }
  if (positionals.length === 0) throw new LlmtsError('E_FLAG', 'no inputs given', { where: 'INPUTS', hint: 'list files, folders or globs after the options' });
  const report = await corpusStats(positionals, { ...pipelineOptions(values), progress: true, onSkipped: warnSkipped });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatSummary(report));
  return 0;
}

/**
 * `llmts data`: corpus preparation. Each subcommand lives in its own file
 * (data-<name>.ts, exporting `run(argv)`); this file only dispatches.
 *
 *   llmts data prepare --out clean/ raw/ extra/*.jsonl.gz
 *   llmts data stats raw/
 */
import { LlmtsError } from '../util/errors.ts';

interface Subcommand {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  prepare: { summary: 'ingest, clean, filter, deduplicate and split text into JSONL/Parquet shards + report.json', load: () => import('./data-prepare.ts') },
  stats: { summary: 'the same statistics as prepare (drops, duplicates, languages), writing nothing', load: () => import('./data-stats.ts') },
  tokenize: { summary: 'text/JSONL files -> token shards (.bin) + meta.json, deterministic train/val split', load: () => import('./data-tokenize.ts') },
};

function usage(): string {
  const lines = ['usage: llmts data <subcommand> [options]', '', 'subcommands:'];
  for (const [name, s] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(10)} ${s.summary}`);
  lines.push('', 'Run `llmts data <subcommand> --help` for its options.');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) throw new LlmtsError('E_FLAG', `unknown subcommand 'data ${name}'`, { where: 'llmts data', hint: `use one of ${Object.keys(SUBCOMMANDS).join(', ')}` });
  return (await sub.load()).run(rest);
}

/**
 * `npm run bench -- fuzz [--seconds 20] [--seed 1] [--parser NAME ...] [--index I] [--threads 2]`
 *
 * The long fuzz run: every parser of user input (test/fuzz/targets.ts) gets mutated inputs
 * for `--seconds` each (the test suite runs a fixed, smaller number). Prints inputs per
 * parser, the errors by type (expected `LlmtsError`s by code, and every other exception),
 * and each distinct finding with its seed/index, stack top and how the input was made.
 * `--parser NAME --index I` makes and runs that one input again, printing it.
 * Exits 1 when there are findings.
 */
import { parseArgs } from 'node:util';
import { describeFinding, runFuzz, type FuzzReport } from '../test/fuzz/runner.ts';
import { FUZZ_TARGETS } from '../test/fuzz/targets.ts';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

function addInto(total: Record<string, number>, part: Record<string, number>): void {
  for (const [k, v] of Object.entries(part)) total[k] = (total[k] ?? 0) + v;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      parser: { type: 'string', multiple: true },
      index: { type: 'string' },
      threads: { type: 'string', default: '2' },
    },
  });
  const parsers = values.parser ?? FUZZ_TARGETS.map((t) => t.name);
  const seed = Number(values.seed);
  const only = values.index === undefined ? undefined : Number(values.index);
  const seconds = only === undefined ? Number(values.seconds) : undefined;
  console.log(only === undefined
    ? `fuzz: ${parsers.length} parsers, ${seconds} s each, seed ${seed}, ${values.threads} at a time`
    : `fuzz: input ${only} of ${parsers.join(', ')}, seed ${seed}`);
  const reports: FuzzReport[] = await runFuzz(parsers, { seed, seconds, only, concurrency: Number(values.threads) });

  const rows = [['parser', 'inputs', 'inputs/s', 'loaded', 'LlmtsError', 'other', 'findings']];
  for (const r of reports) {
    const expected = Object.values(r.expected).reduce((a, b) => a + b, 0);
    const other = Object.values(r.unexpected).reduce((a, b) => a + b, 0);
    rows.push([r.parser, String(r.inputs), (r.inputs / r.seconds).toFixed(0), String(r.ok), String(expected), String(other), String(r.findings.length)]);
  }
  console.log(`\n${table(rows)}`);

  const expected: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  for (const r of reports) {
    addInto(expected, r.expected);
    addInto(unexpected, r.unexpected);
  }
  const byType = [['exception', 'count'],
    ...Object.entries(unexpected).sort((a, b) => b[1] - a[1]).map(([k, v]) => [`${k} (finding)`, String(v)]),
    ...Object.entries(expected).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])];
  console.log(`\nexceptions by type (all parsers)\n${table(byType)}`);

  const findings = reports.flatMap((r) => r.findings);
  if (findings.length > 0) {
    console.log(`\n${findings.length} distinct findings:`);
    for (const f of findings) console.log(describeFinding(f));
    process.exitCode = 1;
  } else console.log('\nno findings');
}

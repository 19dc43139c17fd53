/**
 * The metrics.jsonl format of a run directory: one JSON object per line, a `step` and a
 * `kind` ('train' or 'eval') plus numbers (or strings, such as "NaN"). The trainer writes
 * it (src/train/metrics.ts); the dashboard reads it (src/serve/metrics-tail.ts). Both sides
 * parse lines here, so the format is defined once, in a layer both may import.
 *
 * @example
 * parseMetricLine('{"step":10,"kind":"train","loss":2.5}'); // { step: 10, kind: 'train', loss: 2.5 }
 * readMetrics('runs/x');                                     // every record, in order
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One record of metrics.jsonl. */
export interface MetricRecord {
  step: number;
  kind: 'train' | 'eval';
  [key: string]: number | string | null;
}

/** One line of metrics.jsonl as a record; null for a blank line or one cut by a kill -9 during the write. */
export function parseMetricLine(line: string): MetricRecord | null {
  if (!line.trim()) return null;
  try {
    return JSON.parse(line) as MetricRecord;
  } catch {
    return null;
  }
}

/** Reads `<runDir>/metrics.jsonl` (missing file: no records; a torn last line is skipped). */
export function readMetrics(runDir: string): MetricRecord[] {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const out: MetricRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const r = parseMetricLine(line);
    if (r) out.push(r);
  }
  return out;
}

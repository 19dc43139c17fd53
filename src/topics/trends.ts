/**
 * Topic shares over time: documents bucketed by period (month, year or decade of their
 * date), and in each period the share of its documents in each topic. `auto` picks decades
 * for a span over 30 years, years for a span over 2, else months.
 *
 * @example
 * topicTrends([{ year: 1991 }, { year: 2003 }], [0, 1], 2, 'decade')
 * // { period: 'decade', rows: [{ period: '1990s', counts: [1, 0], shares: [1, 0] }, { period: '2000s', ... }] }
 */
import type { DocDate } from './corpus.ts';

/** How dates are bucketed. */
export type TrendPeriod = 'month' | 'year' | 'decade';

/** The topics' shares in one period. */
export interface TrendRow {
  period: string;
  /** (k) documents of each topic in the period. */
  counts: number[];
  /** (k) counts / the period's documents. */
  shares: number[];
}

/** Shares of each topic per period, periods in time order. */
export interface Trends {
  period: TrendPeriod;
  rows: TrendRow[];
}

/** The period `auto` chooses for these dates (see the module comment). */
export function autoPeriod(dates: readonly DocDate[]): TrendPeriod {
  const years = dates.map((d) => d.year);
  const span = Math.max(...years) - Math.min(...years);
  if (span > 30) return 'decade';
  if (span > 2 || dates.some((d) => d.month === undefined)) return 'year';
  return 'month';
}

/** The bucket of a date: a sort key and its label. */
function bucket(d: DocDate, p: TrendPeriod): { key: number; label: string } {
  if (p === 'decade') {
    const y = Math.floor(d.year / 10) * 10;
    return { key: y * 12, label: `${y}s` };
  }
  if (p === 'year' || d.month === undefined) return { key: d.year * 12, label: String(d.year) };
  return { key: d.year * 12 + d.month - 1, label: `${d.year}-${String(d.month).padStart(2, '0')}` };
}

/** The share of each of `k` topics per period over documents with these dates and topic labels. */
export function topicTrends(dates: readonly DocDate[], labels: ArrayLike<number>, k: number, period: TrendPeriod | 'auto' = 'auto'): Trends {
  const p = period === 'auto' ? autoPeriod(dates) : period;
  const rows = new Map<number, { label: string; counts: number[] }>();
  dates.forEach((d, i) => {
    const b = bucket(d, p);
    if (!rows.has(b.key)) rows.set(b.key, { label: b.label, counts: new Array<number>(k).fill(0) });
    rows.get(b.key)!.counts[labels[i]!]!++;
  });
  return {
    period: p,
    rows: [...rows].sort((a, b) => a[0] - b[0]).map(([, r]) => {
      const total = r.counts.reduce((a, b) => a + b, 0);
      return { period: r.label, counts: r.counts, shares: r.counts.map((c) => c / total) };
    }),
  };
}

/**
 * Run metrics: `metrics.jsonl` (one JSON object per logged step or evaluation) and
 * `loss.html`, a self-contained page with an SVG plot of training and validation loss
 * (no scripts, no network).
 *
 * @example
 * const log = new MetricsLog('runs/x', { resumeStep: 0 });
 * log.write({ step: 10, kind: 'train', loss: 2.5, lr: 1e-3 });
 * writeLossPlot('runs/x', 'shakespeare-char');
 */
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetrics, type MetricRecord } from '../io/metrics-file.ts';

export { readMetrics, type MetricRecord };

export class MetricsLog {
  readonly path: string;

  /** Opens `<runDir>/metrics.jsonl`; records after `resumeStep` (from an interrupted run) are dropped. */
  constructor(runDir: string, o: { resumeStep: number }) {
    this.path = join(runDir, 'metrics.jsonl');
    const kept = o.resumeStep > 0 ? readMetrics(runDir).filter((r) => r.step <= o.resumeStep) : [];
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    renameSync(tmp, this.path);
  }

  write(r: MetricRecord): void {
    appendFileSync(this.path, JSON.stringify(r) + '\n');
  }
}

function polyline(points: [number, number][], color: string, sx: (x: number) => number, sy: (y: number) => number, dots: boolean): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
  const line = `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${d}"/>`;
  const marks = dots ? points.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"><title>step ${x}: ${y.toFixed(4)}</title></circle>`).join('') : '';
  return line + marks;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Writes `<runDir>/loss.html` from metrics.jsonl: train loss (line) and val loss (dots). */
export function writeLossPlot(runDir: string, title: string): void {
  const recs = readMetrics(runDir);
  const train = recs.filter((r) => r.kind === 'train' && typeof r.loss === 'number').map((r) => [r.step, r.loss as number] as [number, number]);
  const val = recs.filter((r) => r.kind === 'eval' && typeof r.valLoss === 'number').map((r) => [r.step, r.valLoss as number] as [number, number]);
  const all = [...train, ...val];
  const W = 760, H = 420, L = 60, R = 20, T = 30, Bm = 50;
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const yMin = ys.length ? Math.min(...ys) : 0, yMax = ys.length ? Math.max(...ys) : 1;
  const pad = (yMax - yMin) * 0.05 || 0.5;
  const lo = yMin - pad, hi = yMax + pad;
  const sx = (x: number) => L + (x / xMax) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - lo) / (hi - lo)) * (H - T - Bm);
  const ticks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = lo + ((hi - lo) * i) / 5, x = Math.round((xMax * i) / 5);
    ticks.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${y.toFixed(2)}</text>`,
      `<text x="${sx(x).toFixed(1)}" y="${H - Bm + 18}" text-anchor="middle">${x}</text>`);
  }
  const last = val.length ? `final val loss ${val[val.length - 1]![1].toFixed(4)}` : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
${ticks.join('\n')}
<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - Bm}" fill="none" stroke="#999"/>
${polyline(train, '#1f77b4', sx, sy, false)}
${polyline(val, '#d62728', sx, sy, true)}
<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">step</text>
<text x="${L + 10}" y="${T - 10}" fill="#1f77b4">train loss</text><text x="${L + 90}" y="${T - 10}" fill="#d62728">val loss</text>
</svg>`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)} loss</title></head>
<body style="font-family: sans-serif">
<h2>${escapeHtml(title)}</h2>
<p>${train.length} logged steps, ${val.length} evaluations. ${last}</p>
${svg}
</body></html>
`;
  const path = join(runDir, 'loss.html');
  writeFileSync(`${path}.tmp-${process.pid}`, html);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

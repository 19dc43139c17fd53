/**
 * The topics report page (`llmts topics --out DIR` writes DIR/topics.html): one
 * self-contained HTML file, no script, plain SVG (as train's loss.html):
 * - the topic map: each document a dot at its 2-D coordinates, coloured by topic, with its
 *   source and topic in the dot's tooltip (at most MAX_DOTS dots: an even sample of larger
 *   collections, said under the map);
 * - the trend chart (with dates): each topic's share of the documents per period;
 * - the topic table: size, share, coherence, words and representative documents.
 *
 * @example
 * writeFileAtomic('out/topics.html', (put) => put(topicsHtml(result, 'news')));
 */
import type { TopicsResult } from './fit.ts';

/** Most dots drawn on the map. */
export const MAX_DOTS = 5000;

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The colour of topic `t` (Tableau 10, then hues spaced by the golden angle). */
export function topicColour(t: number): string {
  return t < PALETTE.length ? PALETTE[t]! : `hsl(${Math.round((t * 137.508) % 360)}, 55%, 50%)`;
}

/** Text made safe inside HTML elements and attributes. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A topic's colour: the outlier topic grey, the others by number. */
function colourOf(r: TopicsResult, t: number): string {
  return r.topics[t]!.outlier ? '#999999' : topicColour(t);
}

/** A topic's short name: its first four words ("outliers" for the outlier topic). */
function topicName(r: TopicsResult, t: number): string {
  return `${r.topics[t]!.outlier ? 'outliers' : t}: ${r.topics[t]!.words.slice(0, 4).map((w) => w.word).join(', ') || '(no words)'}`;
}

/** The scatter of documents on the topic map. */
function mapSvg(r: TopicsResult): string {
  const W = 640, H = 420, pad = 16;
  const step = Math.max(1, Math.ceil(r.docs.length / MAX_DOTS));
  const shown = r.docs.filter((_, i) => i % step === 0);
  const xs = shown.map((d) => d.x), ys = shown.map((d) => d.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number): number => pad + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (y: number): number => H - pad - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const dots = shown.map((d) => `<circle class="doc" data-topic="${d.topic}" cx="${sx(d.x).toFixed(1)}" cy="${sy(d.y).toFixed(1)}" r="3" fill="${colourOf(r, d.topic)}" fill-opacity="0.7"><title>${esc(`${d.source} - topic ${topicName(r, d.topic)}`)}</title></circle>`);
  const note = step > 1 ? `<p class="note">${shown.length} of ${r.docs.length} documents drawn (one in ${step}).</p>` : '';
  return `<svg id="topic-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="topic map">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fafafa" stroke="#ccc"/>
${dots.join('\n')}
</svg>${note}`;
}

/** The share of each topic per period, one line per topic. */
function trendSvg(r: TopicsResult): string {
  const rows = r.trends!.rows;
  const W = 640, H = 300, left = 44, right = 12, top = 12, bottom = 48;
  const px = (i: number): number => left + (rows.length === 1 ? (W - left - right) / 2 : (i / (rows.length - 1)) * (W - left - right));
  const py = (v: number): number => top + (1 - v) * (H - top - bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => `<line x1="${left}" x2="${W - right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/><text x="${left - 6}" y="${py(v) + 4}" text-anchor="end">${Math.round(v * 100)}%</text>`);
  const every = Math.max(1, Math.ceil(rows.length / 12));
  const ticks = rows.flatMap((row, i) => (i % every === 0 ? [`<text x="${px(i)}" y="${H - bottom + 16}" text-anchor="middle">${esc(row.period)}</text>`] : []));
  const lines = r.topics.map((t) => {
    const pts = rows.map((row, i) => `${px(i).toFixed(1)},${py(row.shares[t.id]!).toFixed(1)}`).join(' ');
    return `<polyline class="trend" data-topic="${t.id}" points="${pts}" fill="none" stroke="${colourOf(r, t.id)}" stroke-width="2"><title>${esc(topicName(r, t.id))}</title></polyline>`;
  });
  return `<svg id="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" role="img" aria-label="topic shares by ${r.trends!.period}">
${grid.join('\n')}
${ticks.join('\n')}
${lines.join('\n')}
<text x="${(W + left) / 2}" y="${H - 8}" text-anchor="middle">${r.trends!.period}</text>
</svg>`;
}

/** The whole report page for `r`, titled `title`. */
export function topicsHtml(r: TopicsResult, title: string): string {
  const legend = r.topics.map((t) => `<li class="legend-item"><span class="swatch" style="background:${colourOf(r, t.id)}"></span>${esc(topicName(r, t.id))} (${t.size})</li>`);
  const table = r.topics.map((t) => `<tr class="topic-row"><td>${t.outlier ? 'outliers' : t.id}</td><td>${t.size}</td><td>${(t.share * 100).toFixed(1)}%</td><td>${t.coherence.toFixed(3)}</td><td>${esc(t.words.map((w) => w.word).join(', '))}</td><td>${t.representatives.map((d) => `<div class="rep">${esc(d.text.length > 300 ? `${d.text.slice(0, 300)}...` : d.text)}</div>`).join('')}</td></tr>`);
  const trends = r.trends ? `<h2>Topic shares by ${r.trends.period}</h2>\n${trendSvg(r)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}: topics</title>
<style>
body { font-family: sans-serif; margin: 1rem; max-width: 100%; }
svg { max-width: 100%; height: auto; display: block; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { border: 1px solid #ddd; padding: 0.3rem; vertical-align: top; overflow-wrap: anywhere; }
.rep { font-size: 0.85em; margin-bottom: 0.3rem; }
.note { color: #666; font-size: 0.85em; }
</style></head>
<body>
<h1>${esc(title)}: ${r.k} topics in ${r.documents} documents${r.outliers > 0 ? ` (${r.outliers} outliers)` : ''}</h1>
<p>Mean NPMI coherence ${r.coherence.toFixed(3)}; vocabulary ${r.vocabularySize} words; embeddings reduced to ${r.dims} dimensions.</p>
<h2>Topic map</h2>
${mapSvg(r)}
<ul class="legend">${legend.join('')}</ul>
${trends}
<h2>Topics</h2>
<table><thead><tr><th style="width:3em">topic</th><th style="width:4em">docs</th><th style="width:4em">share</th><th style="width:5em">NPMI</th><th>words</th><th>representative documents</th></tr></thead>
<tbody>${table.join('\n')}</tbody></table>
</body></html>
`;
}

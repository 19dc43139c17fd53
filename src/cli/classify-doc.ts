/**
 * `llmts classify-doc`: the label of whole documents (each --file is one document, e.g.
 * an e-mail) from a HAN-family model written by `llmts train-han`, with `--explain` the
 * sentence and word attention weights behind it, and `--html F` a page showing them as
 * highlights.
 *
 *   llmts classify-doc --model runs/spam --file mail.eml --email --explain [--html report.html] [--json]
 */
import { readFileSync } from 'node:fs';
import { loadHanModel } from '../io/han-model-dir.ts';
import { classifyDocument, type DocumentLabel } from '../models/han/index.ts';
import { emailBody } from '../train/han-data.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts classify-doc --model DIR (--file F ... | --text TEXT ...) [--email] [--explain] [--html F] [--json]

The label of each document and the probability of each label, from a hierarchical
attention network (or its mean-pooled baseline) written by llmts train-han. A document
is cut into sentences and words as in training; only the first sentences the model was
trained to read are used.

options:
  --model DIR    the model directory (required)
  --file F       a document: the whole file (repeatable)
  --text TEXT    a document given on the command line (repeatable)
  --email        the files are raw e-mails: drop the headers and MIME part scaffolding
                 first, as training did
  --explain      the attention weights: each sentence's weight and, within it, each word's
  --html F       write the documents with their sentences and words highlighted by weight
  --json         one JSON object per document and line: source, label, id, score,
                 probabilities, and with --explain or --html the attention
  -h, --help     this help`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The text block of one result. */
function textBlock(source: string, r: DocumentLabel): string {
  const lines = [`${r.label} (${r.id})  ${source}`];
  for (const s of r.scores) lines.push(`  ${s.label.padEnd(14)} ${s.score.toFixed(3)}`);
  if (r.attention) {
    lines.push('  attention (sentence weight | each word with its weight in the sentence):');
    for (const s of r.attention.sentences) lines.push(`  ${s.weight.toFixed(3)} | ${s.words.map((w) => `${w.text}(${w.weight.toFixed(2)})`).join(' ')}`);
  }
  return lines.join('\n');
}

/** An HTML page: sentences shaded by their weight, words by theirs (relative to the largest). */
export function attentionHtml(results: readonly { source: string; r: DocumentLabel }[]): string {
  const body = results.map(({ source, r }) => {
    const sents = r.attention?.sentences ?? [];
    const maxS = Math.max(1e-9, ...sents.map((s) => s.weight));
    const rows = sents.map((s) => {
      const maxW = Math.max(1e-9, ...s.words.map((w) => w.weight));
      const words = s.words.map((w) => `<span style="background: rgba(255, 120, 0, ${(w.weight / maxW).toFixed(3)})" title="${w.weight.toFixed(4)}">${escapeHtml(w.text)}</span>`).join(' ');
      return `<p><span class="s" style="background: rgba(0, 90, 255, ${(s.weight / maxS).toFixed(3)})" title="${s.weight.toFixed(4)}">${s.weight.toFixed(3)}</span> ${words}</p>`;
    }).join('\n');
    return `<section><h2>${escapeHtml(source)}: ${escapeHtml(r.label)} (${r.score.toFixed(3)})</h2>\n${rows}</section>`;
  }).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>llmts classify-doc</title>
<style>body { font: 15px/1.7 system-ui, sans-serif; max-width: 60em; margin: 2em auto; } .s { display: inline-block; min-width: 3.5em; color: #fff; text-align: center; margin-right: .5em; } span { border-radius: 3px; padding: 0 2px; }</style>
</head><body><h1>Attention weights</h1><p>Blue: sentence weight (relative to the document's largest); orange: word weight within its sentence (relative to the sentence's largest). Hover for the values.</p>
${body}
</body></html>\n`;
}

/** Runs `llmts classify-doc`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('classify-doc', argv, {
    model: { type: 'string' }, file: { type: 'string', multiple: true }, text: { type: 'string', multiple: true }, email: { type: 'boolean' },
    explain: { type: 'boolean' }, html: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts classify-doc needs --model', { where: '--model', hint: 'pass a directory written by llmts train-han --out' });
  const docs: { source: string; text: string }[] = [];
  for (const f of values.file ?? []) {
    let raw: string;
    try {
      raw = readFileSync(f, 'latin1');
    } catch (e) {
      throw new LlmtsError('E_INPUT', `cannot read ${f}: ${(e as Error).message}`, { where: f, hint: 'give a readable file' });
    }
    docs.push({ source: f, text: values.email ? emailBody(raw) : raw });
  }
  (values.text ?? []).forEach((t, i) => docs.push({ source: `--text ${i + 1}`, text: t }));
  if (docs.length === 0) throw new LlmtsError('E_USAGE', 'llmts classify-doc needs --file or --text', { where: '--file', hint: 'e.g. --file mail.eml --email' });
  const m = loadHanModel(values.model);
  const explain = values.explain === true || values.html !== undefined;
  if (explain && m.config.arch !== 'han') {
    throw new LlmtsError('E_MODEL', `${values.model} is a ${m.config.arch} model, which has no attention weights`, { where: values.model, hint: 'leave out --explain / --html, or give a han model' });
  }
  const results = docs.map((d) => ({ source: d.source, r: classifyDocument(m.model, m.wordId, m.labels, m.document, d.text, explain, d.source) }));
  for (const { source, r } of results) {
    if (values.json) {
      const line: Record<string, unknown> = { source, label: r.label, id: r.id, score: r.score, probabilities: Object.fromEntries(r.scores.map((s) => [s.label, s.score])) };
      if (r.attention) line.attention = r.attention;
      console.log(JSON.stringify(line));
    } else {
      console.log(textBlock(source, values.explain ? r : { ...r, attention: null }));
    }
  }
  if (values.html !== undefined) {
    const page = attentionHtml(results);
    writeFileAtomic(values.html, (put) => put(page));
    if (!values.json) console.log(`wrote ${values.html}`);
  }
  return 0;
}

/**
 * Planted near-duplicates for the dedup tests and the data benchmark: distinct
 * documents cut from real texts, and variants of them with a given fraction of words
 * edited (substituted, deleted or inserted) or a header / footer line added.
 *
 * Edits come in one of three layouts:
 * - 'passage': the edited words form one contiguous run (a sentence rewritten);
 * - 'phrases': runs of 1 to 8 words (several phrases rewritten);
 * - 'scattered': each word edited on its own (typos, word swaps all over).
 * With 5-word shingles an isolated edit breaks 5 shingles, so the true Jaccard
 * similarity of a variant depends on the layout as much as on the rate: on 200-word
 * documents, 5% edited gives about 0.87 as a passage, 0.82 as phrases and 0.64
 * scattered (the last is below the 0.8 threshold: not a near-duplicate by definition).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/util/rng.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Words of the bundled real texts: tinyshakespeare, TinyStories sample, The Verdict. */
export function sourceWords(): string[][] {
  return [
    readFileSync(`${ROOT}data/tinyshakespeare/input.txt`, 'utf8'),
    readFileSync(`${ROOT}test/fixtures/data-texts/tinystories-head.txt`, 'utf8'),
    readFileSync(`${ROOT}test/fixtures/data-texts/the-verdict.txt`, 'utf8'),
  ].map((t) => t.split(/\s+/).filter(Boolean));
}

/** `n` distinct documents of `words` words: non-overlapping windows of the sources, in turn. */
export function originals(n: number, words = 200): string[] {
  const src = sourceWords();
  const at = src.map(() => 0);
  const out: string[] = [];
  for (let k = 0; out.length < n; k++) {
    const s = k % src.length;
    if (at[s]! + words > src[s]!.length) {
      if (at.every((a, i) => a + words > src[i]!.length)) throw new Error(`only ${out.length} distinct documents of ${words} words`);
      continue;
    }
    const doc = src[s]!.slice(at[s]!, at[s]! + words);
    at[s]! += words;
    // Line breaks every 12 words, like prose paragraphs.
    const lines: string[] = [];
    for (let i = 0; i < doc.length; i += 12) lines.push(doc.slice(i, i + 12).join(' '));
    out.push(lines.join('\n'));
  }
  return out;
}

export type EditLayout = 'passage' | 'phrases' | 'scattered';

/** A variant of `doc` with `rate` of its words edited (substituted, deleted or inserted). */
export function editWords(doc: string, rate: number, rng: Rng, layout: EditLayout = 'phrases'): string {
  const lines = doc.split('\n').map((l) => l.split(' '));
  const flat = lines.flat();
  const n = flat.length;
  const budget = Math.max(1, Math.round(rate * n));
  const edit = new Uint8Array(n);
  let marked = 0;
  while (marked < budget) {
    const run = layout === 'passage' ? budget : layout === 'phrases' ? Math.min(budget - marked, 1 + rng.int(8)) : 1;
    const start = rng.int(n - run + 1);
    for (let i = start; i < start + run; i++) if (!edit[i]) { edit[i] = 1; marked++; }
  }
  const vocab = ['river', 'lantern', 'quietly', 'seven', 'garden', 'copper', 'whisper', 'mountain', 'borrowed', 'yellow', 'engine', 'promise'];
  let k = 0;
  return lines.map((ws) => ws.flatMap((w) => {
    if (!edit[k++]) return [w];
    const op = rng.int(3);
    const other = vocab[rng.int(vocab.length)]!;
    if (op === 0) return [other]; // substitute
    if (op === 1) return []; // delete
    return [w, other]; // insert after
  }).join(' ')).join('\n');
}

/** A variant with one line added at the top (header) or the bottom (footer). */
export function addLine(doc: string, where: 'header' | 'footer', rng: Rng): string {
  const lines = [
    'Posted by the editors on a quiet afternoon in the archive section',
    'Share this story with your friends and subscribe to our newsletter today',
    'Copyright the original authors, all rights reserved, reprinted with permission',
  ];
  const line = lines[rng.int(lines.length)]!;
  return where === 'header' ? `${line}\n${doc}` : `${doc}\n${line}`;
}

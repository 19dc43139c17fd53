/**
 * Document cleaning, applied in this order: mojibake repair, Unicode normalisation
 * (NFC by default, NFKC optional), control characters stripped, whitespace and line
 * endings normalised. Invalid UTF-8 is replaced (and counted) earlier, when files are
 * decoded (ingest/text-stream.ts); boilerplate lines are removed in boilerplate.ts.
 *
 * @example
 * const counts = newCleanCounts();
 * cleanText('It\u00e2\u20ac\u2122s\r\n\r\n\r\n\u0007ok  \n', DEFAULT_CLEAN, counts);
 * // "It\u2019s\n\nok"  (counts.mojibake 1, counts.controls 1)
 */

import { fixMojibake } from './mojibake.ts';

/** Which cleaning steps run. */
export interface CleanOptions {
  /** Repair UTF-8-read-as-Windows-1252 sequences such as `â€™`. Default true. */
  mojibake: boolean;
  /** Unicode normalisation form, or 'none'. Default 'NFC'. */
  normalize: 'NFC' | 'NFKC' | 'none';
  /** Strip C0/C1 control characters (tab and newline kept), BOMs and lone surrogates. Default true. */
  controls: boolean;
  /** Normalise line endings and spaces, trim lines, at most one blank line in a row. Default true. */
  whitespace: boolean;
}

export const DEFAULT_CLEAN: CleanOptions = { mojibake: true, normalize: 'NFC', controls: true, whitespace: true };

/** Counters filled by `cleanText` (characters or sequences changed). */
export interface CleanCounts {
  mojibake: number;
  controls: number;
}

export function newCleanCounts(): CleanCounts {
  return { mojibake: 0, controls: 0 };
}

// C0 controls except \t \n \r, DEL, C1 controls, BOM / zero-width no-break space, lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// eslint-disable-next-line no-control-regex -- any code unit above ASCII
const NON_ASCII = /[^\u0000-\u007f]/;
// eslint-disable-next-line no-control-regex -- a cheap pre-check: any control character or surrogate
const MAYBE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\ud800-\udfff]/;
// Typographic and other non-ASCII spaces that become a plain space.
const SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
const HAS_SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/;

/** Cleans one document's text; adds what it changed to `counts`. */
export function cleanText(text: string, opts: CleanOptions, counts: CleanCounts): string {
  // Pure ASCII text has no mojibake and is already in every normalisation form.
  const ascii = !NON_ASCII.test(text);
  if (opts.mojibake && !ascii) {
    const r = fixMojibake(text);
    text = r.text;
    counts.mojibake += r.fixes;
  }
  if (opts.normalize !== 'none' && !ascii) text = text.normalize(opts.normalize);
  if (opts.controls && MAYBE_CONTROLS.test(text)) {
    // \r is kept here so that line endings are normalised below, not deleted.
    text = text.replace(CONTROLS, () => {
      counts.controls++;
      return '';
    });
  }
  if (opts.whitespace) text = normalizeWhitespace(text);
  return text;
}

/**
 * CRLF and CR -> LF, non-ASCII spaces -> ' ', runs of spaces/tabs inside a line -> one
 * space (leading indentation kept), trailing spaces cut, at most one blank line between
 * paragraphs, no blank lines at the start or end.
 */
export function normalizeWhitespace(text: string): string {
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (HAS_SPACES.test(text)) text = text.replace(SPACES, ' ');
  // Each rewrite only when its cheap pre-check finds something to do.
  if (text.includes(' \n') || text.includes('\t\n') || text.endsWith(' ') || text.endsWith('\t')) text = text.replace(/[ \t]+$/gm, ''); // trailing spaces
  if (text.includes('  ') || text.includes('\t')) text = text.replace(/(?<=\S)(?: [ \t]+|\t[ \t]*)(?=\S)/g, ' '); // inner runs; indentation kept
  if (text.includes('\n\n\n')) text = text.replace(/\n{3,}/g, '\n\n');
  if (text.startsWith('\n') || text.endsWith('\n')) text = text.replace(/^\n+|\n+$/g, '');
  return text;
}

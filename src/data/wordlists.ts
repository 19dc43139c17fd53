/**
 * The word lists shipped in data/wordlists/: stop-words per language (language
 * detection) and the default profanity list. Both are plain files, one entry a line.
 *
 * @example
 * loadStopwords(['en', 'fr']);   // { en: [...1298 words], fr: [...] }
 * loadWordListFile('my-list.txt');
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { checkInputFiles } from './ingest/files.ts';
import { fileURLToPath } from 'node:url';
import { LlmtsError } from '../util/errors.ts';
import { parseWordList } from './filters/profanity.ts';

/** data/wordlists/ of this package (two folders up from src/data or dist/data). */
export const WORDLISTS_DIR = fileURLToPath(new URL('../../data/wordlists/', import.meta.url));

/** Language codes that have a stop-word list. */
export function stopwordLanguages(): string[] {
  return readdirSync(`${WORDLISTS_DIR}stopwords`).filter((f) => /^[a-z]{2,3}\.txt$/.test(f)).map((f) => f.slice(0, -4)).sort();
}

/** Stop-word lists for `langs` (every shipped list when omitted). */
export function loadStopwords(langs: string[] = stopwordLanguages()): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of langs) {
    const p = `${WORDLISTS_DIR}stopwords/${l}.txt`;
    if (!existsSync(p)) {
      throw new LlmtsError('E_LANG', `no stop-word list for language '${l}'`, { where: '--lang', hint: `use one of ${stopwordLanguages().join(', ')}, or add data/wordlists/stopwords/${l}.txt` });
    }
    out[l] = parseWordList(readFileSync(p, 'utf8')).map((w) => w.toLowerCase());
  }
  return out;
}

/** The default profanity list (LDNOOBW English). */
export function defaultProfanityList(): string[] {
  return loadWordListFile(`${WORDLISTS_DIR}profanity/en.txt`, '--profanity-list');
}

/** Reads a one-entry-per-line list; `flag` names the option at fault in the error. */
export function loadWordListFile(path: string, flag = 'word list'): string[] {
  checkInputFiles([path], flag);
  try {
    return parseWordList(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_FILE', `cannot read word list ${path}`, { where: flag, hint: 'give a UTF-8 file with one word or phrase per line', cause: err });
  }
}

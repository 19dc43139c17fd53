// Chunking (src/search/chunk.ts): windows of sentences with overlap inside paragraphs, and
// offsets that give each chunk's text back from its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkText, paragraphs, sentences } from '../../src/search/chunk.ts';

const TEXT = 'First one here. Second "quoted." Third!\n\n  New paragraph is here?  And more.\nSame paragraph.';

test('paragraphs split at blank lines; sentences at . ! ? before white space', () => {
  const ps = paragraphs(TEXT);
  assert.deepEqual(ps.map((p) => TEXT.slice(p.start, p.end)), ['First one here. Second "quoted." Third!', 'New paragraph is here?  And more.\nSame paragraph.']);
  assert.deepEqual(sentences(TEXT, ps[0]!).map((s) => TEXT.slice(s.start, s.end)), ['First one here.', 'Second "quoted."', 'Third!']);
  assert.deepEqual(sentences('v1.2 is out', { start: 0, end: 11 }).length, 1, 'no break inside 1.2');
});

test('windows hold at most maxWords, overlap one sentence, never cross a paragraph, and keep offsets', () => {
  const chunks = chunkText(TEXT, 'a.txt', { maxWords: 5, overlap: 1 });
  assert.deepEqual(chunks.map((c) => c.text), [
    'First one here. Second "quoted."', 'Second "quoted." Third!',
    'New paragraph is here?', 'And more.\nSame paragraph.', // a one-sentence window has nothing to repeat
  ]);
  for (const c of chunks) {
    assert.equal(TEXT.slice(c.start, c.end), c.text);
    assert.equal(c.source, 'a.txt');
  }
  const noOverlap = chunkText(TEXT, 'a.txt', { maxWords: 5, overlap: 0 });
  assert.deepEqual(noOverlap.map((c) => c.text), ['First one here. Second "quoted."', 'Third!', 'New paragraph is here?', 'And more.\nSame paragraph.']);
});

test('a sentence over maxWords is cut at word boundaries; empty text gives no chunk; bad options are E_FLAG', () => {
  const long = 'one two three four five six seven';
  assert.deepEqual(chunkText(long, 's', { maxWords: 3, overlap: 1 }).map((c) => c.text), ['one two three', 'four five six', 'seven']);
  assert.deepEqual(chunkText(' \n\n ', 's'), []);
  assert.throws(() => chunkText('a', 's', { maxWords: 0 }), { code: 'E_FLAG' });
  assert.throws(() => chunkText('a', 's', { overlap: -1 }), { code: 'E_FLAG' });
});

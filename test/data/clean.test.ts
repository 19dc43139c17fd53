import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cleanText, DEFAULT_CLEAN, newCleanCounts, normalizeWhitespace } from '../../src/data/clean.ts';
import { fixMojibake } from '../../src/data/mojibake.ts';
import { newPiiCounts, scrubPii } from '../../src/data/pii.ts';
import { CountMinSketch, lineKeys, removeBoilerplate } from '../../src/data/boilerplate.ts';

const FIXTURES = new URL('../fixtures/data-texts/', import.meta.url);

test('mojibake: the real TinyStories cases are repaired and nothing else changes', () => {
  const raw = readFileSync(new URL('tinystories-head.txt', FIXTURES), 'utf8');
  const before = (raw.match(/â€/g) ?? []).length;
  assert.ok(before >= 50, `fixture has mojibake (${before})`);
  const { text, fixes } = fixMojibake(raw);
  assert.equal((text.match(/â€/g) ?? []).length, 0);
  assert.ok(fixes >= before, `${fixes} fixes for ${before} cases`);
  assert.ok(text.includes('\u2019') && text.includes('\u201c'), 'curly quotes restored');
  // Text without mojibake is returned unchanged.
  const clean = readFileSync(new URL('the-verdict.txt', FIXTURES), 'utf8');
  assert.equal(fixMojibake(clean).text, clean);
});

test('mojibake: Latin-1 accents, Windows-1252 punctuation, and look-alikes that are not mojibake', () => {
  assert.equal(fixMojibake('caf\u00c3\u00a9 na\u00c3\u00afve').text, 'café naïve');
  assert.equal(fixMojibake('it\u00e2\u20ac\u2122s \u00e2\u20ac\u201cdash\u00e2\u20ac\u201d').text, 'it\u2019s \u2013dash\u2014');
  assert.equal(fixMojibake('\u00c2\u00a9 2024').text, '\u00a9 2024');
  // The right double quote whose third byte was dropped (as in TinyStories).
  assert.equal(fixMojibake('\u00e2\u20ac\u0153Hi!\u00e2\u20ac he said').text, '\u201cHi!\u201d he said');
  for (const ok of ['Ärger über Öl', 'Señor García', 'Â alone', 'x Ã y']) assert.equal(fixMojibake(ok).text, ok);
});

test('cleanText: NFC by default, NFKC on request, control characters stripped and counted', () => {
  const counts = newCleanCounts();
  const decomposed = 'Cafe\u0301 \ufb01ne';
  assert.equal(cleanText(decomposed, DEFAULT_CLEAN, counts), 'Café \ufb01ne');
  assert.equal(cleanText(decomposed, { ...DEFAULT_CLEAN, normalize: 'NFKC' }, counts), 'Café fine');
  const c2 = newCleanCounts();
  assert.equal(cleanText('a\u0000b\u0007c\u009fd\ufeffe\tf', DEFAULT_CLEAN, c2), 'abcde f');
  assert.equal(c2.controls, 4);
  const c3 = newCleanCounts();
  assert.equal(cleanText('lone \ud800 surrogate', DEFAULT_CLEAN, c3), 'lone surrogate');
  assert.equal(c3.controls, 1);
  const off = { mojibake: false, normalize: 'none' as const, controls: false, whitespace: false };
  assert.equal(cleanText('a\u0000  b\r\n', off, newCleanCounts()), 'a\u0000  b\r\n');
});

test('normalizeWhitespace: line endings, odd spaces, trailing spaces, blank-line runs; indentation kept', () => {
  assert.equal(normalizeWhitespace('\r\n\n  a\u00a0 b  \r\nc\t\t d\r\r\r\n\n\ne   \n\n'), '  a b\nc d\n\ne');
  assert.equal(normalizeWhitespace('def f():\n    return 1'), 'def f():\n    return 1');
});

test('PII: e-mails, phones, IPv4 and IPv6 become placeholders; dates, times, versions stay', () => {
  const c = newPiiCounts();
  const out = scrubPii('Mail jane.doe+x@mail.example.co.uk or call +1 (555) 123-4567, 020 7946 0958 or 555.123.4567. '
    + 'Server 192.168.0.1 and 2001:db8::8a2e:370:7334 / fe80::1.', c);
  assert.equal(out, 'Mail <EMAIL> or call <PHONE>, <PHONE> or <PHONE>. Server <IP> and <IP> / <IP>.');
  assert.deepEqual(c, { email: 1, phone: 3, ip: 3 });
  const keep = 'On 2021-03-04 at 12:30:45 version 1.2.3 cost 1,234.56 in 1990 2000 people; 999.1.1.1; see 10.2307/1234';
  const c2 = newPiiCounts();
  assert.equal(scrubPii(keep, c2), keep);
  assert.deepEqual(c2, { email: 0, phone: 0, ip: 0 });
});

test('boilerplate: lines found in many documents are removed, the rest stays', () => {
  const footer = 'Subscribe to our newsletter for more stories';
  const docs = Array.from({ length: 30 }, (_, i) => `Story number ${i} begins here.\nIt has its own words ${i * 7}.\n${footer}`);
  const cms = new CountMinSketch(1 << 12);
  for (const d of docs) cms.addAll(lineKeys(d));
  const r = removeBoilerplate(docs[3]!, cms, 20);
  assert.equal(r.removed, 1);
  assert.equal(r.text, 'Story number 3 begins here.\nIt has its own words 21.');
  // A line repeated inside one document counts once.
  assert.equal(lineKeys('x\nx\ny').length, 2);
});

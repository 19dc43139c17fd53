/**
 * Repairs mojibake: UTF-8 text that was once decoded as Windows-1252 (or Latin-1), the
 * classic `â€™` for `'` and `Ã©` for `é` (the TinyStories data has real cases). Each run
 * of characters that re-encodes to valid UTF-8 multi-byte sequences is decoded again;
 * a lone `â€` (the right double quote `”` whose third byte, undefined in Windows-1252,
 * was dropped) becomes `”`; everything else is left alone.
 *
 * @example
 * fixMojibake('It\u00e2\u20ac\u2122s caf\u00c3\u00a9').text;   // "It\u2019s caf\u00e9", fixes: 2
 */

/** Windows-1252 bytes 0x80..0x9F as Unicode (undefined bytes map to the C1 control of the same value). */
const CP1252_80_9F = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Unicode code point -> the Windows-1252 byte it came from (0x80..0xFF only). */
const TO_BYTE = new Map<number, number>();
for (let b = 0x80; b <= 0xff; b++) TO_BYTE.set(b < 0xa0 ? CP1252_80_9F[b - 0x80]! : b, b);
// Latin-1 readings of 0x80..0x9F (C1 controls) also map back to their byte.
for (let b = 0x80; b < 0xa0; b++) if (!TO_BYTE.has(b)) TO_BYTE.set(b, b);

/** A lead character (Â..ô = bytes C2..F4) followed by one or more continuation characters. */
const CANDIDATE = /[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]+/g;

/** Expected sequence length from a UTF-8 lead byte (0 when not a multi-byte lead). */
function seqLen(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Decodes one run: repaired text and the number of sequences fixed. */
function repairRun(run: string): { text: string; fixes: number } {
  const cps = Array.from(run, (ch) => ch.codePointAt(0)!);
  let out = '';
  let fixes = 0;
  let i = 0;
  while (i < cps.length) {
    const lead = TO_BYTE.get(cps[i]!) ?? -1;
    const n = seqLen(lead);
    let ok = n > 0 && i + n <= cps.length;
    const bytes = [lead];
    for (let k = 1; ok && k < n; k++) {
      const b = TO_BYTE.get(cps[i + k]!) ?? -1;
      if (b < 0x80 || b > 0xbf) ok = false;
      bytes.push(b);
    }
    if (ok) {
      const decoded = Buffer.from(bytes).toString('utf8');
      if (!decoded.includes('\ufffd')) {
        out += decoded;
        fixes++;
        i += n;
        continue;
      }
    }
    // "â€" + a lost third byte: E2 80 9D (right double quote) where the exporter dropped
    // 0x9D, which Windows-1252 leaves undefined. The other undefined bytes (81, 8D, 8F, 90)
    // would make rare spaces and marks, so a lone "â€" is read as the quote.
    if (lead === 0xe2 && cps[i + 1] === 0x20ac && (i + 2 >= cps.length || (TO_BYTE.get(cps[i + 2]!) ?? 0) < 0x80 || (TO_BYTE.get(cps[i + 2]!) ?? 0) > 0xbf)) {
      out += '\u201d';
      fixes++;
      i += 2;
      continue;
    }
    out += String.fromCodePoint(cps[i]!);
    i++;
  }
  return { text: out, fixes };
}

/** Repairs every mojibake sequence in `text`; `fixes` counts the repaired characters. */
export function fixMojibake(text: string): { text: string; fixes: number } {
  let fixes = 0;
  CANDIDATE.lastIndex = 0;
  if (!CANDIDATE.test(text)) return { text, fixes: 0 };
  CANDIDATE.lastIndex = 0;
  const out = text.replace(CANDIDATE, (run) => {
    const r = repairRun(run);
    fixes += r.fixes;
    return r.text;
  });
  return { text: out, fixes };
}

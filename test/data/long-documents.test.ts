// A document, line or field longer than the reading limit (ReadContext.maxDocChars,
// default MAX_DOC_CHARS = 64 Mi) is bad input with a hint, not a RangeError past V8's
// longest string or unbounded memory: a huge text file read as one document, a file
// without line ends, a --doc-sep that never occurs, a CSV quote left open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { InputFormat } from '../../src/data/ingest/files.ts';
import { jsonlByteBatches } from '../../src/data/ingest/jsonl-batches.ts';
import { readInput, type IngestEvent } from '../../src/data/ingest/readers.ts';
import { MAX_DOC_CHARS, type ReadContext } from '../../src/data/ingest/text-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-long-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function events(name: string, content: string | Uint8Array, format: InputFormat, ctx: ReadContext, docSep?: string): Promise<IngestEvent[]> {
  const path = join(dir, name);
  writeFileSync(path, content);
  const out: IngestEvent[] = [];
  for await (const ev of readInput({ path, format, gzip: name.endsWith('.gz'), size: 0 }, { field: 'text', docSep }, ctx)) out.push(ev);
  return out;
}

const small = (): ReadContext => ({ bytesRead: 0, invalidUtf8: 0, maxDocChars: 1000 });
const bad = (evs: IngestEvent[]) => evs.filter((e) => e.kind === 'bad');

test('text: a file over the limit as one document, or a --doc-sep that never occurs, is bad input with the fix', async () => {
  const whole = await events('big.txt', 'word '.repeat(1000), 'text', small());
  assert.deepEqual(whole, [{ kind: 'bad', loc: 0, reason: "the file, read as one document, is over 1000 characters: split it into documents with --doc-sep (e.g. '\\n\\n') or use JSON lines" }]);
  const fine = await events('fine.txt', 'word '.repeat(100), 'text', small());
  assert.equal(fine.length, 1);
  // pieces under the limit are documents; the text after the last separator is too long
  const sep = await events('sep.txt', `one<|e|>two<|e|>${'x'.repeat(3 << 20)}`, 'text', small(), '<|e|>');
  assert.deepEqual(sep.slice(0, 2).map((e) => e.kind === 'doc' && e.text), ['one', 'two']);
  assert.match((bad(sep)[0] as { reason: string }).reason, /^document 3 \(the text after separator 2\) is over .*: does --doc-sep "<\|e\|>" occur in the file\?/);
});

test('JSON lines, TSV, CSV: a line or field over the limit ends the file as bad input, naming the line', async () => {
  const lines = `{"text":"ok"}\n{"text":"${'y'.repeat(2000)}"}\n`;
  const j = await events('long.jsonl', lines, 'jsonl', small());
  assert.deepEqual(j[0], { kind: 'doc', text: 'ok', html: false, loc: 1 });
  assert.deepEqual(bad(j), [{ kind: 'bad', loc: 2, reason: 'line 2 is over 1000 characters: is the file one record per line?' }]);
  const t = await events('long.tsv', `text\nfine\n${'z'.repeat(2000)}\n`, 'tsv', small());
  assert.equal(bad(t)[0]?.loc, 3);
  // an open quote gathers the rest of the file: stopped once it passes the limit (checked per 1 MiB chunk)
  const c = await events('open.csv', `text\n"never closed ${'q'.repeat(3 << 20)}`, 'csv', small());
  assert.deepEqual(bad(c), [{ kind: 'bad', loc: 2, reason: 'the field starting on line 2 is over 1000 characters: is a quote left open?' }]);
  // the byte batches prepare uses for JSON lines
  const path = join(dir, 'noeol.jsonl');
  writeFileSync(path, `{"text":"a"}\n${'w'.repeat(3 << 20)}`);
  const got = [];
  for await (const b of jsonlByteBatches({ path, format: 'jsonl', gzip: false, size: 0 }, small(), 1 << 16)) got.push('bad' in b ? b.bad : b.firstLine);
  assert.deepEqual(got, [1, { loc: 2, reason: 'line 2 is over 1000 characters: is the file one JSON record per line?' }]);
});

test('the default limit: 64 Mi characters, reached by a small .gz (a "zip bomb") of one document', async () => {
  assert.equal(MAX_DOC_CHARS, 64 << 20);
  const bomb = gzipSync(Buffer.alloc(MAX_DOC_CHARS + (1 << 20), 'word '));
  assert.ok(bomb.length < 1 << 20);
  const evs = await events('bomb.txt.gz', bomb, 'text', { bytesRead: 0, invalidUtf8: 0 });
  assert.deepEqual(evs, [{ kind: 'bad', loc: 0, reason: "the file, read as one document, is over 64 Mi characters: split it into documents with --doc-sep (e.g. '\\n\\n') or use JSON lines" }]);
});

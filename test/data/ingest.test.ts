import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { expandInputs, formatOf, type InputFile } from '../../src/data/ingest/files.ts';
import { readInput, type IngestEvent, type IngestOptions } from '../../src/data/ingest/readers.ts';
import type { ReadContext } from '../../src/data/ingest/text-stream.ts';
import { prepare } from '../../src/data/prepare.ts';
import { DEFAULT_FILTERS } from '../../src/data/filters/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-ingest-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const verdict = readFileSync(new URL('../fixtures/data-texts/the-verdict.txt', import.meta.url), 'utf8');
const paras = verdict.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).slice(0, 6);

function put(name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  return p;
}

async function events(path: string, o: Partial<IngestOptions> = {}): Promise<{ ev: IngestEvent[]; ctx: ReadContext }> {
  const f = formatOf(path);
  const file: InputFile = { path, format: f?.format ?? 'text', gzip: f?.gzip ?? false, size: statSync(path).size };
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  const ev: IngestEvent[] = [];
  for await (const e of readInput(file, { field: 'text', ...o }, ctx)) ev.push(e);
  return { ev, ctx };
}
const texts = (ev: IngestEvent[]) => ev.filter((e) => e.kind === 'doc').map((e) => (e as { text: string }).text);

const jsonl = paras.map((text, i) => JSON.stringify({ id: i, text, meta: { body: text.toUpperCase() } })).join('\n') + '\n';

test('text, markdown and .gz: one document per file, or split at --doc-sep', async () => {
  assert.deepEqual(texts((await events(put('a.txt', verdict))).ev), [verdict]);
  assert.deepEqual(texts((await events(put('a.md', '# Title\n\nBody'))).ev), ['# Title\n\nBody']);
  assert.deepEqual(texts((await events(put('a.txt.gz', gzipSync(verdict)))).ev), [verdict]);
  const sep = (await events(put('b.txt', `one<|endoftext|>two<|endoftext|>  <|endoftext|>three`), { docSep: '<|endoftext|>' })).ev;
  assert.deepEqual(sep.map((e) => [e.kind, (e as { text: string }).text, e.loc]), [['doc', 'one', 1], ['doc', 'two', 2], ['doc', 'three', 4]]);
});

test('HTML: whole file, marked for conversion (html-to-text) by the workers', async () => {
  const { ev } = await events(put('p.html', '<html><body><p>Hello <b>there</b></p></body></html>'));
  assert.equal(ev.length, 1);
  assert.deepEqual([ev[0]!.kind, (ev[0] as { html: boolean }).html], ['doc', true]);
  const { htmlToText } = await import('../../src/data/process.ts');
  const t = htmlToText('<html><head><style>p{}</style><script>x()</script></head><body><nav>Home | About</nav><h1>Title</h1><p>Hello <a href="http://x.y">link</a> and <b>bold</b>.</p><ul><li>one</li><li>two</li></ul></body></html>');
  assert.equal(t.includes('x()') || t.includes('p{}') || t.includes('http') || t.includes('Home'), false, t);
  assert.match(t, /Title/);
  assert.match(t, /Hello link and bold\./);
  assert.match(t, /\* one\n \* two/);
});

test('JSON lines (+ .gz), JSON arrays, dotted fields', async () => {
  assert.deepEqual(texts((await events(put('d.jsonl', jsonl))).ev), paras);
  assert.deepEqual(texts((await events(put('d.jsonl.gz', gzipSync(jsonl)))).ev), paras);
  assert.deepEqual(texts((await events(put('d.jsonl', jsonl), { field: 'meta.body' })).ev), paras.map((p) => p.toUpperCase()));
  assert.deepEqual(texts((await events(put('arr.json', JSON.stringify(paras.map((text) => ({ text })))))).ev), paras);
  assert.deepEqual(texts((await events(put('lines.json', jsonl))).ev), paras);
});

test('CSV (quotes, embedded commas and newlines, CRLF) and TSV (.gz)', async () => {
  const csv = 'id,text,n\r\n1,"Hello, ""world""\nsecond line",5\r\n2,plain text,6\r\n3,"",7\r\n';
  const { ev } = await events(put('t.csv', csv));
  assert.deepEqual(ev.map((e) => [e.kind, (e as { text: string }).text, e.loc]), [['doc', 'Hello, "world"\nsecond line', 2], ['doc', 'plain text', 4], ['doc', '', 5]]);
  const tsv = readFileSync(new URL('../fixtures/data-texts/tatoeba-en-fr-200.tsv', import.meta.url), 'utf8');
  const fr = texts((await events(put('t.tsv.gz', gzipSync(tsv)), { field: 'fr' })).ev);
  assert.equal(fr.length, 200);
  assert.equal(fr[0], "Je l'ai pesé.");
});

test('Parquet written by hyparquet-writer (several row groups, snappy), and .parquet.gz', async () => {
  const rows = Array.from({ length: 2500 }, (_, i) => `${paras[i % paras.length]} (${i})`);
  const buf = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'id', data: Int32Array.from(rows, (_, i) => i), type: 'INT32' }, { name: 'text', data: rows, type: 'STRING' }], rowGroupSize: 1000 }));
  const p = put('d.parquet', buf);
  const { ev, ctx } = await events(p);
  assert.deepEqual(texts(ev), rows);
  assert.equal(ev[2499]!.loc, 2500);
  assert.ok(ctx.bytesRead > 0);
  assert.deepEqual(texts((await events(put('d.parquet.gz', gzipSync(buf)))).ev), rows);
});

test('bad input: binary, unreadable, malformed JSON lines, broken Parquet and gzip are skipped and reported with file and line', async () => {
  const good = verdict.split(/\s+/).slice(0, 120).join(' ');
  const bad = join(dir, 'bad');
  put('bad/good.txt', good);
  put('bad/image.txt', Uint8Array.from({ length: 4000 }, (_, i) => (i * 37) % 256));
  put('bad/lines.jsonl', `${JSON.stringify({ text: good + ' one' })}\n{"text": "unterminated\n${JSON.stringify({ body: 'no text field' })}\n${JSON.stringify({ text: 42 })}\n${JSON.stringify({ text: good + ' two' })}\n`);
  const pq = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: [good], type: 'STRING' }] }));
  put('bad/truncated.parquet', pq.slice(0, pq.length - 20));
  put('bad/garbage.parquet', 'this is not parquet at all, just text pretending');
  put('bad/nocol.parquet', new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'body', data: [good], type: 'STRING' }] })));
  put('bad/corrupt.txt.gz', Buffer.concat([gzipSync(good).subarray(0, 30), Buffer.from('garbage')]));
  put('bad/quote.csv', `text\n"never closed, ${good.replace(/"/g, '')}\n`);
  put('bad/invalid-utf8.txt', Buffer.concat([Buffer.from(good + ' caf'), Buffer.from([0xe9, 0xff]), Buffer.from(' end')]));
  put('bad/skip.bin', 'unknown extension inside a folder');
  symlinkSync(join(dir, 'no-such-target.txt'), join(bad, 'dangling.txt'));
  const r = await prepare([bad, join(dir, 'missing.jsonl')], { threads: 1, filters: { ...DEFAULT_FILTERS, language: false }, dedup: { ...prepareDedupOff } });
  const items = r.badInput.items.map((b) => `${b.file.slice(dir.length + 1)}:${b.line} ${b.reason.split(':')[0]}`).sort();
  assert.deepEqual(items, [
    'bad/corrupt.txt.gz:0 broken gzip data',
    'bad/dangling.txt:0 cannot read file',
    'bad/garbage.parquet:0 broken parquet',
    'bad/image.txt:0 binary file',
    'bad/lines.jsonl:2 malformed JSON',
    'bad/lines.jsonl:3 field "text" is missing, not a string',
    'bad/lines.jsonl:4 field "text" is number, not a string',
    'bad/nocol.parquet:0 no column "text" (columns',
    'bad/quote.csv:2 unterminated quoted field',
    'bad/truncated.parquet:0 broken parquet',
  ]);
  assert.equal(r.badInput.count, 10);
  assert.deepEqual(r.inputs.skipped.map((s) => [s.path.slice(dir.length + 1), s.reason]), [['bad/skip.bin', 'unsupported extension'], ['missing.jsonl', 'no such file or folder']]);
  // The good documents of the same files still went through.
  assert.equal(r.in.docs, 4);
  assert.equal(r.out.docs, 4);
  assert.equal(r.cleaning.invalidUtf8, 2);
});

const prepareDedupOff = { exact: false, near: false, shingle: 5, perms: 128, bands: 16, rows: 8, threshold: 0.8, seed: 1 };

test('expandInputs: folders recursively in name order, globs, explicit files of any extension', async () => {
  put('tree/b/2.jsonl', jsonl);
  put('tree/a.txt', 'x');
  put('tree/b/1.md', 'y');
  put('tree/c.data', 'z');
  const { files, skipped } = await expandInputs([join(dir, 'tree'), join(dir, 'tree/c.data'), `${dir}/tree/**/*.jsonl`]);
  assert.deepEqual(files.map((f) => [f.path.slice(dir.length + 1), f.format]), [['tree/a.txt', 'text'], ['tree/b/1.md', 'text'], ['tree/b/2.jsonl', 'jsonl'], ['tree/c.data', 'text']]);
  assert.deepEqual(skipped.map((s) => s.path.slice(dir.length + 1)), []);
  assert.deepEqual(formatOf('x/Y.JSONL.GZ'), { format: 'jsonl', gzip: true });
  assert.equal(formatOf('x.exe'), null);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { formatOf, type InputFile } from '../../src/data/ingest/files.ts';
import { decodeJsonLines, jsonlByteBatches, type JsonlEvent } from '../../src/data/ingest/jsonl-batches.ts';
import { readInput } from '../../src/data/ingest/readers.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-jsonl-batches-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: Uint8Array): InputFile {
  const path = join(dir, name);
  writeFileSync(path, data);
  const f = formatOf(path)!;
  return { path, format: f.format, gzip: f.gzip, size: statSync(path).size };
}

/** The events of the streaming reader (readers.ts), the reference. */
async function reference(f: InputFile): Promise<{ ev: JsonlEvent[]; invalid: number }> {
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  const ev: JsonlEvent[] = [];
  for await (const e of readInput(f, { field: 'text' }, ctx)) ev.push(e.kind === 'doc' ? { kind: 'doc', text: e.text, loc: e.loc } : e);
  return { ev, invalid: ctx.invalidUtf8 };
}

/** The same file through byte batches of about `size` bytes, decoded one by one as a worker does. */
async function batched(f: InputFile, size: number): Promise<{ ev: JsonlEvent[]; invalid: number; batches: number }> {
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  const ev: JsonlEvent[] = [];
  let invalid = 0, batches = 0;
  for await (const b of jsonlByteBatches(f, ctx, size)) {
    if ('bad' in b) { ev.push({ kind: 'bad', ...b.bad }); continue; }
    batches++;
    assert.equal(b.raw.byteLength, b.raw.buffer.byteLength, 'each batch owns its ArrayBuffer (transferable)');
    const d = decodeJsonLines(b.raw, b.firstLine, b.fileStart, 'text');
    ev.push(...d.events);
    invalid += d.invalidUtf8;
  }
  return { ev, invalid, batches };
}

const enc = (s: string) => new TextEncoder().encode(s);
const rec = (text: string) => JSON.stringify({ text });
const tricky = Buffer.concat([
  enc('\ufeff' + rec('first, after a byte order mark') + '\n\n   \n{not json\n' + rec('crlf line ' + 'x'.repeat(300)) + '\r\n'),
  enc(JSON.stringify({ text: 5 }) + '\n' + JSON.stringify({ other: 'x' }) + '\n' + rec('\ufeffa BOM inside a later line') + '\n'),
  Buffer.from('{"text": "broken \xff\xfe bytes"}\n', 'latin1'),
  enc(rec('the last line has no newline, é ü 中文')),
]);

test('JSON lines byte batches give the events of the streaming reader, whatever the batch size', async () => {
  const f = file('tricky.jsonl', tricky);
  const want = await reference(f);
  assert.equal(want.ev.filter((e) => e.kind === 'bad').length, 3);
  assert.equal(want.invalid, 2);
  for (const size of [1, 7, 64, 300, 1 << 20]) {
    const got = await batched(f, size);
    assert.deepEqual(got.ev, want.ev, `batch size ${size}`);
    assert.equal(got.invalid, want.invalid, `invalid UTF-8 at batch size ${size}`);
    if (size === 1) assert.equal(got.batches, 10, "one batch per line at batch size 1");
  }
});

test('JSON lines byte batches: gzip, a binary file and broken gzip end with the same bad event', async () => {
  const gz = file('tricky.jsonl.gz', gzipSync(tricky));
  assert.deepEqual((await batched(gz, 50)).ev, (await reference(gz)).ev);
  const bin = file('bin.jsonl', Uint8Array.of(0, 1, 2, 3, 10, 65));
  assert.deepEqual((await batched(bin, 50)).ev, [{ kind: 'bad', loc: 0, reason: 'binary file' }]);
  const big = Buffer.concat(Array.from({ length: 3000 }, (_, i) => enc(rec(`document ${i} ${'words '.repeat(40)}`) + '\n')));
  const z = gzipSync(big);
  const broken = file('broken.jsonl.gz', z.subarray(0, z.length >> 1));
  const want = await reference(broken);
  const got = await batched(broken, 4096);
  assert.match((want.ev.at(-1) as { reason: string }).reason, /broken gzip/);
  assert.ok(want.ev.length > 10, 'lines before the break are delivered');
  assert.deepEqual(got.ev, want.ev);
});

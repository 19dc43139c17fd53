import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { LlmtsError } from '../../src/util/errors.ts';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-st-'));
}

test('safetensors round trip keeps names, order, dtypes, shapes, data and metadata', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'm.safetensors');
  const a = new Float32Array([1, -2.5, 3, 4, 5, 6]);
  const b = new Int32Array([7, -8, 9]);
  const c = new Uint8Array([1, 2, 3]); // odd length: makes the next tensor unaligned in the data section
  const d = new Float32Array([0.5, 0.25]);
  saveSafetensors(file, {
    'z.weight': { dtype: 'F32', shape: [2, 3], data: a },
    'ids': { dtype: 'I32', shape: [3], data: b },
    'bytes': { dtype: 'U8', shape: [3], data: c },
    'a.bias': { dtype: 'F32', shape: [2], data: d },
  }, { format: 'pt', step: '12' });
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'data section is 8-byte aligned');
  const { tensors, metadata } = loadSafetensors(file);
  assert.deepEqual(Object.keys(tensors), ['z.weight', 'ids', 'bytes', 'a.bias']);
  assert.deepEqual(metadata, { format: 'pt', step: '12' });
  assert.deepEqual(tensors['z.weight'].shape, [2, 3]);
  assert.deepEqual(Array.from(tensors['z.weight'].data as Float32Array), Array.from(a));
  assert.ok(tensors['ids'].data instanceof Int32Array);
  assert.deepEqual(Array.from(tensors['ids'].data as Int32Array), [7, -8, 9]);
  assert.deepEqual(Array.from(tensors['bytes'].data as Uint8Array), [1, 2, 3]);
  assert.deepEqual(Array.from(tensors['a.bias'].data as Float32Array), [0.5, 0.25]);
  const head = readSafetensorsHeader(file);
  assert.deepEqual(head.tensors['z.weight'], { dtype: 'F32', shape: [2, 3] });
  assert.equal(fs.readdirSync(dir).length, 1, 'no temporary file left behind');
});

test('safetensors reads a file written by the HF library layout (hand-built header)', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'hf.safetensors');
  // {"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}} then bf16 1.0, -2.0
  const json = Buffer.from('{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"h":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const data = Buffer.from([0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3c, 0x00, 0x38]); // bf16 1, -2; f16 1, 0.5
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
  const { tensors } = loadSafetensors(file);
  assert.deepEqual(Array.from(toFloat32(tensors.w)), [1, -2]);
  assert.deepEqual(Array.from(toFloat32(tensors.h)), [1, 0.5]);
});

test('truncated, corrupt and mismatched safetensors files give errors naming the file', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'ok.safetensors');
  saveSafetensors(file, { w: { dtype: 'F32', shape: [4, 4], data: new Float32Array(16) } });
  const full = fs.readFileSync(file);
  const cases: [string, Buffer, RegExp][] = [
    ['empty.safetensors', Buffer.alloc(0), /shorter than the 8-byte header/],
    ['cut-header.safetensors', full.subarray(0, 20), /header needs/],
    ['cut-data.safetensors', full.subarray(0, full.length - 4), /truncated/],
    ['garbage.safetensors', Buffer.concat([full.subarray(0, 8), Buffer.from('x'.repeat(full.length - 8))]), /not valid JSON/],
  ];
  for (const [name, bytes, re] of cases) {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    assert.throws(() => loadSafetensors(p), (err: unknown) => {
      assert.ok(err instanceof LlmtsError);
      assert.equal(err.code, 'E_SAFETENSORS');
      assert.match(err.message, re);
      assert.ok(err.message.includes(p), `message names the file: ${err.message}`);
      return true;
    });
  }
  assert.throws(() => loadSafetensors(path.join(dir, 'missing.safetensors')), /cannot read .*missing\.safetensors/);
  assert.throws(() => saveSafetensors(path.join(dir, 'x.safetensors'), { w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /has 3 elements but data has 2/);
});

test('readSafetensorsHeader checks every entry as loadSafetensors does (fuzz: null and shapeless entries were TypeErrors)', () => {
  const dir = tmpdir();
  const write = (name: string, header: Record<string, unknown>, dataBytes: number): string => {
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
    return file;
  };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['null.safetensors', { w: null }, /tensor 'w' has unsupported dtype 'undefined'/],
    ['noshape.safetensors', { w: { dtype: 'F32', data_offsets: [0, 8] } }, /tensor 'w' has a bad shape undefined/],
    ['past.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, /ends at byte 16 of the data section but the file holds only 8/],
  ];
  for (const [name, header, re] of cases) {
    const file = write(name, header, 8);
    for (const read of [readSafetensorsHeader, loadSafetensors]) {
      assert.throws(() => read(file), (e: unknown) => e instanceof LlmtsError && re.test(e.message) && e.message.includes(file));
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

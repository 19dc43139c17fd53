import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ggufBytes, parseGguf, metaNumber, metaString, metaArray, type GgufFile } from '../../src/io/gguf.ts';
import { bf16Round as f32ToBf16Bits, f16Round as f32ToF16Bits, f16ToFloat as f16BitsToF32 } from '../../src/backend/lowp-format.ts';
import { decodeWeights, encodeWeights, quantizeQ8_0 } from '../../src/io/quant.ts';
import { LlmtsError } from '../../src/util/errors.ts';

// Made once by test/fixtures/gguf-q8/make.py with the `gguf` Python package (llama.cpp's).
const FIX = 'test/fixtures/gguf-q8';
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(FIX, f)));
const input = new Float32Array(read('input.f32').slice().buffer);

test('Q8_0 blocks are byte-identical to the gguf package\'s quantiser (ties, zero, subnormal and overflowing scales)', () => {
  const want = read('q8_0.bin');
  const got = quantizeQ8_0(input);
  assert.equal(got.length, want.length);
  const firstDiff = got.findIndex((b, i) => b !== want[i]);
  assert.equal(firstDiff, -1, `first differing byte ${firstDiff} (block ${Math.floor(firstDiff / 34)})`);
});

test('F16 and BF16 conversions are bit-identical to the gguf package', () => {
  assert.deepEqual(encodeWeights('F16', input), read('f16.bin'));
  assert.deepEqual(encodeWeights('BF16', input), read('bf16.bin'));
  // edge cases of the rounding: halfway to even, the largest half, overflow, subnormals
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(65520), 0x7c00);
  assert.equal(f32ToF16Bits(2 ** -24), 0x0001);
  assert.equal(f32ToF16Bits(2 ** -25), 0x0000); // halfway to 0 and the smallest subnormal: even
  assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // halfway between 1 and the next half: even
  assert.equal(f32ToF16Bits(-0), 0x8000);
  assert.equal(f16BitsToF32(0x7bff), 65504);
  assert.equal(f32ToBf16Bits(NaN) & 0x7fc0, 0x7fc0);
});

test('decode(encode(x)) is exact for F32, within half a step for F16/BF16 and a little more for Q8_0 (fp16 scale)', () => {
  const x = input.subarray(0, 32 * 40);
  assert.deepEqual(decodeWeights('F32', encodeWeights('F32', x), x.length), x);
  for (const type of ['F16', 'BF16', 'Q8_0'] as const) {
    const back = decodeWeights(type, encodeWeights(type, x), x.length);
    for (let b = 0; b < x.length / 32; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      // Q8_0: half a step plus the fp16 scale's rounding (127 steps of d * 2^-11)
      const tol = type === 'Q8_0' ? (amax / 127) * (0.5 + 127 * 2 ** -11) : amax * (type === 'F16' ? 2 ** -11 : 2 ** -8);
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        assert.ok(Math.abs(back[i]! - x[i]!) <= tol + 1e-12, `${type} [${i}]: ${back[i]} vs ${x[i]}`);
      }
    }
  }
});

function parseTiny(): GgufFile {
  return parseGguf(read('tiny.gguf'), 'tiny.gguf');
}

test('a file written by gguf-py\'s GGUFWriter parses: every metadata type, arrays, alignment 64, all four tensor types', () => {
  const g = parseTiny();
  assert.equal(g.version, 3);
  assert.equal(g.alignment, 64);
  assert.equal(metaString(g, 'general.architecture'), 'llama');
  assert.equal(metaNumber(g, 't.u8'), 200);
  assert.equal(metaNumber(g, 't.i16'), -30000);
  assert.equal(metaNumber(g, 't.u32'), 4000000000);
  assert.equal(metaNumber(g, 't.i64'), -(2 ** 40) - 3);
  assert.equal(metaNumber(g, 't.f32'), 0.1); // the float32 nearest 0.1 reads as 0.1
  assert.deepEqual(g.metadata.get('t.f32'), { type: 'float32', value: Math.fround(0.1) });
  assert.deepEqual(g.metadata.get('t.bool'), { type: 'bool', value: true });
  assert.equal(metaString(g, 't.str'), 'héllo ▁world');
  assert.deepEqual(metaArray(g, 't.strs', ['string']), ['a', 'b c', '']);
  assert.deepEqual(metaArray(g, 't.ints', ['int32']), [1, -2, 3]);
  assert.deepEqual(g.tensors.map((t) => [t.name, t.type, t.dims]), [
    ['a.f32', 'F32', [64, 3]], ['b.f16', 'F16', [64, 3]], ['c.bf16', 'BF16', [64, 3]], ['d.q8_0', 'Q8_0', [64, 3]], ['e.vec', 'F32', [5]],
  ]);
  const m = input.subarray(0, 192);
  const f32 = decodeWeights('F32', g.tensors[0]!.data, 192);
  assert.deepEqual(f32, m);
  assert.deepEqual(g.tensors[3]!.data, quantizeQ8_0(m));
  assert.deepEqual(g.tensors[2]!.data, encodeWeights('BF16', m));
});

test('our writer reproduces gguf-py\'s file byte for byte from the parsed content', () => {
  const g = parseTiny();
  const bytes = ggufBytes({ metadata: g.metadata, tensors: g.tensors });
  const want = read('tiny.gguf');
  // gguf-py pads after each tensor as we do; compare the whole file
  assert.equal(bytes.length, want.length);
  assert.equal(bytes.findIndex((b, i) => b !== want[i]), -1);
});

function expectGguf(bytes: Uint8Array, field: RegExp): void {
  assert.throws(() => parseGguf(bytes, 'x.gguf'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_GGUF' && field.test(e.message), `expected E_GGUF matching ${field}`);
}

test('malformed files: each error is E_GGUF naming the field', () => {
  const good = read('tiny.gguf');
  const patch = (at: number, bytes: number[]) => {
    const b = good.slice();
    b.set(bytes, at);
    return b;
  };
  const u64 = (n: number) => Array.from(new Uint8Array(new BigUint64Array([BigInt(n)]).buffer));
  expectGguf(good.slice(0, 3), /magic/);
  expectGguf(patch(0, [0x47, 0x47, 0x55, 0x47]), /magic/);
  expectGguf(patch(4, [1, 0, 0, 0]), /version/);
  expectGguf(patch(8, u64(1e9)), /tensor_count/);
  expectGguf(patch(16, u64(1e9)), /metadata_kv_count/);
  // the first key's length runs past the end of the file
  expectGguf(patch(24, u64(1e6)), /metadata\[0\]\.key/);
  // first key "general.architecture" (20 bytes): its value type sits at 24 + 8 + 20
  expectGguf(patch(52, [77, 0, 0, 0]), /general\.architecture.*unknown value type 77/);
  for (let cut = 10; cut < good.length - 200; cut += 97) expectGguf(good.slice(0, cut), /x\.gguf: /);
  // the tensor data cut off
  expectGguf(good.slice(0, good.length - 50), /tensor e\.vec/);
});

test('writer rejects data that does not fit its dims and metadata values outside their type', () => {
  const meta = new Map([['k', { type: 'uint8' as const, value: 300 }]]);
  assert.throws(() => ggufBytes({ metadata: meta, tensors: [] }), /metadata k/);
  assert.throws(() => ggufBytes({ metadata: new Map(), tensors: [{ name: 't', dims: [4], type: 'F32', data: new Uint8Array(12) }] }), /tensor t/);
  assert.throws(() => ggufBytes({ metadata: new Map(), tensors: [{ name: 'q', dims: [16], type: 'Q8_0', data: new Uint8Array(17) }] }), /tensor q/);
});

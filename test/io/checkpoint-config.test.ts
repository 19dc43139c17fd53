// Regression tests for issue 11 (config.json sizes checked before anything is allocated;
// HF-only config errors name the file; an llmts block that disagrees with the HF fields is
// refused) and the llama2.c header against the model config's bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-ckcfg-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,\n');
const base = join(root, 'gpt2');
saveCheckpoint(base, { model: createModel(gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }), { seed: 1 }), tokenizer: tok });

type Json = Record<string, unknown> & { llmts?: { model: Record<string, unknown> } };

/** A copy of the base checkpoint whose config.json `edit` changed. */
function variant(name: string, edit: (cfg: Json) => void): { dir: string; cfgPath: string } {
  const dir = join(root, name);
  cpSync(base, dir, { recursive: true });
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Json;
  edit(cfg);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  return { dir, cfgPath };
}

/** Asserts `fn` throws an LlmtsError (never a RangeError or an allocation) whose message matches every pattern. */
function refuses(fn: () => unknown, ...patterns: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LlmtsError, `expected an LlmtsError, got ${String(e)}`);
    for (const p of patterns) assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `${e.message} !~ ${String(p)}`);
    return true;
  });
}

test('the base checkpoint loads (the variants below differ only in config.json)', () => {
  assert.equal(loadCheckpoint(base).config.nLayer, 2);
});

test('implausible sizes in the llmts block are refused by field, before any allocation', () => {
  const layers = variant('layers', (c) => { c.llmts!.model.nLayer = 100000; c.n_layer = 100000; });
  refuses(() => loadCheckpoint(layers.dir), layers.cfgPath, 'llmts.model.nLayer', '<= 1024');
  const wide = variant('wide', (c) => { c.llmts!.model.nEmbd = 1e7; c.n_embd = 1e7; });
  refuses(() => loadCheckpoint(wide.dir), wide.cfgPath, 'llmts.model.nEmbd');
});

test('sizes within the bounds but not those of model.safetensors are refused before allocating', () => {
  // a 4M x 65536 embedding cannot even be allocated (a RangeError before the check existed)
  const big = variant('big', (c) => {
    Object.assign(c.llmts!.model, { vocabSize: 4_000_000, nEmbd: 65536, nHead: 2, intermediateSize: 1024 });
    Object.assign(c, { vocab_size: 4_000_000, n_embd: 65536, n_inner: 1024 });
  });
  refuses(() => loadCheckpoint(big.dir), join(big.dir, 'model.safetensors'), 'does not match its config.json',
    'transformer.wte.weight is (32, 16), the config needs (4000000, 65536)');
  const deeper = variant('deeper', (c) => { c.llmts!.model.nLayer = 3; c.n_layer = 3; });
  refuses(() => loadCheckpoint(deeper.dir), 'missing [transformer.h.2.ln_1.weight');
});

test('an llmts block that disagrees with the Hugging Face fields is refused, naming both', () => {
  const v = variant('disagree', (c) => { c.n_layer = 3; });
  refuses(() => loadCheckpoint(v.dir), v.cfgPath, 'n_layer = 3 disagrees with llmts.model.nLayer', 'n_layer = 2');
  const eps = variant('eps', (c) => { c.layer_norm_epsilon = 1e-3; });
  refuses(() => loadCheckpoint(eps.dir), 'layer_norm_epsilon = 0.001 disagrees with llmts.model.normEps');
});

test('Hugging Face-only config.json errors name the file and the field', () => {
  const hfOnly = (name: string, edit: (c: Json) => void) => variant(name, (c) => { delete c.llmts; edit(c); });
  const heads = hfOnly('hf-heads', (c) => { c.n_head = 3; });
  refuses(() => loadCheckpoint(heads.dir), heads.cfgPath, 'not divisible by nHead 3');
  const huge = hfOnly('hf-huge', (c) => { c.n_layer = 100000; });
  refuses(() => loadCheckpoint(huge.dir), `${huge.cfgPath}: n_layer = 100000 is not plausible`);
  const wide = hfOnly('hf-wide', (c) => { c.n_embd = 1e7; });
  refuses(() => loadCheckpoint(wide.dir), `${wide.cfgPath}: n_embd = 10000000 is not plausible`);
  const frac = hfOnly('hf-frac', (c) => { c.vocab_size = 31.5; });
  refuses(() => loadCheckpoint(frac.dir), `${frac.cfgPath}: vocab_size = 31.5`);
  const deeper = hfOnly('hf-deeper', (c) => { c.n_layer = 3; });
  refuses(() => loadCheckpoint(deeper.dir), join(deeper.dir, 'model.safetensors'), 'missing [transformer.h.2.ln_1.weight');
});

test('a llama2.c header whose sizes exceed the model bounds is refused naming the file', () => {
  // version 1 ("ak42", no RoPE tables, so seq_len costs no bytes): dim 8, hidden 16, 1 layer,
  // 2 heads, 2 kv heads, vocab 4, shared classifier, seq_len 2^21 (over blockSize's 2^20)
  const file = join(root, 'long.bin');
  const head = Buffer.alloc(256);
  head.writeUInt32LE(0x616b3432, 0);
  head.writeInt32LE(1, 4);
  [8, 16, 1, 2, 2, 4, 1 << 21].forEach((v, i) => head.writeInt32LE(v, 8 + 4 * i));
  head[36] = 1;
  const floats = 3 * 8 + 4 * 8 + 2 * 64 + 2 * 64 + 3 * 128; // norms, embedding, q/k/v/o, w1/w2/w3
  writeFileSync(file, Buffer.concat([head, Buffer.alloc(4 * floats)]));
  refuses(() => readLlama2c(file), file, 'blockSize', '<= 1048576');
});

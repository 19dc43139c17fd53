/**
 * Mutated copies of a saved model directory (config.json, text files, model.safetensors),
 * for the fuzz targets of our small model directories (HAN, linear text): each case picks
 * one file and mutates it (config.json JSON-aware 60% of the time, else as text; the
 * safetensors file as bytes, half of them in its header; any other file as text), then
 * `write()` puts the directory, that file mutated, in `caseDir`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../../src/util/rng.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';

/** One mutated directory: what was done, and how to write it. */
export interface DirCase {
  log: string[];
  write: () => void;
}

/** Reads `names` from `seedDir` once; each call of the result makes one case in `caseDir`. */
export function modelDirCases(seedDir: string, names: readonly string[], caseDir: string): (rng: Rng) => DirCase {
  const files = new Map(names.map((n) => [n, readFileSync(join(seedDir, n))]));
  mkdirSync(caseDir, { recursive: true });
  return (rng) => {
    const name = names[rng.int(names.length)]!;
    const seed = files.get(name)!;
    const log = [`mutate ${name}`];
    let bytes: Uint8Array;
    if (name === 'model.safetensors') {
      const m = mutateBytes(rng, seed, { focus: 8 + Number(seed.readBigUInt64LE(0)) }); // the header, half the time
      bytes = m.value;
      log.push(...m.log);
    } else {
      const text = seed.toString('utf8');
      const m = name === 'config.json' && rng.uniform() < 0.6 ? mutateJsonText(rng, JSON.parse(text)) : mutateText(rng, text);
      bytes = new TextEncoder().encode(m.value);
      log.push(...m.log);
    }
    return { log, write: () => { for (const [n, b] of files) writeFileSync(join(caseDir, n), n === name ? bytes : b); } };
  };
}

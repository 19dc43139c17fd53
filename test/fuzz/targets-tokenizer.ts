/**
 * Fuzz targets for tokenizer files: tokenizer.json (byte-level BPE, WordPiece,
 * byte-fallback BPE, char-level, the old llmts char file), vocab.txt, .tiktoken and
 * llama2.c tokenizer.bin, each loaded with `loadTokenizer` (which recognises the format
 * by content) and, when it loads, used: encode with and without special tokens, decode,
 * token lookups, tokenizer.json export.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import type { Tokenizer } from '../../src/tokenizer/types.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';
import { mutateBytes, mutateJsonText, mutateText } from './mutate.ts';
import { pickSeed, repoPath, type FuzzTarget } from './target.ts';

const SAMPLE = 'Hello, world! naïve café 東京 😀\n\tOnce upon a time <|endoftext|> [CLS] <s> </s> ##ing 123';

/** Uses a loaded tokenizer the way the CLI and the trainer do. */
export function exercise(tok: Tokenizer): void {
  tok.idToToken(0);
  tok.tokenToId('a');
  JSON.stringify(tok.toTokenizerJson());
  // text made of the tokenizer's own first tokens (so that a char tokenizer encodes it), then any text
  const own = tok.decode(Array.from({ length: Math.min(tok.vocabSize, 64) }, (_, i) => i));
  const ids = tok.encode(own);
  tok.decode(ids, { skipSpecialTokens: true });
  tok.encode(own, { addSpecialTokens: true, allowedSpecial: 'all' });
  const sp = tok.specialIds;
  tok.decode(tok.encode(own, { addBos: sp.bos !== undefined, addEos: sp.eos !== undefined }));
  tok.decode(tok.encode(SAMPLE));
}

/** Writes `text` to `dir/name`, loads it as a tokenizer and uses it. */
function loadAndUse(dir: string, name: string, data: string | Uint8Array): void {
  const path = join(dir, name);
  writeFileSync(path, data);
  exercise(loadTokenizer(path));
}

/** A small BERT vocabulary: the specials and the first few thousand entries of bert-base-uncased. */
function smallVocabTxt(): string {
  const lines = readFileSync(repoPath('data', 'bert-base-uncased', 'vocab.txt'), 'utf8').split('\n');
  return [...lines.slice(0, 120), ...lines.slice(1990, 2600), ...lines.slice(29000, 29300)].join('\n') + '\n';
}

const tokenizerJson: FuzzTarget = {
  name: 'tokenizer.json',
  testInputs: 600,
  async setup(dir) {
    const char = CharTokenizer.fromText('hello world\nHELLO, WORLD!');
    const seeds: [string, unknown][] = [
      ['hf-gpt2 (byte-level BPE)', JSON.parse(readFileSync(repoPath('test', 'fixtures', 'hf-models', 'hf-gpt2-float32', 'tokenizer.json'), 'utf8'))],
      ['wordpiece', WordPieceTokenizer.fromVocabTxt(smallVocabTxt()).toTokenizerJson()],
      ['llama2c tok512 (byte-fallback BPE)', Llama2cTokenizer.fromFile(repoPath('data', 'llama2c-stories260k', 'tok512.bin')).toTokenizerJson()],
      ['char (HF BPE)', char.toTokenizerJson()],
      ['char (old llmts-char-tokenizer file)', { format: 'llmts-char-tokenizer', version: 1, chars: [...char.chars] }],
    ];
    return (rng) => {
      const log: string[] = [];
      const seed = pickSeed(rng, seeds, log);
      const m = mutateJsonText(rng, seed);
      return { log: [...log, ...m.log], run: () => loadAndUse(dir, 'tokenizer.json', m.value) };
    };
  },
};

const vocabTxt: FuzzTarget = {
  name: 'vocab.txt',
  testInputs: 400,
  async setup(dir) {
    const seed = smallVocabTxt();
    return (rng) => {
      const m = mutateText(rng, seed);
      return { log: ['seed bert-base-uncased (1030 lines)', ...m.log], run: () => loadAndUse(dir, 'vocab.txt', m.value) };
    };
  },
};

const tiktoken: FuzzTarget = {
  name: '.tiktoken',
  testInputs: 400,
  async setup(dir) {
    const seed = readFileSync(repoPath('data', 'tokenizers', 'r50k_base.tiktoken'), 'utf8').split('\n').slice(0, 400).join('\n') + '\n';
    return (rng) => {
      const m = mutateText(rng, seed);
      return { log: ['seed r50k_base (400 ranks)', ...m.log], run: () => loadAndUse(dir, 'fuzz.tiktoken', m.value) };
    };
  },
};

const tokenizerBin: FuzzTarget = {
  name: 'llama2.c tokenizer.bin',
  testInputs: 600,
  async setup(dir) {
    const seed = new Uint8Array(readFileSync(repoPath('data', 'llama2c-stories260k', 'tok512.bin')));
    return (rng) => {
      const m = mutateBytes(rng, seed, { focus: 64 });
      return { log: ['seed tok512.bin', ...m.log], run: () => loadAndUse(dir, 'tokenizer.bin', m.value) };
    };
  },
};

export const TOKENIZER_TARGETS: readonly FuzzTarget[] = [tokenizerJson, vocabTxt, tiktoken, tokenizerBin];

/**
 * PTB bracket trees, one per line, as the Stanford Sentiment Treebank writes them:
 * `(3 (2 The) (4 (2 Rock) (3 (2 is) (4 great))))`. A node is `(label child ...)`; a leaf
 * is `(label word)` (a leaf of several space-separated tokens, as SST's `(2 8 1\/2)`, is
 * one word with single spaces). Labels are integers 0..maxLabel (SST: 0-4 on every node). Blank lines
 * are skipped. Anything else is an `E_TREE` error naming file, line and column and what
 * was expected there.
 *
 * @example
 * const trees = readPtbTrees('sst/train.txt');      // Tree[]
 * parsePtbTree('(1 (2 not) (3 good))', { file: '<text>', line: 1 }).children.length; // 2
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../../util/errors.ts';

/** A tree node: its label, its word (leaves) or its children (inner nodes). */
export interface Tree {
  label: number;
  /** The word of a leaf; null for an inner node. */
  word: string | null;
  children: Tree[];
}

/** Where a line comes from, for error messages. */
export interface LineSource {
  file: string;
  /** 1-based line number. */
  line: number;
}

/** Options of the readers. */
export interface ReadTreeOptions {
  /** Largest label accepted (default 4: SST's five classes). */
  maxLabel?: number;
}

// a structure too deep for the parser's own stack is refused instead of overflowing it
const MAX_DEPTH = 10_000;

/** The tokenizer + recursive-descent parser state of one line. */
class LineParser {
  pos = 0;
  constructor(readonly text: string, readonly src: LineSource, readonly maxLabel: number) {}

  fail(msg: string, hint: string, at = this.pos): never {
    const where = `${this.src.file}:${this.src.line}:${at + 1}`;
    throw new LlmtsError('E_TREE', msg, { where, hint });
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** A run of characters that are not space or brackets. */
  atom(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s()]/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** `(label word)` or `(label node node ...)`, starting at '('. */
  node(depth: number): Tree {
    if (depth > MAX_DEPTH) this.fail(`tree deeper than ${MAX_DEPTH} levels`, 'split the input into sentences');
    const open = this.pos;
    if (this.text[this.pos] !== '(') this.fail(`expected '(' but found ${this.show()}`, "every node is written '(label ...)'");
    this.pos++;
    this.skipSpace();
    const labelAt = this.pos;
    const labelText = this.atom();
    if (labelText === '') this.fail(`expected a label after '(' but found ${this.show()}`, `a node starts with its label, an integer 0-${this.maxLabel}: (3 (2 The) ...)`);
    if (!/^\d+$/.test(labelText) || Number(labelText) > this.maxLabel) {
      this.fail(`label ${JSON.stringify(labelText)} is not an integer 0-${this.maxLabel}`, `labels are sentiment classes 0-${this.maxLabel}`, labelAt);
    }
    const label = Number(labelText);
    this.skipSpace();
    const children: Tree[] = [];
    let word: string | null = null;
    while (this.pos < this.text.length && this.text[this.pos] !== ')') {
      if (this.text[this.pos] === '(') {
        if (word !== null) this.fail(`node has both a word (${JSON.stringify(word)}) and subtrees`, 'a leaf is (label word); an inner node holds only subtrees');
        children.push(this.node(depth + 1));
      } else {
        const wordAt = this.pos;
        const w = this.atom();
        if (children.length > 0) {
          this.fail(`unexpected word ${JSON.stringify(w)} after a subtree: a node holds words or subtrees, not both`, 'a leaf is (label word); bracket the word as a leaf of its own', wordAt);
        }
        word = word === null ? w : `${word} ${w}`; // SST has leaves of two tokens: (2 8 1\/2)
      }
      this.skipSpace();
    }
    if (this.pos >= this.text.length) this.fail(`unclosed '(' opened at column ${open + 1}: the line ends first`, "add the missing ')' (or join a tree split over lines)");
    this.pos++; // ')'
    if (word === null && children.length === 0) this.fail('empty node: a label with no word and no subtrees', 'write a leaf as (label word)', open);
    return { label, word, children };
  }

  show(): string {
    return this.pos >= this.text.length ? 'the end of the line' : JSON.stringify(this.text[this.pos]);
  }
}

/** One tree from one line (see the module comment); errors name `src` and the column. */
export function parsePtbTree(text: string, src: LineSource, o: ReadTreeOptions = {}): Tree {
  const p = new LineParser(text, src, o.maxLabel ?? 4);
  p.skipSpace();
  const tree = p.node(0);
  p.skipSpace();
  if (p.pos < text.length) {
    p.fail(`text after the tree's closing ')': ${JSON.stringify(text.slice(p.pos, p.pos + 20))}`, text[p.pos] === ')' ? "remove the extra ')'" : 'write one tree per line');
  }
  return tree;
}

/** Every tree of a text, one per non-blank line; `file` names it in errors. */
export function parsePtbTrees(text: string, file: string, o: ReadTreeOptions = {}): Tree[] {
  const trees: Tree[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    trees.push(parsePtbTree(line, { file, line: i + 1 }, o));
  });
  return trees;
}

/** Reads a file of PTB trees (see `parsePtbTrees`); a missing or unreadable file is `E_INPUT`. */
export function readPtbTrees(file: string, o: ReadTreeOptions = {}): Tree[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LlmtsError('E_INPUT', `cannot read tree file ${file}: ${(e as Error).message}`, { where: file, hint: 'give a file of PTB bracket trees, one per line (SST: train.txt, dev.txt)' });
  }
  return parsePtbTrees(text, file, o);
}

/** Words of a tree's leaves, left to right. */
export function treeWords(t: Tree): string[] {
  const out: string[] = [];
  const stack: Tree[] = [t];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.word !== null) out.push(n.word);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** Nodes of a tree in post-order (children before parents). */
export function postOrder(t: Tree): Tree[] {
  const out: Tree[] = [];
  const visit = (n: Tree): void => {
    for (const c of n.children) visit(c);
    out.push(n);
  };
  visit(t);
  return out;
}

/**
 * A right-branching binary tree over words (no parser needed): `a b c` -> (a (b c)),
 * every label `label`. What `llmts sentiment` composes raw text with.
 */
export function rightBranching(words: readonly string[], label = 0): Tree {
  if (words.length === 0) throw new LlmtsError('E_TREE', 'no words to build a tree from', { where: 'text', hint: 'give a non-empty sentence' });
  let t: Tree = { label, word: words[words.length - 1]!, children: [] };
  for (let i = words.length - 2; i >= 0; i--) t = { label, word: null, children: [{ label, word: words[i]!, children: [] }, t] };
  return t;
}

/** A tree as a PTB line, with `labelOf(node)` as each node's label. */
export function formatPtbTree(t: Tree, labelOf: (n: Tree) => number | string = (n) => n.label): string {
  if (t.word !== null) return `(${labelOf(t)} ${t.word})`;
  return `(${labelOf(t)} ${t.children.map((c) => formatPtbTree(c, labelOf)).join(' ')})`;
}

/**
 * Raw text -> words the way the Penn Treebank (and SST) tokenises: spaces split, then
 * punctuation and the clitics n't 's 're 've 'll 'd 'm come off as words of their own.
 * `splitWords("It isn't bad, really.")` -> It is n't bad , really .
 */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\s+/)) {
    if (raw === '') continue;
    const parts = raw.match(/n't|'(?:s|re|ve|ll|d|m)\b|[A-Za-z0-9\u00C0-\uFFFF]+(?=n't)|[^\s.,!?;:()"]+?(?=n't|'(?:s|re|ve|ll|d|m)\b|[.,!?;:()"]|$)|[.,!?;:()"]/giu);
    out.push(...(parts ?? [raw]));
  }
  return out;
}

// llmts index build / search / ask as a user runs them: an index of a small file with the
// tiny BERT fixture, hybrid and BM25 results as JSON with offsets into the file, an answer
// citing numbered sources, and user mistakes as one `llmts: error E_...` line (no stack).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llmtsAsync as llmts, type CliResult as Exit } from '../cli-run.ts';

const EMBED = 'test/fixtures/hf-bert/base';
const CHAT = ['--model', 'data/llama2c-stories260k/stories260K.bin', '--tokenizer', 'data/llama2c-stories260k/tok512.bin'];
const TEXT = 'Cats sleep all day. They purr when happy.\n\nThe ship sailed at dawn. Sailors raised the anchor.\n';

function assertError(r: Exit, code: string, re: RegExp, what: string): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('llmts: warning:'));
  assert.equal(r.code, 1, `${what}: exit code; stderr: ${r.stderr}`);
  assert.equal(lines.length, 1, `${what}: one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^llmts: error ${code}: `), what);
  assert.match(lines[0]!, re, what);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError/, what);
}

test('index build, search (hybrid, bm25) and ask on a small file; errors are one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-search-cli-'));
  try {
    const file = join(dir, 'notes.txt'), idx = join(dir, 'idx');
    writeFileSync(file, TEXT);
    const built = await llmts(['index', 'build', '--model', EMBED, '--out', idx, '--chunk-words', '10', file]);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /2 chunks of 1 file\(s\), \d+-dimensional vectors, exact search/);
    const [hybrid, bm25, ask] = await Promise.all([
      llmts(['search', '--index', idx, '--query', 'Who raised the anchor?', '--json', '--k', '2']),
      llmts(['search', '--index', idx, '--query', 'purr', '--mode', 'bm25', '--json']),
      llmts(['ask', '--index', idx, ...CHAT, '--max-tokens', '8', '--json', 'Who raised the anchor?']),
    ]);
    assert.equal(hybrid.code, 0, hybrid.stderr);
    const hits = hybrid.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rank: number; source: string; start: number; end: number; text: string });
    assert.deepEqual(hits.map((h) => h.rank), [1, 2]);
    assert.equal(hits[0]!.text, 'The ship sailed at dawn. Sailors raised the anchor.', 'BM25 agrees on "anchor"; the fused list puts it first');
    for (const h of hits) assert.equal(TEXT.slice(h.start, h.end), h.text);
    const b = bm25.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    assert.deepEqual(b.map((h) => h.text), ['Cats sleep all day. They purr when happy.'], 'bm25 returns only chunks sharing a term');
    assert.equal(ask.code, 0, ask.stderr);
    const a = JSON.parse(ask.stdout) as { answer: string; sources: { n: number; text: string; source: string }[] };
    assert.equal(typeof a.answer, 'string');
    assert.deepEqual(a.sources.map((s) => s.n), [1, 2]);
    assert.equal(a.sources[0]!.source, file);

    const manifest = join(idx, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"chunks": 2', '"chunks": 3'));
    const [noIndex, badMode, damaged, wrongChat, notIndexOut, noFiles] = await Promise.all([
      llmts(['search', '--query', 'x']),
      llmts(['search', '--index', idx, '--query', 'x', '--mode', 'fuzzy']),
      llmts(['search', '--index', idx, '--query', 'x', '--mode', 'bm25']),
      llmts(['ask', '--index', idx, '--model', EMBED, 'why?']),
      llmts(['index', 'build', '--model', EMBED, '--out', dir, file]),
      llmts(['index', 'build', '--model', EMBED, '--out', idx]),
    ]);
    assertError(noIndex, 'E_USAGE', /needs --index/, 'no --index');
    assertError(badMode, 'E_FLAG', /--mode must be one of hybrid, bm25, dense/, 'bad mode');
    assertError(damaged, 'E_INDEX', /chunks\.jsonl: holds 2 chunks; the manifest says 3/, 'manifest and chunks disagree');
    assertError(wrongChat, 'E_MODEL', /llmts ask: the model is a bert, not a chat model/, 'an encoder as the chat model');
    assertError(notIndexOut, 'E_INDEX', /is not a search index; refusing to replace it/, 'a folder that is not an index');
    assertError(noFiles, 'E_USAGE', /needs the files to index/, 'no files');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The worker thread of `countWordsParallel` (word-count.ts), as JavaScript source run with
 * `new Worker(WORD_COUNT_WORKER_SOURCE, { eval: true, workerData: regexSource })`.
 *
 * It is plain JavaScript with no imports, so that a worker starts in tens of milliseconds
 * both from the compiled package and from TypeScript sources under tsx (Node 20 does not
 * hand tsx's loader hooks to workers; booting tsx in each worker costs ~300 ms). The
 * splitting is `splitText` itself, its compiled source embedded below, and the counting is
 * `countPiecesInto`'s: pieces that start at or after `limit` (look-ahead context) are not
 * counted. The test "parallel word count equals serial" in
 * test/tokenizer/bpe-trainer-count.test.ts checks that both counters agree.
 *
 * Protocol: the worker posts `{ ready: true }`; the main thread answers with a chunk
 * `{ text, limit }` (the worker counts it and posts `{ ready: true }` again) or with
 * `{ done: true }`, on which the worker posts `{ result: { words, lengths, counts } }`
 * (words concatenated; lengths and counts as transferred typed arrays).
 */
import { splitText } from './split-patterns.ts';

export const WORD_COUNT_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData, 'gu');
const counts = new Map();
const splitText = ${splitText.toString()};
function countChunk(text, limit) {
  splitText(text, re, (start, end) => {
    if (start >= limit) return;
    const piece = text.slice(start, end);
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  });
}
parentPort.on('message', (req) => {
  if (req.done) {
    const lengths = new Uint32Array(counts.size);
    const values = new Float64Array(counts.size);
    const parts = [];
    let i = 0;
    for (const [w, c] of counts) {
      parts.push(w);
      lengths[i] = w.length;
      values[i++] = c;
    }
    parentPort.postMessage({ result: { words: parts.join(''), lengths, counts: values } }, [lengths.buffer, values.buffer]);
    parentPort.close();
    return;
  }
  countChunk(req.text, req.limit);
  parentPort.postMessage({ ready: true });
});
parentPort.postMessage({ ready: true });
`;

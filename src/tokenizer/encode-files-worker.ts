/**
 * Worker thread of `encodeFiles` (encode-files.ts): rebuilds the tokenizer from the
 * packed `BpeSpec` in workerData, then encodes each `{ id, text }` chunk it is sent and answers
 * `{ id, ids }` with the ids as a transferred Uint32Array; `{ clear: true }` empties its
 * piece cache (answer `{ cleared: true }`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BpeTokenizer } from './bpe.ts';
import { unpackSpec, type PackedBpeSpec } from './encode-files.ts';
import type { EncodeOptions } from './types.ts';

interface WorkerInit {
  spec: PackedBpeSpec;
  allowedSpecial: EncodeOptions['allowedSpecial'];
}

const init = workerData as WorkerInit;
const tok = new BpeTokenizer(unpackSpec(init.spec));
const port = parentPort!;
port.on('message', (msg: { id: number; text: string } | { clear: true }) => {
  if ('clear' in msg) {
    tok.clearCache();
    port.postMessage({ cleared: true });
    return;
  }
  const ids = Uint32Array.from(tok.encode(msg.text, { allowedSpecial: init.allowedSpecial }));
  port.postMessage({ id: msg.id, ids }, [ids.buffer]);
});
port.postMessage({ ready: true });

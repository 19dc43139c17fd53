/**
 * Worker thread of the data pipeline (pool.ts): builds a `DocProcessor` from the
 * settings in workerData and answers each batch (`DocBatch` or `JsonlBatch`) with its `BatchResult` (or, for
 * `{ lines: true }` messages, the pass-one line hashes of boilerplate removal).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DocProcessor, type AnyBatch, type ProcessSettings } from './process.ts';

const proc = new DocProcessor(workerData as ProcessSettings);

/**
 * The ArrayBuffers of typed arrays to transfer, each once: views at offset 0 take their
 * whole buffer along (the spare buffers of spare.ts are larger than their views).
 */
function transferables(...arrays: (ArrayBufferView | null)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a && a.byteOffset === 0 && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

const port = parentPort!;
port.on('message', (msg: AnyBatch & { lines?: boolean }) => {
  try {
    if (msg.lines) {
      const r = proc.lineKeysBatch(msg);
      port.postMessage(r, transferables(r.keys));
    } else {
      const r = proc.processBatch(msg);
      port.postMessage(r, transferables(r.keys, r.sigs, r.rawBytes, r.outBytes, r.out, r.outAt, r.locs, r.rawBack, r.flags));
    }
  } catch (err) {
    port.postMessage({ seq: msg.seq, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});
port.postMessage({ ready: true });

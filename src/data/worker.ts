/**
 * Worker thread of the data pipeline (pool.ts): builds a `DocProcessor` from the
 * settings in workerData and answers each `DocBatch` with its `BatchResult` (or, for
 * `{ lines: true }` messages, the pass-one line hashes of boilerplate removal).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DocProcessor, type DocBatch, type ProcessSettings } from './process.ts';

const proc = new DocProcessor(workerData as ProcessSettings);
const port = parentPort!;
port.on('message', (msg: DocBatch & { lines?: boolean }) => {
  try {
    if (msg.lines) {
      const r = proc.lineKeysBatch(msg);
      port.postMessage(r, [r.keys.buffer as ArrayBuffer]);
    } else {
      const r = proc.processBatch(msg);
      port.postMessage(r, [r.keys.buffer as ArrayBuffer, r.sigs.buffer as ArrayBuffer, r.rawBytes.buffer as ArrayBuffer, r.outBytes.buffer as ArrayBuffer]);
    }
  } catch (err) {
    port.postMessage({ seq: msg.seq, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});
port.postMessage({ ready: true });

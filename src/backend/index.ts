/**
 * Backend selection. The native addon (build/Release/llmts_native.node) is used when it
 * loads; otherwise the reference backend, with one warning line on stderr.
 * `LLMTS_BACKEND=reference` forces the reference backend; `LLMTS_THREADS=n` sets threads.
 *
 * @example
 * import { backend } from './backend/index.ts';
 * backend().gemm(false, false, M, N, K, 1, a, K, 0, b, N, 0, 0, c, N, 0, 1);
 */
import type { Backend } from './backend.ts';
import { ReferenceBackend } from './reference.ts';
import { loadNativeBackend } from './native.ts';

export type { Backend } from './backend.ts';
export { withPrecision, parsePrecision, PRECISIONS, type Precision } from './precision.ts';

let current: Backend | null = null;
let reference: Backend | null = null;
let warned = false;

/** The plain-TypeScript backend (the test oracle). */
export function referenceBackend(): Backend {
  if (!reference) reference = new ReferenceBackend();
  return reference;
}

/** The native backend, or null (with the reason) when the addon cannot load. */
export function nativeBackend(): { backend: Backend | null; reason: string } {
  return loadNativeBackend();
}

/** The backend every op uses: native when it loads, else reference. */
export function backend(): Backend {
  if (current) return current;
  if (process.env.LLMTS_BACKEND === 'reference') {
    current = referenceBackend();
    return current;
  }
  const n = loadNativeBackend();
  if (n.backend) {
    current = n.backend;
  } else {
    if (!warned) {
      console.warn(`llmts: warning: native kernels unavailable (${n.reason}); using the reference backend (slow).`);
      warned = true;
    }
    current = referenceBackend();
  }
  const threads = Number(process.env.LLMTS_THREADS ?? '');
  if (Number.isInteger(threads) && threads > 0) current.setThreads(threads);
  return current;
}

/** Replaces the current backend (tests run ops on both). */
export function setBackend(b: Backend): void {
  current = b;
}

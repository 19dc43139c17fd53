/**
 * The trainer's `precision` setting: 'bf16' runs a training run's matrix products as bf16
 * GEMMs with fp32 sums (`withPrecision`, src/backend/precision.ts: the backend's `gemm`
 * becomes `gemmBf16`) while weights, gradients, optimizer state, norms, softmax and the
 * loss stay fp32, and so do checkpoints. The setting is part of the run's config, so a
 * checkpoint's trainer_state.json records it and `--resume` keeps it.
 *
 * bf16 pays off where the CPU multiplies bf16 in hardware tiles (AMX); elsewhere (AVX512-BF16
 * on a CPU whose fp32 FMA is as fast, the scalar variant, the reference backend) it may be
 * slower than fp32, which the run says in one line.
 *
 * @example
 * const result = await withTrainingPrecision('bf16', console.log, () => runTraining());
 */
import { backend, setBackend } from '../backend/index.ts';
import { NativeBackend } from '../backend/native.ts';
import { withPrecision, type Precision } from '../backend/precision.ts';

/** The bf16/int8 kernel variant the current backend runs ('reference' for the plain-TS backend). */
export function lowpIsa(): string {
  const be = backend();
  return be instanceof NativeBackend ? be.lowpInfo().isa : 'reference';
}

/**
 * Runs `fn` with the backend's GEMMs in `precision` and puts the previous backend back
 * afterwards (also when `fn` throws). With 'bf16' on a CPU without AMX, logs one line that
 * bf16 may be slower there.
 */
export async function withTrainingPrecision<R>(precision: Precision, log: (line: string) => void, fn: () => Promise<R>): Promise<R> {
  if (precision === 'fp32') return fn();
  const previous = backend();
  const isa = lowpIsa();
  if (isa !== 'amx') log(`precision bf16: this CPU has no AMX (bf16 kernels: ${isa}), so bf16 training may be slower here than fp32`);
  setBackend(withPrecision(previous, precision));
  try {
    return await fn();
  } finally {
    setBackend(previous);
  }
}

/**
 * Atomic file writes: the bytes go to a temporary file in the same directory, which is
 * fsynced and then renamed over the target, so a crash or an error never leaves a
 * half-written file behind (on error the temporary file is removed).
 *
 * @example
 * writeFileAtomic('model.bin', (put) => { put(header); put(weights); });
 * writeFileAtomic('report.json', (put) => put(JSON.stringify(report)));
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Appends bytes (or UTF-8 text) to the file being written. */
export type Put = (data: Uint8Array | string) => void;

/** Writes `file` atomically; `write` appends its content through `put`. */
export function writeFileAtomic(file: string, write: (put: Put) => void): void {
  const tmp = join(dirname(resolve(file)), `.${basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  const fd = openSync(tmp, 'w');
  const put: Put = (data) => {
    const view = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    // Write in 64 MiB slices: writeSync may write less than asked for very large buffers.
    for (let p = 0; p < bytes.length;) p += writeSync(fd, bytes, p, Math.min(bytes.length - p, 1 << 26));
  };
  try {
    write(put);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * metrics.jsonl files read incrementally, for the dashboard's polling: each read returns
 * every record, but only the bytes appended since the previous read of that file are
 * read and parsed, and nothing blocks the event loop on a large file.
 *
 * The trainer appends one line per record and replaces the file (write + rename) when a
 * run resumes, so a changed inode or a shorter file means "read it again from the start".
 * Lines are parsed by `parseMetricLine`, as `readMetrics` parses them: blank and unparsable
 * lines (a line torn by kill -9) are skipped; a last line without its newline yet is shown if it parses and
 * read again with the rest of it next time.
 *
 * @example
 * const tails = new MetricsTails();
 * const run = await tails.read('runs/x/metrics.jsonl'); // { records, mtime } or null
 */
import { open, stat } from 'node:fs/promises';
import { parseMetricLine, type MetricRecord } from '../io/metrics-file.ts';

interface Tail {
  ino: number;
  /** Bytes read so far. */
  size: number;
  records: MetricRecord[];
  /** Bytes after the last newline (a line still being written). */
  rest: Buffer;
}

/** See the module comment. */
export class MetricsTails {
  private readonly tails = new Map<string, Tail>();

  /** The records of the metrics.jsonl at `path` and its modification time; null when it does not exist. */
  async read(path: string): Promise<{ records: MetricRecord[]; mtime: Date } | null> {
    let st;
    try {
      st = await stat(path);
    } catch {
      this.tails.delete(path);
      return null;
    }
    let t = this.tails.get(path);
    if (!t || t.ino !== st.ino || st.size < t.size) {
      t = { ino: st.ino, size: 0, records: [], rest: Buffer.alloc(0) };
      this.tails.set(path, t);
    }
    if (st.size > t.size) {
      const fresh = Buffer.alloc(st.size - t.size);
      const fh = await open(path, 'r');
      let got = 0;
      try {
        while (got < fresh.length) {
          const { bytesRead } = await fh.read(fresh, got, fresh.length - got, t.size + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } finally {
        await fh.close();
      }
      const bytes = Buffer.concat([t.rest, fresh.subarray(0, got)]);
      const end = bytes.lastIndexOf(0x0a) + 1; // up to the last complete line
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        const r = parseMetricLine(line);
        if (r) t.records.push(r);
      }
      t.rest = Buffer.from(bytes.subarray(end));
      t.size += got;
    }
    const pending = t.rest.length ? parseMetricLine(t.rest.toString('utf8')) : null;
    return { records: pending ? [...t.records, pending] : t.records, mtime: st.mtime };
  }
}

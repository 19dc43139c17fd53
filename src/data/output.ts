/**
 * Output shards: `train-00000.jsonl`, `val-00000.jsonl`, ... (or `.parquet`), one
 * record per document: `{"text": ...}`, plus `"id"` (the document key) and `"source"`
 * (file:location) with `meta`. A shard is written under a hidden temporary name
 * (`.train-00000.jsonl.partial`) and renamed when complete, so a crash or Ctrl-C never
 * leaves a half-written shard under a shard name; `removePartialShards` deletes the
 * temporary files of an interrupted run.
 *
 * @example
 * const w = new ShardWriter({ dir: 'out', split: 'train', format: 'jsonl', shardBytes: 64 << 20 });
 * w.write({ text: 'Once upon a time...' });
 * w.close();   // -> [{ path: 'out/train-00000.jsonl', docs: 1, bytes: 31 }]
 */
import { closeSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';

export type ShardFormat = 'jsonl' | 'parquet';

export interface ShardRecord {
  text: string;
  id?: string;
  source?: string;
}

export interface ShardInfo {
  path: string;
  docs: number;
  /** UTF-8 bytes of the documents' text. */
  bytes: number;
}

/** Bytes of JSON lines records gathered before one write. */
const WRITE_BUFFER = 1 << 20;
const CLOSE = Buffer.from('}\n');

/** Temporary files of shards being written now (removed by `abortAllShards`). */
const LIVE = new Set<ShardWriter>();

/** Deletes the temporary files of every shard being written (for signal handlers). */
export function abortAllShards(): void {
  for (const w of [...LIVE]) w.abort();
}

/** Deletes leftover `.*.partial` files of an interrupted run in `dir`; returns their names. */
export function removePartialShards(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const stale = names.filter((n) => n.startsWith('.') && n.endsWith('.partial'));
  for (const n of stale) rmSync(join(dir, n), { force: true });
  return stale;
}

/** Shard file names of a finished run in `dir` (train-*, val-*). */
export function listShards(dir: string): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  return names.filter((n) => /^(train|val)-\d{5}\.(jsonl|parquet)$/.test(n)).sort();
}

export class ShardWriter {
  private index = 0;
  private fd = -1;
  private temp = '';
  /** JSON lines: encoded records waiting to be written (1 MiB, reused). */
  private buf = new Uint8Array(0);
  private used = 0;
  private bufferedBytes = 0;
  private parquet: ParquetWriter | null = null;
  private columns: { text: string[]; id: string[]; source: string[] } = { text: [], id: [], source: [] };
  private docs = 0;
  private bytes = 0;
  readonly shards: ShardInfo[] = [];

  constructor(private readonly o: { dir: string; split: string; format: ShardFormat; shardBytes: number; meta?: boolean }) {}

  private get finalPath(): string {
    return join(this.o.dir, `${this.o.split}-${String(this.index).padStart(5, '0')}.${this.o.format}`);
  }

  private open(): void {
    this.temp = join(this.o.dir, `.${this.o.split}-${String(this.index).padStart(5, '0')}.${this.o.format}.partial`);
    LIVE.add(this);
    if (this.o.format === 'jsonl') {
      this.fd = openSync(this.temp, 'w');
    } else {
      const schema = [
        { name: 'root', num_children: this.o.meta ? 3 : 1 },
        { name: 'text', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const },
        ...(this.o.meta ? [
          { name: 'id', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const },
          { name: 'source', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const },
        ] : []),
      ];
      this.parquet = new ParquetWriter({ writer: fileWriter(this.temp), schema, createdBy: 'llmts data prepare' });
    }
  }

  /**
   * Writes one JSON lines record already encoded on a worker: `head` is the UTF-8 of
   * `{"text":<JSON string>` (no closing brace), `bytes` the UTF-8 length of the text.
   * The same bytes as `write({ text, id, source })`.
   */
  writeEncoded(head: Uint8Array, bytes: number, id = '', source = ''): void {
    if (this.o.format !== 'jsonl') throw new Error('writeEncoded is for JSON lines shards');
    if (this.temp === '') this.open();
    this.docs++;
    this.bytes += bytes;
    this.put(head);
    this.put(this.o.meta ? Buffer.from(`,"id":${JSON.stringify(id)},"source":${JSON.stringify(source)}}\n`) : CLOSE);
    this.bufferedBytes += bytes;
    if (this.bufferedBytes >= 4 << 20) this.flush();
    if (this.bytes >= this.o.shardBytes) this.finishShard();
  }

  /** Appends bytes to the JSON lines buffer (written out when full). */
  private put(b: Uint8Array): void {
    if (this.used + b.length > this.buf.length) {
      this.writeBuffered();
      if (b.length > WRITE_BUFFER) { writeSync(this.fd, b); return; }
      if (this.buf.length === 0) this.buf = new Uint8Array(WRITE_BUFFER);
    }
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  private writeBuffered(): void {
    if (this.used > 0) writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  write(r: ShardRecord): void {
    if (this.temp === '') this.open();
    const n = Buffer.byteLength(r.text);
    this.docs++;
    this.bytes += n;
    if (this.o.format === 'jsonl') {
      const rec = this.o.meta ? { text: r.text, id: r.id ?? '', source: r.source ?? '' } : { text: r.text };
      this.put(Buffer.from(JSON.stringify(rec) + '\n'));
    } else {
      this.columns.text.push(r.text);
      if (this.o.meta) { this.columns.id.push(r.id ?? ''); this.columns.source.push(r.source ?? ''); }
    }
    this.bufferedBytes += n;
    if (this.bufferedBytes >= 4 << 20) this.flush();
    if (this.bytes >= this.o.shardBytes) this.finishShard();
  }

  private flush(): void {
    if (this.o.format === 'jsonl') {
      this.writeBuffered();
    } else if (this.columns.text.length > 0) {
      const columnData = [{ name: 'text', data: this.columns.text, type: 'STRING' as const, nullable: false }];
      if (this.o.meta) {
        columnData.push({ name: 'id', data: this.columns.id, type: 'STRING' as const, nullable: false });
        columnData.push({ name: 'source', data: this.columns.source, type: 'STRING' as const, nullable: false });
      }
      void this.parquet!.write({ columnData, rowGroupSize: this.columns.text.length });
      this.columns = { text: [], id: [], source: [] };
    }
    this.bufferedBytes = 0;
  }

  private finishShard(): void {
    if (this.temp === '') return;
    this.flush();
    if (this.o.format === 'jsonl') closeSync(this.fd);
    else void this.parquet!.finish();
    const path = this.finalPath;
    renameSync(this.temp, path);
    this.shards.push({ path, docs: this.docs, bytes: this.bytes });
    LIVE.delete(this);
    this.temp = '';
    this.fd = -1;
    this.parquet = null;
    this.docs = 0;
    this.bytes = 0;
    this.index++;
  }

  /** Finishes the last shard; returns every shard written. */
  close(): ShardInfo[] {
    this.finishShard();
    return this.shards;
  }

  /** Drops the shard being written (its temporary file is deleted). */
  abort(): void {
    if (this.temp === '') return;
    if (this.fd >= 0) { try { closeSync(this.fd); } catch { /* already closed */ } }
    this.used = 0;
    rmSync(this.temp, { force: true });
    LIVE.delete(this);
    this.temp = '';
    this.fd = -1;
  }
}

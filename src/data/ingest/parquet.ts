/**
 * Parquet input with hyparquet: the text column is read one row group at a time, so
 * memory holds one row group, not the file. Compressed columns (snappy, gzip, zstd,
 * brotli, lz4) are decoded by hyparquet-compressors. A `.parquet.gz` file is gunzipped
 * into memory first.
 *
 * @example
 * for await (const [text, row] of parquetTexts('train.parquet', false, 'text', ctx)) ...
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { BadInput, openRegular, type ReadContext } from './text-stream.ts';

function memoryBuffer(buf: Uint8Array): AsyncBuffer {
  return {
    byteLength: buf.byteLength,
    slice: (start: number, end?: number) => buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + (end ?? buf.byteLength)) as ArrayBuffer,
  };
}

/** Value of the (possibly dotted) field in a row, or undefined. */
export function fieldOf(obj: unknown, field: string): unknown {
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * The `field` column's values with their 1-based row numbers. A broken file throws
 * BadInput; a row whose value is not a string yields BadInput records via `onBad`.
 */
export async function* parquetTexts(path: string, gzip: boolean, field: string, size: number, ctx: ReadContext,
  onBad: (row: number, reason: string) => void): AsyncGenerator<[string, number]> {
  let file: AsyncBuffer;
  await (await openRegular(path)).close(); // a FIFO or device is BadInput here, before anything blocks on it
  try {
    file = gzip ? memoryBuffer(gunzipSync(readFileSync(path))) : await asyncBufferFromFile(path);
  } catch (err) {
    throw new BadInput(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new BadInput(`broken parquet: ${(err as Error).message}`);
  }
  const top = metadata.schema.slice(1).map((s) => s.name);
  const root = field.split('.')[0]!;
  if (!top.includes(root)) throw new BadInput(`no column "${field}" (columns: ${top.join(', ')})`);
  const total = Number(metadata.num_rows);
  let rowStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const rows = Number(metadata.row_groups[g]!.num_rows);
    let data: Record<string, unknown>[];
    try {
      data = await parquetReadObjects({ file, metadata, columns: [root], rowStart, rowEnd: rowStart + rows, compressors });
    } catch (err) {
      throw new BadInput(`broken parquet row group ${g}: ${(err as Error).message}`, rowStart + 1);
    }
    ctx.bytesRead += total > 0 ? (size * rows) / total : 0;
    for (let i = 0; i < data.length; i++) {
      const v = fieldOf(data[i], field);
      if (typeof v === 'string') yield [v, rowStart + i + 1];
      else onBad(rowStart + i + 1, `field "${field}" is ${v === null || v === undefined ? 'missing' : typeof v}, not a string`);
    }
    rowStart += rows;
  }
}

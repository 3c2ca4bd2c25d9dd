/**
 * Where exported rows go: a CSV stream or a Parquet file. Both take rows one at a time and hold at
 * most one Parquet row group (ROW_GROUP_ROWS rows) in memory, so an export's memory does not grow
 * with the table.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import { kindOf, csvValue, parquetValue, type ExportColumn } from './columns';

export const ROW_GROUP_ROWS = 50_000;

export interface RowSink {
  write(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** CSV with a header line; NULL is an empty field; formula-like text defused (csvValue). */
export function csvSink(columns: readonly ExportColumn[], file: string): RowSink {
  const out: WriteStream = createWriteStream(file);
  const csv = stringify({ header: true, columns: columns.map((c) => c.name) });
  csv.pipe(out);
  return {
    async write(row) {
      if (!csv.write(columns.map((c) => csvValue(row[c.name], c.type)))) await once(csv, 'drain');
    },
    async close() {
      csv.end();
      await once(out, 'finish');
    },
  };
}

type HyparquetWriter = typeof import('hyparquet-writer', { with: { 'resolution-mode': 'import' } });

// hyparquet-writer is an ES module; this package is CommonJS, so it is loaded with import().
const loadWriter = (): Promise<HyparquetWriter> => import('hyparquet-writer');

/** A Parquet file written one row group at a time (hyparquet-writer's ParquetWriter). */
export async function parquetSink(
  columns: readonly ExportColumn[],
  file: string,
  rowGroupRows = ROW_GROUP_ROWS,
): Promise<RowSink> {
  const { ParquetWriter, fileWriter } = await loadWriter();
  const kinds = columns.map(kindOf);
  const schema = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c, i) => {
      const { kind, nullable } = kinds[i]!;
      const repetition_type = nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const);
      switch (kind) {
        case 'string':
          return { name: c.name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type };
        case 'date':
          return { name: c.name, type: 'INT32' as const, converted_type: 'DATE' as const, repetition_type };
        case 'int32':
          return { name: c.name, type: 'INT32' as const, repetition_type };
        case 'int64':
          return { name: c.name, type: 'INT64' as const, repetition_type };
        case 'double':
          return { name: c.name, type: 'DOUBLE' as const, repetition_type };
      }
    }),
  ];
  const writer = new ParquetWriter({ writer: fileWriter(file), schema });
  let group: Record<string, unknown>[] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const columnData = columns.map((c, i) => ({
      name: c.name,
      data: group.map((row) => parquetValue(row[c.name], kinds[i]!.kind, c.name)),
    }));
    await writer.write({ columnData, rowGroupSize: group.length });
    group = [];
  };
  return {
    async write(row) {
      group.push(row);
      if (group.length >= rowGroupRows) await flush();
    },
    async close() {
      await flush();
      await writer.finish();
    },
  };
}

/**
 * The columns of what is exported (a research table or a SELECT over the research database), with
 * their ClickHouse types, and how each value of JSONEachRow is turned into CSV text or a Parquet value.
 */
import { queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

export interface ExportColumn {
  name: string;
  /** ClickHouse type, e.g. Nullable(UInt32). */
  type: string;
}

export type ParquetKind = 'string' | 'date' | 'int32' | 'int64' | 'double';

export interface ColumnKind {
  kind: ParquetKind;
  nullable: boolean;
}

/** The Parquet kind of a ClickHouse type; anything else is refused, naming the column. */
export function kindOf(column: ExportColumn): ColumnKind {
  const m = /^Nullable\((.+)\)$/.exec(column.type);
  const base = m ? m[1]! : column.type;
  const kind: ParquetKind | undefined =
    base === 'String' || base.startsWith('Enum8(') || base.startsWith('Enum16(')
      ? 'string'
      : base === 'Date'
        ? 'date'
        : ['UInt8', 'UInt16', 'Int8', 'Int16', 'Int32'].includes(base)
          ? 'int32'
          : ['UInt32', 'Int64', 'UInt64'].includes(base)
            ? 'int64'
            : ['Float32', 'Float64'].includes(base)
              ? 'double'
              : undefined;
  if (kind === undefined) throw new Error(`column ${column.name}: type ${column.type} cannot be exported`);
  return { kind, nullable: m !== null };
}

/** Column names and types of a SELECT, from the JSON format's meta (no row is read). */
export async function describeQuery(ch: ClickHouseClient, query: string): Promise<ExportColumn[]> {
  const result = await ch.query({ query: `SELECT * FROM (${query}) LIMIT 0`, format: 'JSON' });
  const body = (await result.json()) as { meta: ExportColumn[] };
  return body.meta.map((c) => ({ name: c.name, type: c.type }));
}

/** Columns of a table in the database the client is bound to, in table order. */
export async function describeTable(ch: ClickHouseClient, table: string): Promise<ExportColumn[]> {
  return queryRows<ExportColumn>(
    ch,
    `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ${sqlString(table)}`,
  );
}

/** A JSONEachRow value (UInt64/Int64 arrive quoted) as the Parquet writer wants it. */
export function parquetValue(value: unknown, kind: ParquetKind, column: string): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'string':
      return String(value);
    case 'date':
      return new Date(`${String(value)}T00:00:00Z`);
    case 'int32':
      return Number(value);
    case 'int64':
      return BigInt(value as string | number);
    case 'double':
      return Number(value);
    default:
      throw new Error(`column ${column}: unknown kind ${String(kind)}`);
  }
}

/**
 * A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) with a leading
 * `'`, so it is shown, not executed. The API's CSV (services/api/src/csv.ts) uses it too.
 */
export const defuseFormula = (s: string): string => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

/** A numeric ClickHouse type (Nullable or not): its values are never defused (a negative number starts with `-`). */
const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

/**
 * A JSONEachRow value of a column of ClickHouse type `type` as CSV text: NULL is an empty field, numbers
 * as ClickHouse wrote them, any other value (text, dates, arrays…) defused (defuseFormula): researchers
 * open exports in spreadsheets, and text cells hold what imports and senders wrote.
 */
export function csvValue(value: unknown, type: string): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NUMERIC_TYPE.test(type) ? text : defuseFormula(text);
}

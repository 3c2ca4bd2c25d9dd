/**
 * Exports through the built `research` command (a child process, as a user runs it): a research table
 * as CSV and as Parquet, read back independently (csv-parse; pyarrow from the bootstrap venv) and
 * compared with the table as ClickHouse returns it; a 120,000-row SELECT written as Parquet row groups
 * of a bounded size; a million rows exported with the heap capped at 48 MB. Skipped, saying why, where pyarrow is missing (it is installed by scripts/bootstrap).
 * `--query` runs only on a read-only session: here the suite's admin user with `readonly=1` set on the
 * connection (clickhouse_setting_readonly in CLICKHOUSE_URL), elsewhere the researcher
 * (readonly-user.test.ts); CSV text cells a spreadsheet would run as a formula are defused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { chdbPython, type TestEnv } from '@edusage/testkit';
import { refreshWeek } from '../src';
import { openResearchSuite, WEEK, type ResearchSuite } from './fixtures';

jest.setTimeout(180_000);

const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');
const READER = path.join(__dirname, 'read-parquet.py');
const python = chdbPython();
const pyarrowMissing = !existsSync(python)
  ? `${python} is missing (run scripts/bootstrap)`
  : spawnSync(python, ['-c', 'import pyarrow']).status !== 0
    ? `pyarrow is not installed in ${python} (run scripts/bootstrap)`
    : null;
if (pyarrowMissing !== null) console.warn(`Parquet read-back skipped: ${pyarrowMissing}`);
const withPyarrow = pyarrowMissing === null ? it : it.skip;

interface ParquetRead {
  num_row_groups: number;
  schema: [string, string, boolean][];
  rows: Record<string, unknown>[];
}

describe('research exports', () => {
  let suite: ResearchSuite;
  let env: TestEnv;
  let ch: ClickHouseClient;
  let researchDb: string;
  let dir: string;

  /** The command's environment: the suite's admin user, on a read-only session with `readOnly`. */
  const cliEnv = (readOnly: boolean) => {
    const url = new URL(env.config.CLICKHOUSE_URL);
    if (readOnly) url.searchParams.set('clickhouse_setting_readonly', '1');
    return { ...process.env, ...env.env, CLICKHOUSE_URL: url.toString(), RESEARCH_DATABASE: researchDb };
  };
  const run = (readOnly: boolean, args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env: cliEnv(readOnly), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`research ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const cli = (...args: string[]) => run(false, args);
  const readOnlyCli = (...args: string[]) => run(true, args);
  const readParquet = (file: string): ParquetRead => {
    const r = spawnSync(python, [READER, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`pyarrow could not read ${file}: ${r.stderr}`);
    return JSON.parse(r.stdout) as ParquetRead;
  };
  /** The table as ClickHouse returns it, numbers as numbers (UInt64 arrive quoted). */
  const tableRows = async (table: string, order: string) =>
    (await queryRows<Record<string, unknown>>(ch, `SELECT * FROM ${researchDb}.${table} ORDER BY ${order}`)).map(
      (row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && k === 'events' ? Number(v) : v]),
        ),
    );

  beforeAll(async () => {
    ({ env, ch, researchDb } = suite = await openResearchSuite('research_export'));
    await refreshWeek(ch, researchDb, WEEK, 10);
    dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-export-'));
  });
  afterAll(async () => {
    await suite?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a research table as CSV: header, every row, NULL as an empty field', async () => {
    const file = path.join(dir, 'school.csv');
    expect(cli('export', '--table', 'weekly_app_usage_school', '--format', 'csv', '--out', file)).toMatch(
      /^4 rows, 9 columns/,
    );
    const csv = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    const expected = await tableRows('weekly_app_usage_school', 'district_id, app_id, school_id');
    const sortKey = (r: Record<string, unknown>) => `${String(r.app_id)}|${String(r.school_id)}`;
    expect(csv.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      expected.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))),
    );
  });

  withPyarrow('writes a research table as Parquet that pyarrow reads back equal, with its types', async () => {
    const file = path.join(dir, 'district.parquet');
    cli('export', '--table', 'weekly_app_usage_district', '--format', 'parquet', '--out', file);
    const read = readParquet(file);
    expect(read.schema).toEqual([
      ['week_start', 'date32[day]', false],
      ['district_id', 'string', false],
      ['app_id', 'string', false],
      ['active_students', 'int64', true],
      ['events', 'int64', true],
      ['engaged_hours', 'double', true],
      ['suppressed', 'int32', false],
      ['k', 'int32', false],
    ]);
    const sorted = read.rows.sort((a, b) => String(a.app_id).localeCompare(String(b.app_id)));
    expect(sorted).toEqual(await tableRows('weekly_app_usage_district', 'app_id'));
  });

  withPyarrow('streams a large SELECT into Parquet row groups of bounded size', async () => {
    const file = path.join(dir, 'big.parquet');
    const n = 120_000;
    const query = `SELECT number AS id, toString(number * 7) AS label, if(number % 3 = 0, NULL, number / 4) AS ratio
      FROM system.numbers LIMIT ${n}`;
    expect(
      readOnlyCli('export', '--query', query, '--format', 'parquet', '--out', file, '--row-group-rows', '10000'),
    ).toMatch(/^120000 rows, 3 columns/);
    const read = readParquet(file);
    expect(read.num_row_groups).toBe(12);
    expect(read.rows).toHaveLength(n);
    for (const i of [0, 1, 2, 3, 59_999, 119_999]) {
      expect(read.rows[i]).toEqual({ id: i, label: String(i * 7), ratio: i % 3 === 0 ? null : i / 4 });
    }
  });

  withPyarrow('exports a million rows with a 48 MB heap: memory does not grow with the rows', () => {
    // Holding the rows would need far more than 48 MB of heap (V8 then aborts the process).
    const query = 'SELECT number AS id, toString(number * 7) AS label FROM system.numbers LIMIT 1000000';
    for (const format of ['csv', 'parquet']) {
      const file = path.join(dir, `million.${format}`);
      const r = spawnSync(
        process.execPath,
        ['--max-old-space-size=48', CLI, 'export', '--query', query, '--format', format, '--out', file],
        { env: cliEnv(true), encoding: 'utf8' },
      );
      expect({ format, status: r.status, stderr: r.stderr.slice(0, 500) }).toEqual({ format, status: 0, stderr: '' });
      if (format === 'csv') {
        expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(1_000_001);
      } else {
        const meta = spawnSync(python, [READER, file, '--meta'], { encoding: 'utf8' });
        expect(JSON.parse(meta.stdout)).toEqual({ num_rows: 1_000_000, num_row_groups: 20, largest_row_group: 50_000 });
      }
      rmSync(file);
    }
  });

  it('refuses --query on a session that may write (e.g. the admin user), saying why', () => {
    const file = path.join(dir, 'admin.csv');
    expect(() =>
      cli('export', '--query', 'SELECT count() AS n FROM weekly_app_usage_district', '--format', 'csv', '--out', file),
    ).toThrow(/--query needs a read-only session .*readonly = 0.*CLICKHOUSE_USER=researcher/s);
    expect(existsSync(file)).toBe(false);
    // A table export stays allowed: it reads a research table only.
    expect(cli('export', '--table', 'weekly_app_usage_district', '--format', 'csv', '--out', file)).toMatch(/^2 rows/);
  });

  it('writes text cells a spreadsheet would run as a formula with a leading quote, numbers as they are', () => {
    const file = path.join(dir, 'formulas.csv');
    const query = `SELECT '=hyperlink("https://evil.example","x")' AS a, '+1' AS b, '@sum(1)' AS c, '-2+3' AS d,
      '\tx' AS e, 'plain' AS f, toInt64(-3) AS g, -1.5 AS h, CAST(NULL AS Nullable(String)) AS i`;
    readOnlyCli('export', '--query', query, '--format', 'csv', '--out', file);
    expect(parse(readFileSync(file, 'utf8'), { columns: true })).toEqual([
      {
        a: `'=hyperlink("https://evil.example","x")`,
        b: "'+1",
        c: "'@sum(1)",
        d: "'-2+3",
        e: "'\tx",
        f: 'plain',
        g: '-3',
        h: '-1.5',
        i: '',
      },
    ]);
  });

  it('refuses a table that is not a research table, naming it', () => {
    expect(() => cli('export', '--table', 'usage_events', '--format', 'csv', '--out', path.join(dir, 'x.csv'))).toThrow(
      /--table: usage_events is not a research table/,
    );
  });
});

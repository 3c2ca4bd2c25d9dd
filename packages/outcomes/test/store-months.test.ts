/**
 * A historical results file spans many months; `assessment_results` is partitioned by month, and
 * current ClickHouse refuses an INSERT block over more than 100 partitions (18.16 has no such limit).
 * The writer must store such a file whole on both.
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import { byMonthGroups, MONTHS_PER_INSERT, ResultWriter, type ParsedResult } from '../src';

jest.setTimeout(120_000);

/** One result on the 15th of each of `months` consecutive months from January 2012. */
function monthlyResults(months: number): ParsedResult[] {
  return Array.from({ length: months }, (_, i) => {
    const year = 2012 + Math.floor(i / 12);
    const month = String((i % 12) + 1).padStart(2, '0');
    return {
      student: { ids: [] },
      assessment: 'map_growth',
      subject: 'math',
      testDate: `${year}-${month}-15`,
      window: '',
      score: 200 + (i % 50),
      standardError: null,
      percentile: null,
      projectedGrowth: null,
      grade: '',
    };
  });
}

async function writeAndCount(ch: ClickHouseClient, results: readonly ParsedResult[]) {
  const writer = new ResultWriter(ch, 'd-months', 1_796_000_000_000);
  for (const [i, r] of results.entries()) await writer.add(r, `p${i % 7}`);
  await writer.flush();
  const [row] = await queryRows<{ rows: string; months: string; imports: string }>(
    ch,
    `SELECT toString(count()) AS rows, toString(uniqExact(toYYYYMM(test_date))) AS months,
       arrayStringConcat(groupUniqArray(toString(imported_ms)), ',') AS imports
     FROM assessment_results WHERE district_id = 'd-months'`,
  );
  // Every row carries the import's time (what makes a later import's results replace these).
  expect(row?.imports).toBe('1796000000000');
  return { written: writer.written, rows: Number(row?.rows), months: Number(row?.months) };
}

describe('storing results of many months', () => {
  const results = monthlyResults(130);

  it('cuts the rows into groups of at most MONTHS_PER_INSERT months, keeping every row', () => {
    const rows = results.map((r, i) => ({ test_date: r.testDate, i }));
    const shuffled = [...rows].reverse();
    const groups = byMonthGroups(shuffled, MONTHS_PER_INSERT);
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(new Set(g.map((r) => r.test_date.slice(0, 7))).size).toBeLessThanOrEqual(100);
    expect(
      groups
        .flat()
        .map((r) => r.i)
        .sort((a, b) => a - b),
    ).toEqual(rows.map((r) => r.i));
    expect(byMonthGroups([], MONTHS_PER_INSERT)).toEqual([]);
  });

  it('stores a file of 130 months whole on current ClickHouse', async () => {
    const counts = await onCurrentClickHouse('edusage_outcome_months', (ch) => writeAndCount(ch, results));
    expect(counts).toEqual({ written: 130, rows: 130, months: 130 });
  });

  it('stores a file of 130 months whole on ClickHouse 18.16', async () => {
    const counts = await onTestClickHouse('outcome-months', (ch) => writeAndCount(ch, results));
    expect(counts).toEqual({ written: 130, rows: 130, months: 130 });
  });
});

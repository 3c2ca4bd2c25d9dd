/**
 * `bench:year --newer-day`: the reads while the current month is being written. The compaction leaves
 * the current month's newest folds above its marks most of the time; this phase adds, at every rollup
 * level, the last school day's use folded again as new ranges above every watermark (as if that day's
 * use had arrived since the compaction), so the timing that follows reads them as the readers would,
 * then removes them. Rows left by an interrupted run are removed first.
 */
import { command, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, ROLLUP_LEVELS } from '@edusage/rollups';
import { insertDays, schoolDays, type DistrictShape } from '@edusage/licenses/dist/bench/district';

/** The first offset above every fold the benchmark generated (its watermarks). */
async function aboveWatermarks(ch: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ w: string }>(ch, 'SELECT toString(max(derived_to)) AS w FROM rollup_watermarks');
  return row?.w ?? '0';
}

/** Removes the copies (ranges above every watermark) and waits until ClickHouse has. */
export async function removeNewerDay(ch: ClickHouseClient): Promise<void> {
  const above = await aboveWatermarks(ch);
  for (const level of ALL_LEVELS) {
    await command(ch, `ALTER TABLE ${ROLLUP_LEVELS[level].parts} DELETE WHERE range_start >= ${above}`);
  }
  for (;;) {
    const [row] = await queryRows<{ n: string }>(
      ch,
      'SELECT toString(count()) AS n FROM system.mutations WHERE database = currentDatabase() AND NOT is_done',
    );
    if (Number(row?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Adds `day`'s use again (the year's `batches`; with `lastMinutes`, only that end of the day), folded
 * `folds` times per partition, every range above
 * every watermark (as if that day's use had arrived since the compaction); returns the rows added and
 * how many a district cell got. With folds = batches they are the day's own folds; more folds, the
 * same use in the rows a live district's sink writes between compactions (docs/BENCHMARKS.md).
 */
export async function addNewerDay(
  ch: ClickHouseClient,
  day: string,
  g: { batches: number; folds: number; lastMinutes?: number },
  shape: DistrictShape,
): Promise<{ rows: number; perDistrictCell: number }> {
  await removeNewerDay(ch);
  const index = schoolDays(shape).indexOf(day);
  if (index < 0) throw new Error(`${day} is not a school day of the generated shape: --days differs from the data's`);
  const above = await aboveWatermarks(ch);
  await insertDays(
    ch,
    index,
    index + 1,
    {
      levels: ALL_LEVELS,
      batchesPerPartitionDay: g.batches,
      foldsPerPartitionDay: g.folds,
      lastMinutes: g.lastMinutes,
      rangeBase: Number(above),
    },
    shape,
  );
  let rows = 0;
  let perDistrictCell = 0;
  for (const level of ALL_LEVELS) {
    const [n] = await queryRows<{ n: string; cells: string }>(
      ch,
      `SELECT toString(count()) AS n, toString(uniqExact(${ROLLUP_LEVELS[level].keys})) AS cells
       FROM ${ROLLUP_LEVELS[level].parts} WHERE local_date = toDate('${day}') AND range_start >= ${above}`,
    );
    rows += Number(n?.n ?? 0);
    if (level === 'district') perDistrictCell = Number(n?.n ?? 0) / Math.max(1, Number(n?.cells ?? 0));
  }
  return { rows, perDistrictCell };
}

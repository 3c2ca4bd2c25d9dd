/**
 * `bench:year --newer-day`: the reads while the current month is being written. The hourly compaction
 * leaves the current month's newest folds above its marks most of the time; this phase adds, at every
 * rollup level, a copy of the last school day's folds as new ranges above every watermark (as if that
 * day's use had arrived since the compaction), so the timing that follows reads them as the readers
 * would, then removes them. Copies left by an interrupted run are removed first.
 */
import { command, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, ROLLUP_LEVELS, STATE_COLUMNS } from '@edusage/rollups';

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

/** Adds the copies of `day`'s folds (each range moved above every watermark); returns the rows added. */
export async function addNewerDay(ch: ClickHouseClient, day: string): Promise<number> {
  await removeNewerDay(ch);
  const above = await aboveWatermarks(ch);
  let rows = 0;
  for (const level of ALL_LEVELS) {
    const spec = ROLLUP_LEVELS[level];
    const states = STATE_COLUMNS.join(', ');
    const where = `local_date = toDate('${day}') AND range_start < ${above}`;
    await command(
      ch,
      `INSERT INTO ${spec.parts} (${spec.keys}, kafka_topic, kafka_partition, range_start, range_end, ${states})
       SELECT ${spec.keys}, kafka_topic, kafka_partition, range_start + ${above}, range_end + ${above}, ${states}
       FROM ${spec.parts} FINAL WHERE ${where}`,
    );
    const [n] = await queryRows<{ n: string }>(
      ch,
      `SELECT toString(count()) AS n FROM ${spec.parts} WHERE local_date = toDate('${day}') AND range_start >= ${above}`,
    );
    rows += Number(n?.n ?? 0);
  }
  return rows;
}

import { command, queryRows, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/** A rollup level: its table of contributions and the cell it groups by. */
interface RollupLevel {
  table: string;
  keys: string;
  where: string;
}

const LEVELS: readonly RollupLevel[] = [
  { table: 'rollup_district_app_daily_parts', keys: 'district_id, local_date, app_id, role', where: '1' },
  {
    table: 'rollup_school_app_daily_parts',
    keys: 'district_id, school_id, local_date, app_id, role',
    where: '1',
  },
  {
    table: 'rollup_class_app_daily_parts',
    keys: 'district_id, school_id, class_id, local_date, app_id, role',
    where: "class_id != ''",
  },
];

// The measures of docs/ARCHITECTURE.md "Metric rules", as aggregate states.
const STATES = `sumState(toUInt64(1)) AS events,
  uniqExactState(person_id) AS active_users,
  sumState(toUInt64(explicit_seconds)) AS explicit_seconds,
  uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute) AS active_minutes,
  sumState(toUInt64(1 - person_resolved)) AS unresolved_person_events,
  sumState(toUInt64(1 - app_resolved)) AS unresolved_app_events`;

export interface Derivation {
  from: string;
  to: string;
}

/**
 * Folds the events of one Kafka partition stored since the last derivation into the three rollups.
 *
 * Range [W, X): W = the partition's watermark, X = one past the highest stored offset. Each level gets
 * one INSERT ... SELECT whose rows are keyed by their cell and W; the watermark X is written last. A
 * crash anywhere in between leaves the watermark at W, and the next derivation (same W, X' ≥ X, a
 * superset of rows) replaces those rows (ReplacingMergeTree(range_end), read with FINAL): nothing is
 * counted twice or lost, whether our worker or ClickHouse dies. Returns null when nothing is new.
 */
export async function deriveRollups(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
): Promise<Derivation | null> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const [mark] = await queryRows<{ w: string }>(
    ch,
    `SELECT toString(max(derived_to)) AS w FROM rollup_watermarks WHERE ${at}`,
  );
  const from = BigInt(mark?.w ?? '0');
  const [stored] = await queryRows<{ n: string; top: string }>(
    ch,
    `SELECT toString(count()) AS n, toString(max(kafka_offset)) AS top FROM usage_events
     WHERE ${at} AND kafka_offset >= ${sqlNumber(from)}`,
  );
  if (!stored || stored.n === '0') return null;
  const to = BigInt(stored.top) + 1n;
  await foldRange(ch, topic, partition, from, to);
  await command(
    ch,
    `INSERT INTO rollup_watermarks (kafka_topic, kafka_partition, derived_to, derived_at)
     VALUES (${sqlString(topic)}, ${sqlNumber(partition)}, ${sqlNumber(to)}, now())`,
  );
  return { from: from.toString(), to: to.toString() };
}

/** Writes the rollup rows of offsets [from, to) of one partition, without moving the watermark. */
export async function foldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<void> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const range = `${at} AND kafka_offset >= ${sqlNumber(from)} AND kafka_offset < ${sqlNumber(to)}`;
  for (const level of LEVELS) {
    await command(
      ch,
      `INSERT INTO ${level.table}
       SELECT ${level.keys}, kafka_topic, kafka_partition,
              toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end,
              ${STATES}
       FROM usage_events WHERE ${range} AND ${level.where}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition`,
    );
  }
}

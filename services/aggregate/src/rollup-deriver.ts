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
 * Folds the events of one Kafka partition stored below `upTo` (the end of the batch just stored) and
 * not folded yet into the three rollups.
 *
 * Range [W, upTo): W = the partition's watermark. The caller has stored every event of its batch, and
 * earlier batches were folded before their offsets were committed, so every offset below `upTo` that
 * will ever be stored is stored now: the range is final. (Folding to the highest *stored* offset instead
 * would skip offsets that a previous owner left unstored above a shorter batch.) Each level gets one
 * INSERT ... SELECT whose rows are keyed by their cell and W; the watermark is written last. A crash
 * anywhere in between leaves the watermark at W, and the next derivation (same W, an end ≥ upTo, a
 * superset of rows) replaces those rows (ReplacingMergeTree(range_end), read with FINAL): nothing is
 * counted twice or lost, whether our worker or ClickHouse dies. Returns null when nothing is new.
 */
export async function deriveRollups(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  upTo: bigint,
): Promise<Derivation | null> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const [mark] = await queryRows<{ w: string }>(
    ch,
    `SELECT toString(max(derived_to)) AS w FROM rollup_watermarks WHERE ${at}`,
  );
  const from = BigInt(mark?.w ?? '0');
  if (upTo <= from) return null;
  await foldRange(ch, topic, partition, from, upTo);
  await command(
    ch,
    `INSERT INTO rollup_watermarks (kafka_topic, kafka_partition, derived_to, derived_at)
     VALUES (${sqlString(topic)}, ${sqlNumber(partition)}, ${sqlNumber(upTo)}, now())`,
  );
  return { from: from.toString(), to: upTo.toString() };
}

/**
 * Writes the rollup rows of offsets [from, to) of one partition, without moving the watermark, if the
 * watermark is still `from` when each statement runs. Each offset is read once (LIMIT 1 BY
 * kafka_offset), so a row stored twice would still be counted once.
 */
export async function foldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<void> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const range = `${at} AND kafka_offset >= ${sqlNumber(from)} AND kafka_offset < ${sqlNumber(to)}`;
  const onePerOffset = `(SELECT * FROM usage_events WHERE ${range} LIMIT 1 BY kafka_offset)`;
  // Checked by the server when the statement runs: a fold sent long ago (by a worker that has lost the
  // partition since) adds nothing once the watermark has moved past its start.
  const stillFrom = `(SELECT max(derived_to) FROM rollup_watermarks WHERE ${at}) = ${sqlNumber(from)}`;
  for (const level of LEVELS) {
    await command(
      ch,
      `INSERT INTO ${level.table}
       SELECT ${level.keys}, kafka_topic, kafka_partition,
              toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end,
              ${STATES}
       FROM ${onePerOffset} WHERE ${level.where} AND ${stillFrom}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition`,
    );
  }
}

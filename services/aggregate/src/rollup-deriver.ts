import { command, queryRows, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, invalidateCompactions, ROLLUP_LEVELS } from '@edusage/rollups';
import { currentEventsIn } from './current-events';

// The levels (tables, cells, which events each counts) are @edusage/rollups' list, shared with the
// compaction and the readers.
const LEVELS = ALL_LEVELS.map((l) => ROLLUP_LEVELS[l]);

// The measures of docs/ARCHITECTURE.md "Metric rules", as aggregate states.
const STATES = `sumState(toUInt64(1)) AS events,
  uniqExactState(person_id) AS active_users,
  sumState(toUInt64(explicit_seconds)) AS explicit_seconds,
  uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute) AS active_minutes,
  sumState(toUInt64(1 - person_resolved)) AS unresolved_person_events,
  sumState(toUInt64(1 - app_resolved)) AS unresolved_app_events`;

// The same states over no row (an aggregation without GROUP BY over nothing gives one row of empty
// states): the contribution of a cell whose events all moved to other cells in a re-fold.
const EMPTY_STATES = `(SELECT sumState(toUInt64(0)) AS events,
  uniqExactState(toString('')) AS active_users,
  sumState(toUInt64(0)) AS explicit_seconds,
  uniqExactIfState(toString(''), toDateTime(0, 'UTC'), toUInt8(0)) AS active_minutes,
  sumState(toUInt64(0)) AS unresolved_person_events,
  sumState(toUInt64(0)) AS unresolved_app_events
  FROM system.one WHERE 0)`;

export interface Derivation {
  from: string;
  to: string;
}

/**
 * No fold was made: the partition has offsets stored at or beyond `upTo` above its watermark (up to
 * `storedEnd`), by a worker that died or lost the partition, perhaps after folding them. The caller
 * folds once its own batches reach `storedEnd`.
 */
export interface FoldBehindStored {
  storedEnd: string;
}

/**
 * Folds the events of one Kafka partition stored below `upTo` (the end of a batch just stored, or of
 * committed batches whose fold was put off) and not folded yet into the three rollups.
 *
 * Range [W, upTo): W = the partition's watermark. The caller has stored every event of its batch, and
 * every earlier batch was stored before its offset was committed, so every offset below `upTo` that
 * will ever be stored is stored now: the range is final. (Folding to the highest *stored* offset instead
 * would skip offsets that a previous owner left unstored above a shorter batch.) Each level gets one
 * INSERT ... SELECT whose rows are keyed by their cell and W; the watermark is written last. A crash
 * anywhere in between leaves the watermark at W, and the next derivation (same W, an end ≥ upTo, a
 * superset of rows) replaces those rows (ReplacingMergeTree(range_end), read with FINAL): nothing is
 * counted twice or lost, whether our worker or ClickHouse dies. Returns null when nothing is new.
 *
 * That replacement needs the next derivation's end to reach the dead one's, whose rows (a higher
 * version) would otherwise stay and overlap the next range. The dead one stored everything below its
 * end before folding, so a derivation only runs once `upTo` reaches every offset stored at or above W;
 * otherwise it returns FoldBehindStored (a new owner whose first batches are shorter than what its
 * predecessor stored, say, after a crash with batches put off: `FoldSchedule`).
 */
export async function deriveRollups(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  upTo: bigint,
): Promise<Derivation | FoldBehindStored | null> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const [mark] = await queryRows<{ w: string }>(
    ch,
    `SELECT toString(max(derived_to)) AS w FROM rollup_watermarks WHERE ${at}`,
  );
  const from = BigInt(mark?.w ?? '0');
  if (upTo <= from) return null;
  // A primary-key range read of usage_events: only what is stored above the watermark.
  const [stored] = await queryRows<{ n: string; end: string }>(
    ch,
    `SELECT toString(count()) AS n, toString(max(kafka_offset) + 1) AS end FROM usage_events
     WHERE ${at} AND kafka_offset >= ${sqlNumber(from)}`,
  );
  if (Number(stored?.n ?? 0) > 0 && BigInt(stored!.end) > upTo) return { storedEnd: stored!.end };
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
 * watermark is still `from` when each statement runs. Each offset is read once, in its current version
 * (`currentEventsIn`), so a row stored twice would still be counted once.
 */
export async function foldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<void> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const onePerOffset = currentEventsIn(topic, partition, from, to);
  // Checked by the server when the statement runs: a fold sent long ago (by a worker that has lost the
  // partition since) adds nothing once the watermark has moved past its start.
  const stillFrom = `(SELECT max(derived_to) FROM rollup_watermarks WHERE ${at}) = ${sqlNumber(from)}`;
  for (const level of LEVELS) {
    await command(
      ch,
      `INSERT INTO ${level.parts}
       SELECT ${level.keys}, kafka_topic, kafka_partition,
              toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end,
              ${STATES}
       FROM ${onePerOffset} WHERE ${level.eventFilter} AND ${stillFrom}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition`,
    );
  }
}

/** The folded ranges [from, to) of one partition, in order, as its watermarks recorded them. */
export async function derivedRanges(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
): Promise<{ from: bigint; to: bigint }[]> {
  const marks = await queryRows<{ to: string }>(
    ch,
    `SELECT DISTINCT toString(derived_to) AS to FROM rollup_watermarks
     WHERE kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)} ORDER BY derived_to`,
  );
  const ranges: { from: bigint; to: bigint }[] = [];
  let from = 0n;
  for (const m of marks) {
    const to = BigInt(m.to);
    if (to > from) ranges.push({ from, to });
    from = to;
  }
  return ranges;
}

/**
 * Folds again a range [from, to) that was already derived (its end is a recorded watermark), after some
 * of its events got a new version (docs/ARCHITECTURE.md "Late roster"). Each level gets one INSERT with
 * a row for every cell of the range's current events and, for every cell the range had before and has
 * no longer, a row of empty states; all with the range's key (range_start = from) and version
 * range_end = to. ReplacingMergeTree keeps the last inserted of equal versions, so these rows replace
 * the earlier contribution of the range cell by cell. The watermark does not move: the sink never
 * writes this range again (it only folds from the watermark up). Repeating it writes the same rows.
 */
export async function refoldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<void> {
  const at = `kafka_topic = ${sqlString(topic)} AND kafka_partition = ${sqlNumber(partition)}`;
  const events = currentEventsIn(topic, partition, from, to);
  const start = `toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end`;
  for (const level of LEVELS) {
    await command(
      ch,
      `INSERT INTO ${level.parts}
       SELECT ${level.keys}, kafka_topic, kafka_partition, ${start}, ${STATES}
       FROM ${events} WHERE ${level.eventFilter}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition
       UNION ALL
       SELECT ${level.keys}, kafka_topic, kafka_partition, ${start},
              events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events
       FROM (SELECT DISTINCT ${level.keys}, kafka_topic, kafka_partition FROM ${level.parts}
             WHERE ${at} AND range_start = ${sqlNumber(from)}) AS earlier_cells
       CROSS JOIN ${EMPTY_STATES} AS empty_states
       WHERE (${level.keys}) NOT IN (SELECT ${level.keys} FROM ${events} WHERE ${level.eventFilter})`,
    );
  }
  // After the rows, so a compaction that read the range before they were written is never used.
  await invalidateCompactions(ch, `refold ${topic}:${partition} [${from}, ${to})`);
}
